package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/publish"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/recipes"
)

func recipeDirFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "recipes-dir", Usage: "a directory of user recipes, after the built-in ones (repeatable; the environment variable is colon-separated)",
			Sources: pathListEnv("PKGDRIVER_RECIPES_DIRS"), TakesFile: true},
		&boolFlag{Name: "builtin-recipes", Value: true, DefaultText: "yes", Usage: "include the built-in recipes", Sources: env("PKGDRIVER_BUILTIN_RECIPES")},
	}
}

func (s *session) runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "build the toolchain image, then each selected recipe in its own container",
		Description: "The old build container's environment variables still work: RECIPES, TEST_RECIPES,\n" +
			"SKIP_TESTS, SHARE_OSV_DIR, KEEP_RECIPES, SILENT; flags win over them.\n" +
			"Exit status: 0 all built, 1 a recipe failed, 2 bad usage or configuration or the result\n" +
			"directory is locked by another run, 130 interrupted.",
		Flags: runFlags(),
		Action: func(ctx context.Context, c *cli.Command) error {
			cfg, err := s.runConfig(c)
			if err != nil {
				return err
			}
			// The first Ctrl-C cancels the run, which then cleans up; after that, default
			// handling returns, so a second Ctrl-C ends the process at once.
			go func() {
				<-ctx.Done()
				s.stopSignals()
			}()
			// Execute contacts the engine itself, after taking the result directory, so a run
			// that cannot reach it still leaves a report saying so.
			rep, err := driver.Execute(ctx, cfg, nil)
			if err != nil {
				return err
			}
			if rep.Failed() {
				return exitError{exitFailed}
			}
			return nil
		},
	}
}

// without is flags but those named.
func without(flags []cli.Flag, names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range flags {
		if !slices.Contains(names, f.Names()[0]) {
			out = append(out, f)
		}
	}
	return out
}

// runFlags are the flags of run, also taken by verify-reproducible (but the push's).
func runFlags() []cli.Flag {
	return append(append(recipeDirFlags(),
		&cli.StringFlag{Name: "recipes", Value: "all", Sources: env("RECIPES", "PKGDRIVER_RECIPES"), Usage: "recipes to build: all (but the known-broken), [] or a comma list"},
		&cli.StringFlag{Name: "test-recipes", Sources: env("TEST_RECIPES", "PKGDRIVER_TEST_RECIPES"), Usage: "recipes to test, same syntax", DefaultText: "the built ones"},
		&boolFlag{Name: "skip-tests", Usage: "build only", Sources: env("SKIP_TESTS", "PKGDRIVER_SKIP_TESTS")},
		&boolFlag{Name: "share-osv-dir", Usage: "all recipes share one OSv tree: faster, recipes may interfere", Sources: env("SHARE_OSV_DIR", "PKGDRIVER_SHARE_OSV_DIR")},
		&boolFlag{Name: "keep-recipes", Value: true, DefaultText: "yes", Usage: "keep results of recipes not rebuilt in this run; no: remove them", Sources: env("KEEP_RECIPES", "PKGDRIVER_KEEP_RECIPES")},
		&boolFlag{Name: "silent", Usage: "never prompt", Sources: env("SILENT", "PKGDRIVER_SILENT")},
		&boolFlag{Name: "wait", Usage: "when another run holds --result-dir, wait for it instead of failing", Sources: env("PKGDRIVER_WAIT")},
		&cli.StringFlag{Name: "result-dir", Value: "result", Sources: env("PKGDRIVER_RESULT_DIR"), Usage: "where packages/, intermediate/, log/ and mike/ go", TakesFile: true},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "containers at once", DefaultText: "the engine's CPU count", Sources: env("PKGDRIVER_JOBS")},
		&durationFlag{Name: "timeout", Value: 2 * time.Hour, Usage: "per recipe; the container is killed after it", Sources: env("PKGDRIVER_TIMEOUT")},
		&durationFlag{Name: "test-timeout", Value: 5 * time.Minute, Usage: "per demo boot; a hung unikernel is killed after it", Sources: env("PKGDRIVER_TEST_TIMEOUT")},
		&cli.StringFlag{Name: "test-memory", Value: "1g", Usage: "memory of a demo unikernel", Sources: env("PKGDRIVER_TEST_MEMORY")},
		&boolFlag{Name: "test-boot-disk", Usage: "boot each demo's image through the firmware and OSv's boot loader, as Capstan does, not its kernel directly (about 5 s more a boot under TCG)", Sources: env("PKGDRIVER_TEST_BOOT_DISK")},
		&cli.Float64Flag{Name: "cpus", Usage: "CPUs per container", DefaultText: "no limit", Sources: env("PKGDRIVER_CPUS")},
		&cli.StringFlag{Name: "memory", Usage: "memory per container, e.g. 4g", DefaultText: "no limit", Sources: env("PKGDRIVER_MEMORY")},
		&cli.Int64Flag{Name: "pids-limit", Usage: "processes per container", DefaultText: "no limit", Sources: env("PKGDRIVER_PIDS_LIMIT")},
		&cli.StringFlag{Name: "accel", Value: "auto", Usage: "QEMU acceleration: auto (KVM when a probe boot works, else TCG), kvm or tcg", Sources: env("PKGDRIVER_ACCEL")},
		&boolFlag{Name: "privileged", Usage: "run recipe containers privileged (not needed normally; widens what a recipe reaches)"},
		&cli.StringFlag{Name: "max-package-size", Value: "4g", Usage: "largest result a recipe may deliver (uncompressed)", Sources: env("PKGDRIVER_MAX_PACKAGE_SIZE")},
		&cli.StringFlag{Name: "base-image", Value: "debian:bookworm", Sources: env("PKGDRIVER_BASE_IMAGE"), Usage: "base of the toolchain image"},
		&cli.StringFlag{Name: "osv-repo", Value: "https://github.com/cloudius-systems/osv.git", Usage: "OSv repository to clone", Sources: env("PKGDRIVER_OSV_REPO")},
		&cli.StringFlag{Name: "osv-ref", Value: "master", Usage: "branch, tag or commit of --osv-repo", Sources: env("PKGDRIVER_OSV_REF")},
		&cli.StringFlag{Name: "osv-src", Sources: env("PKGDRIVER_OSV_SRC"), Usage: "a local OSv checkout (submodules initialised) instead of cloning --osv-repo", TakesFile: true},
		&boolFlag{Name: "allow-dirty", Usage: "build an --osv-src checkout that differs from its commit (changes, untracked files, submodules not as recorded); the image is labelled <commit>-dirty", Sources: env("PKGDRIVER_ALLOW_DIRTY")},
		&cli.StringFlag{Name: "osv-build-args", Value: "fs=rofs image=native-example", Usage: "arguments of OSv's scripts/build for the toolchain's kernel", Sources: env("PKGDRIVER_OSV_BUILD_ARGS")},
		&cli.StringSliceFlag{Name: "image-build-arg", Usage: "extra toolchain Dockerfile build argument KEY=VALUE (repeatable)"},
		&boolFlag{Name: "no-cache", Usage: "rebuild every selected recipe, even when its package came from the same inputs", Sources: env("PKGDRIVER_NO_CACHE")},
		&boolFlag{Name: "rebuild-image", Usage: "build the toolchain image without the layer cache, even when one from the same inputs exists, and use it", Sources: env("PKGDRIVER_REBUILD_IMAGE")},
		&boolFlag{Name: "toolchain-from-scratch", Usage: "build a new toolchain image's OSv kernel from scratch, not on the previous toolchain image's build", Sources: env("PKGDRIVER_TOOLCHAIN_FROM_SCRATCH")},
		&cli.StringFlag{Name: "toolchain-repository", Value: driver.DefaultToolchainRepository, Usage: "name the toolchain image is tagged under", Sources: env("PKGDRIVER_TOOLCHAIN_REPOSITORY")},
		&boolFlag{Name: "push", Usage: "after the tests, push the toolchain and packages images to --repository (credentials from the Docker config file)", Sources: env("PKGDRIVER_PUSH")},
		&boolFlag{Name: "push-on-failure", Usage: "push even when a recipe failed to build or its test failed", Sources: env("PKGDRIVER_PUSH_ON_FAILURE")},
		&cli.StringFlag{Name: "repository", Sources: env("PKGDRIVER_REPOSITORY"), Usage: "image repository to push to, e.g. registry.example.com/pkgdriver/capstan-packages (packages go to <repository>-packages)"},
		&cli.IntFlag{Name: "keep-tags", Usage: "after a push, keep this many <date>_<commit> tags of each repository on the engine and remove older ones", DefaultText: "0: keep all", Sources: env("PKGDRIVER_KEEP_TAGS")},
		signKeyFlag(),
		&cli.StringFlag{Name: "capstan-binary", Usage: "static pkgdriver binary to put in the image as capstan (default: this one)", Hidden: true},
	), runnerFlags()...)
}

func (s *session) runConfig(c *cli.Command) (*driver.Config, error) {
	if err := checkFlagRules(c, runRules); err != nil {
		return nil, err
	}
	sel, err := recipe.ParseSelection(c.String("recipes"))
	if err != nil {
		return nil, usagef("%s: %w", flagRef(c, "recipes"), err)
	}
	var testSel *recipe.Selection
	if c.IsSet("test-recipes") {
		s, err := recipe.ParseSelection(c.String("test-recipes"))
		if err != nil {
			return nil, usagef("%s: %w", flagRef(c, "test-recipes"), err)
		}
		testSel = &s
	}
	memory, err := sizeFlag(c, "memory")
	if err != nil {
		return nil, err
	}
	testMemory, err := sizeFlag(c, "test-memory")
	if err != nil {
		return nil, err
	}
	maxSize, err := sizeFlag(c, "max-package-size")
	if err != nil {
		return nil, err
	}
	buildArgs := map[string]string{}
	for _, kv := range c.StringSlice("image-build-arg") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--image-build-arg %q: want KEY=VALUE", kv)
		}
		buildArgs[k] = v
	}
	now := time.Now()
	cfg := &driver.Config{
		ResultDir:      c.String("result-dir"),
		Recipes:        sel,
		TestRecipes:    testSel,
		SkipTests:      c.Bool("skip-tests"),
		NoCache:        c.Bool("no-cache"),
		ShareOSVDir:    c.Bool("share-osv-dir"),
		KeepRecipes:    c.Bool("keep-recipes"),
		Silent:         c.Bool("silent"),
		Wait:           c.Bool("wait"),
		Jobs:           c.Int("jobs"),
		Timeout:        c.Duration("timeout"),
		TestTimeout:    c.Duration("test-timeout"),
		TestMemory:     testMemory,
		TestBootDisk:   c.Bool("test-boot-disk"),
		CPUs:           c.Float64("cpus"),
		Memory:         memory,
		PidsLimit:      c.Int64("pids-limit"),
		Accel:          driver.Accel(c.String("accel")),
		Privileged:     c.Bool("privileged"),
		MaxPackageSize: maxSize,
		Image: driver.ImageConfig{
			BaseImage:    c.String("base-image"),
			OSVRepo:      c.String("osv-repo"),
			OSVRef:       c.String("osv-ref"),
			OSVSrc:       c.String("osv-src"),
			AllowDirty:   c.Bool("allow-dirty"),
			OSVBuildArgs: c.String("osv-build-args"),
			BuildArgs:    buildArgs,
			Rebuild:      c.Bool("rebuild-image"),
			FromScratch:  c.Bool("toolchain-from-scratch"),
			Repository:   c.String("toolchain-repository"),
			Capstan:      c.String("capstan-binary"),
		},
		CacheDir:    cacheDir(),
		RunID:       driver.NewRunID(now),
		Version:     versionString(),
		Log:         s.logger(),
		Out:         c.Root().Writer,
		In:          c.Root().Reader,
		Interactive: isTerminal(c.Root().Writer),
	}
	if runtime.GOOS != "linux" && cfg.Image.Capstan == "" {
		return nil, usagef("the toolchain image needs a Linux pkgdriver binary: give --capstan-binary")
	}
	pub := publish.Config{
		Push:          c.Bool("push"),
		PushOnFailure: c.Bool("push-on-failure"),
		Repository:    c.String("repository"),
		KeepTags:      c.Int("keep-tags"),
	}
	if err := errors.Join(cfg.Validate(), pub.Validate()); err != nil {
		return nil, err
	}
	if cfg.Connect, err = connector(c, false); err != nil {
		return nil, err
	}
	if pub.Push {
		cfg.Publish = publish.Hook(pub, cfg.ResultDir, cfg.Log)
	}
	if cfg.Signer, err = signerFromFlags(c); err != nil {
		return nil, err
	}
	// Only now write anything (the built-in recipes into the cache): bad settings do no I/O.
	if cfg.RecipeDirs, err = recipeDirs(c); err != nil {
		return nil, err
	}
	// Before the engine is contacted; Execute checks again for callers of the library.
	if err := driver.CheckOverlap(cfg.ResultDir, cfg.RecipeDirs); err != nil {
		return nil, err
	}
	return cfg, nil
}

// recipeDirs is the ordered list: built-in recipes first, then --recipes-dir (or the
// environment's colon-separated list).
func recipeDirs(c *cli.Command) ([]recipe.Dir, error) {
	var dirs []recipe.Dir
	if c.Bool("builtin-recipes") {
		if err := os.MkdirAll(cacheDir(), 0o755); err != nil {
			return nil, err
		}
		dir, err := recipes.Materialize(cacheDir())
		if err != nil {
			return nil, fmt.Errorf("built-in recipes: %w", err)
		}
		dirs = append(dirs, recipe.Dir{Path: dir, Builtin: true})
	}
	for _, d := range c.StringSlice("recipes-dir") {
		if d != "" {
			dirs = append(dirs, recipe.Dir{Path: d})
		}
	}
	return dirs, nil
}

// cacheDir holds the built-in recipes, written out of the binary.
func cacheDir() string {
	if d := os.Getenv("PKGDRIVER_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pkgdriver")
	}
	return filepath.Join(os.TempDir(), "pkgdriver-cache")
}

// sizeFlag reads a size with a unit (b, k, m, g, t; 1024-based), or 0 for none. A bare number
// is refused: --memory 1 would otherwise be one byte, where 1g was meant.
func sizeFlag(c *cli.Command, name string) (int64, error) {
	s := strings.TrimSpace(c.String(name))
	if s == "" || s == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, usagef("--%s %s: a size needs a unit, e.g. --%s %sg (or %sm; b for bytes)", name, s, name, s, s)
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return 0, usagef("--%s %q: want a size such as 512m or 4g", name, s)
	}
	return n, nil
}
