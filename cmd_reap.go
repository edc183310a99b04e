package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/pkgdriver/pkgdriver/driver"
)

func reapCommand() *cli.Command {
	return &cli.Command{
		Name:  "reap",
		Usage: "remove containers and volumes that pkgdriver runs left behind",
		Flags: append(logFlags(),
			&cli.BoolFlag{Name: "all", Usage: "also those of runs that may still be alive or ran on another host"},
			&cli.StringFlag{Name: "result-dir", Value: "result", Usage: "result directory whose staging to clean"},
		),
		Action: func(c *cli.Context) error {
			log, err := newLogger(c)
			if err != nil {
				return err
			}
			cli, err := driver.NewClient(c.Context, version)
			if err != nil {
				return err
			}
			defer cli.Close()
			r := &driver.Run{
				Config: &driver.Config{Log: log, RunID: "reap"},
				Engine: cli, Runner: &driver.DockerRunner{Client: cli},
				Layout: driver.Layout{Root: c.String("result-dir")},
			}
			n, err := driver.Reap(c.Context, r, c.Bool("all"))
			fmt.Fprintf(c.App.Writer, "removed %d containers and volumes\n", n)
			return err
		},
	}
}
