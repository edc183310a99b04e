package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// listEntry is one recipe in `pkgdriver list --json`.
type listEntry struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Demo   bool   `json:"demo"`
	// Network lists what the build downloads from; empty: builds offline.
	Network []string `json:"network"`
	// KnownBroken says why the recipe is known not to work (its known-broken file); empty: it
	// is expected to work. `run` leaves such recipes out of "all".
	KnownBroken string `json:"known_broken"`
	Valid       bool   `json:"valid"`
	Error       string `json:"error,omitempty"`
}

func (s *session) listCommand() *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "list the recipes, where each comes from, whether it has a demo, needs the network or is known to be broken, and whether it is valid",
		Description: "Exit status 1 when any recipe is invalid, so CI can run it as a check.",
		Flags:       append(recipeDirFlags(), &boolFlag{Name: "json", Usage: "one JSON array"}),
		Action: func(ctx context.Context, c *cli.Command) error {
			dirs, err := recipeDirs(c)
			if err != nil {
				return err
			}
			cat, err := driver.Discover(ctx, dirs)
			if err != nil {
				return usageError{err}
			}
			var entries []listEntry
			invalid := 0
			for _, r := range cat.Recipes {
				e := listEntry{Name: r.Name, Source: r.Source, Demo: r.Demo != nil, Network: []string{}, KnownBroken: r.KnownBroken, Valid: r.Err == nil}
				if urls, err := r.NetworkURLs(); err == nil && urls != nil {
					e.Network = urls
				}
				if r.Builtin {
					e.Source = "built-in"
				}
				if r.Err != nil {
					e.Error = r.Err.Error()
					invalid++
				}
				entries = append(entries, e)
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.Root().Writer)
				enc.SetIndent("", "  ")
				if err := enc.Encode(entries); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(c.Root().Writer, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "RECIPE\tSOURCE\tDEMO\tNETWORK\tBROKEN\tSTATUS")
				for _, e := range entries {
					status := "valid"
					switch {
					case !e.Valid:
						status = e.Error
					case e.KnownBroken != "":
						status = "valid; known broken, not in all: " + e.KnownBroken
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", recipe.DisplayName(e.Name), e.Source, yesNo(e.Demo), yesNo(len(e.Network) > 0), yesNo(e.KnownBroken != ""), status)
				}
				tw.Flush()
			}
			if invalid > 0 {
				return exitError{exitFailed}
			}
			return nil
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
