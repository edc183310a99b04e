package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/packager"
)

// packageCommand is Capstan's `package` command group with the flags recipes use.
func packageCommand() *cli.Command {
	return &cli.Command{
		Name:  "package",
		Usage: "make, build and check Capstan packages (.mpm)",
		Commands: []*cli.Command{
			{
				Name:      "init",
				Usage:     "write meta/package.yaml in the package directory (default: the current one)",
				ArgsUsage: "[dir]",
				Metadata:  takesArgs(0, 1),
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "package name"},
					&cli.StringFlag{Name: "title", Aliases: []string{"t"}, Usage: "package title"},
					&cli.StringFlag{Name: "author", Aliases: []string{"a"}, Usage: "package author"},
					&cli.StringFlag{Name: "version", Aliases: []string{"v"}, Usage: "package version"},
					&cli.StringFlag{Name: "platform", Usage: "platform the package was built on"},
					&cli.StringSliceFlag{Name: "require", Usage: "a required package (repeatable)"},
				},
				Action: func(_ context.Context, c *cli.Command) error {
					if err := missingFlags(c, "name", "title", "author"); err != nil {
						return err
					}
					dir := dirArg(c)
					p := packager.Package{
						Name: c.String("name"), Title: c.String("title"), Author: c.String("author"),
						Version: c.String("version"), Platform: c.String("platform"),
						Require: c.StringSlice("require"),
					}
					if t, ok := sourceDateEpoch(); ok {
						p.Created = t.Format(packager.CreatedLayout)
					}
					if err := packager.Init(dir, p); err != nil {
						return usageError{err}
					}
					fmt.Fprintf(c.Root().Writer, "wrote %s\n", filepath.Join(dir, packager.PackageFile))
					return nil
				},
			},
			{
				Name:      "build",
				Usage:     "pack the package directory (default: the current one) into <name>.mpm inside it",
				ArgsUsage: "[dir]",
				Metadata:  takesArgs(0, 1),
				Flags: []cli.Flag{
					&boolFlag{Name: "pull-missing", Aliases: []string{"p"}, Usage: "accepted for Capstan compatibility; required packages are not fetched"},
				},
				Action: func(ctx context.Context, c *cli.Command) error {
					dir := dirArg(c)
					pkg, err := packager.LoadPackage(filepath.Join(dir, packager.PackageFile))
					if err != nil {
						return err
					}
					mtime, ok := sourceDateEpoch()
					if !ok {
						mtime = createdTime(pkg)
					}
					dest := filepath.Join(dir, pkg.Name+".mpm")
					d, err := packager.PackFile(ctx, dir, dest, packager.PackOptions{Name: pkg.Name, ModTime: mtime})
					if err != nil {
						return err
					}
					fmt.Fprintf(c.Root().Writer, "wrote %s (%d bytes, sha256 %s)\n", dest, d.Size, d.SHA256)
					return nil
				},
			},
			{
				Name:  "verify",
				Usage: "check an .mpm: safe entry names, a valid meta/package.yaml, and its SBOM, provenance and signature",
				Description: "Beside x.mpm, x.spdx.json must list exactly the archive's files with their digests and\n" +
					"x.intoto.jsonl's subjects must be x.mpm and x.yaml. With --key, x.mpm.sig and the envelope\n" +
					"must be signed by that key. Without --key and without those files, only the archive is checked.",
				ArgsUsage: "<file.mpm>",
				Metadata:  takesArgs(1, 1),
				Flags: []cli.Flag{
					&boolFlag{Name: "list", Aliases: []string{"l"}, Usage: "print every entry"},
					&cli.StringFlag{Name: "key", Usage: "PEM public key (pkgdriver keygen's or cosign's .pub): check the signatures too", TakesFile: true},
				},
				Action: verifyPackage,
			},
		},
	}
}

// missingFlags names every required flag not given, at once.
func missingFlags(c *cli.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if c.String(n) == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usagef("%s needs %s (Capstan requires them in meta/package.yaml)", cmdPath(c), strings.Join(missing, ", "))
	}
	return nil
}

func dirArg(c *cli.Command) string {
	if c.NArg() > 0 {
		return c.Args().First()
	}
	return "."
}

// sourceDateEpoch is the reproducible-builds timestamp, when set.
func sourceDateEpoch() (time.Time, bool) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	secs, err := strconv.ParseInt(s, 10, 64)
	if s == "" || err != nil {
		return time.Time{}, false
	}
	return time.Unix(secs, 0).UTC(), true
}

// createdTime is the package's created time, or the Unix epoch when it has none Capstan reads.
func createdTime(p *packager.Package) time.Time {
	for _, layout := range []string{packager.CreatedLayout, "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, p.Created); err == nil {
			return t.UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}
