package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

func (s *session) reapCommand() *cli.Command {
	return &cli.Command{
		Name:  "reap",
		Usage: "remove containers (or pods) and volumes that pkgdriver runs left behind",
		Flags: append([]cli.Flag{
			&boolFlag{Name: "all", Usage: "also those of runs that may still be alive or ran on another host"},
			&cli.StringFlag{Name: "result-dir", Value: "result", Usage: "result directory whose staging to clean", Sources: env("PKGDRIVER_RESULT_DIR"), TakesFile: true},
		}, runnerFlags()[:3]...),
		Action: func(ctx context.Context, c *cli.Command) error {
			connect, err := connector(c, true)
			if err != nil {
				return err
			}
			eng, err := connect(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			l := resultdir.Layout{Root: c.String("result-dir")}
			n, err := driver.Reap(ctx, eng, l, driver.ReapOptions{All: c.Bool("all")})
			fmt.Fprintf(c.Root().Writer, "removed %d containers and volumes\n", n)
			return err
		},
	}
}
