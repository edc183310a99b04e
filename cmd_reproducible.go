package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
)

func (s *session) verifyReproducibleCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-reproducible",
		Usage:     "rebuild recipes once more from scratch and report every file that differs from the delivered package",
		ArgsUsage: "RECIPE...",
		Flags: append(without(runFlags(), "push", "push-on-failure", "repository", "keep-tags"),
			&boolFlag{Name: "json", Usage: "print the verdicts as JSON"}),
		Metadata: takesArgs(1, -1),
		Description: "Takes the flags of run (the toolchain, recipe directories, --result-dir whose packages/ is\n" +
			"compared). Exit status 1 when a package is not reproducible.",
		Action: func(ctx context.Context, c *cli.Command) error {
			cfg, err := s.runConfig(c)
			if err != nil {
				return err
			}
			eng, err := docker.New(ctx, versionString())
			if err != nil {
				return err
			}
			defer eng.Close()
			verdicts, err := driver.VerifyReproducible(ctx, cfg, eng, c.Args().Slice())
			if err != nil {
				return err
			}
			failed := false
			for _, v := range verdicts {
				failed = failed || !v.Reproducible
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.Root().Writer)
				enc.SetIndent("", "  ")
				if err := enc.Encode(verdicts); err != nil {
					return err
				}
			} else {
				for _, v := range verdicts {
					switch {
					case v.Error != "":
						fmt.Fprintf(c.Root().Writer, "%s: could not compare: %s\n", v.Recipe, v.Error)
					case v.Reproducible:
						fmt.Fprintf(c.Root().Writer, "%s: reproducible (byte-identical)\n", v.Recipe)
					default:
						fmt.Fprintf(c.Root().Writer, "%s: NOT reproducible, %d entries differ:\n", v.Recipe, len(v.Differences))
						for _, d := range v.Differences {
							fmt.Fprintf(c.Root().Writer, "  %s: %s\n", d.Entry, d.Reason)
						}
					}
				}
			}
			if failed {
				return exitError{exitFailed}
			}
			return nil
		},
	}
}
