package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/pkgdriver/pkgdriver/driver"
)

func verifyReproducibleCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-reproducible",
		Usage:     "rebuild recipes once more from scratch and report every file that differs from the delivered package",
		ArgsUsage: "RECIPE...",
		Flags:     append(runFlags(), &cli.BoolFlag{Name: "json", Usage: "print the verdicts as JSON"}),
		Description: "Takes the flags of run (the toolchain, recipe directories, --result-dir whose packages/ is\n" +
			"compared). Exit status 1 when a package is not reproducible.",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("verify-reproducible takes the names of the recipes to rebuild")
			}
			cfg, err := runConfig(c)
			if err != nil {
				return err
			}
			engine, err := driver.NewClient(c.Context, version)
			if err != nil {
				return err
			}
			defer engine.Close()
			verdicts, err := driver.VerifyReproducible(c.Context, cfg, engine, c.Args().Slice())
			if err != nil {
				return err
			}
			failed := false
			for _, v := range verdicts {
				failed = failed || !v.Reproducible
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				if err := enc.Encode(verdicts); err != nil {
					return err
				}
			} else {
				for _, v := range verdicts {
					switch {
					case v.Error != "":
						fmt.Fprintf(c.App.Writer, "%s: could not compare: %s\n", v.Recipe, v.Error)
					case v.Reproducible:
						fmt.Fprintf(c.App.Writer, "%s: reproducible (byte-identical)\n", v.Recipe)
					default:
						fmt.Fprintf(c.App.Writer, "%s: NOT reproducible, %d entries differ:\n", v.Recipe, len(v.Differences))
						for _, d := range v.Differences {
							fmt.Fprintf(c.App.Writer, "  %s: %s\n", d.Entry, d.Reason)
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
