package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/report"
)

func (s *session) publishCommand() *cli.Command {
	return &cli.Command{
		Name:  "publish",
		Usage: "push a run's toolchain and packages images to a registry, and copy its packages into a Capstan repository",
		Description: "Reads report.json of --result-dir for the toolchain image and how each recipe ended.\n" +
			"--repository R: tags the toolchain image R:<YYYY-MM-DD>_<osv-short-commit> and R:latest, builds the\n" +
			"packages image R-packages (packages/ and mike/, FROM scratch) with the same tags, and pushes all four.\n" +
			"Credentials come only from the Docker config file ($DOCKER_CONFIG/config.json, else\n" +
			"~/.docker/config.json: auths, credHelpers, credsStore), never from a flag, and are never printed.\n" +
			"--packages-to DIR: replaces DIR's packages/ and mike/ atomically (DIR stays as it was on failure).\n" +
			"Nothing is published unless every selected recipe built and no test failed (--push-on-failure).\n" +
			"Exit status: 0 published, 1 not published or a push failed, 2 bad usage.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "result-dir", Value: "result", Sources: env("PKGDRIVER_RESULT_DIR"), Usage: "the result directory of the run to publish", TakesFile: true},
			&boolFlag{Name: "wait", Usage: "wait while a run holds the result directory, instead of failing at once", Sources: env("PKGDRIVER_WAIT")},
			&cli.StringFlag{Name: "repository", Sources: env("PKGDRIVER_REPOSITORY"), Usage: "image repository to push to, e.g. registry.example.com/pkgdriver/capstan-packages"},
			&boolFlag{Name: "push-on-failure", Usage: "publish even when a recipe failed to build or its test failed", Sources: env("PKGDRIVER_PUSH_ON_FAILURE")},
			&cli.IntFlag{Name: "keep-tags", Usage: "after the push, keep this many <date>_<commit> tags of each repository on the engine and remove older ones", DefaultText: "0: keep all", Sources: env("PKGDRIVER_KEEP_TAGS")},
			&cli.StringFlag{Name: "packages-to", Usage: "a Capstan repository directory to receive packages/ and mike/", Sources: env("PKGDRIVER_PACKAGES_TO"), TakesFile: true},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			log := s.logger()
			if err := checkFlagRules(c, publishRules); err != nil {
				return err
			}
			cfg := publish.Config{
				PushOnFailure: c.Bool("push-on-failure"),
				Repository:    c.String("repository"),
				KeepTags:      c.Int("keep-tags"),
				PackagesTo:    c.String("packages-to"),
			}
			if cfg.Repository == "" && cfg.PackagesTo == "" {
				return usagef("give --repository to push, --packages-to DIR to copy the packages, or both")
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			layout := resultdir.Layout{Root: c.String("result-dir")}
			// Never read packages/ while a run is replacing them.
			lock, err := driver.LockResultDir(ctx, layout, "publish", resultdir.LockOptions{Wait: c.Bool("wait"), Log: log})
			if err != nil {
				return err
			}
			defer lock.Release()
			rep, err := report.Load(layout)
			if err != nil {
				return err
			}
			p := &publish.Publisher{Config: cfg, Layout: layout, Log: log}
			if cfg.Repository != "" {
				eng, err := docker.New(ctx, versionString())
				if err != nil {
					return err
				}
				defer eng.Close()
				p.Engine = eng
			}
			pub, err := p.Publish(ctx, rep)
			printPublication(c.Root().Writer, pub)
			var refused *publish.NotPublishedError
			if errors.As(err, &refused) {
				return exitError{exitFailed} // the reasons are printed
			}
			return err
		},
	}
}

// printPublication says what was published, for people; publish.json has the same.
func printPublication(w io.Writer, pub *publish.Publication) {
	if len(pub.NotPublished) > 0 {
		fmt.Fprintln(w, "nothing was published (--push-on-failure publishes anyway):")
		for _, r := range pub.NotPublished {
			fmt.Fprintln(w, "  "+r)
		}
		return
	}
	if pub.PackagesTo != "" {
		fmt.Fprintf(w, "copied packages/ and mike/ into %s\n", pub.PackagesTo)
	}
	for _, img := range pub.Pushed {
		fmt.Fprintf(w, "pushed %s %s\n", img.Ref, img.Digest)
	}
	for _, t := range pub.RemovedTags {
		fmt.Fprintf(w, "removed %s\n", t)
	}
}
