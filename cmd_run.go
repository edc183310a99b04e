package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/recipes"
)

// contractBools are the old container's boolean variables; they take y, yes, true, 1 (any case),
// which urfave's own env parsing does not, so they are read here.
var contractBools = map[string]string{
	"skip-tests":    "SKIP_TESTS",
	"share-osv-dir": "SHARE_OSV_DIR",
	"keep-recipes":  "KEEP_RECIPES",
	"silent":        "SILENT",
}

func recipeDirFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "recipes-dir", Usage: "a directory of user recipes, after the built-in ones (repeatable; env PKGDRIVER_RECIPES_DIRS, colon-separated)"},
		&cli.BoolFlag{Name: "builtin-recipes", Value: true, Usage: "include the built-in recipes (env PKGDRIVER_BUILTIN_RECIPES)"},
	}
}

func runCommand(stopSignals func()) *cli.Command {
	flags := runFlags()
	return &cli.Command{
		Name:  "run",
		Usage: "build the toolchain image, then each selected recipe in its own container",
		Description: "The old container's environment variables still work as fallbacks: RECIPES, TEST_RECIPES,\n" +
			"SKIP_TESTS, SHARE_OSV_DIR, KEEP_RECIPES, SILENT, and PKGDRIVER_RECIPES_DIRS.\n" +
			"Exit status: 0 all built, 1 a recipe failed, 2 bad usage or configuration or the result\n" +
			"directory is locked by another run, 130 interrupted.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			cfg, err := runConfig(c)
			if err != nil {
				return err
			}
			cli, err := driver.NewClient(c.Context, version)
			if err != nil {
				return err
			}
			defer cli.Close()
			// The first Ctrl-C cancels the run, which then cleans up; after that, default
			// handling returns, so a second Ctrl-C ends the process at once.
			go func() {
				<-c.Context.Done()
				stopSignals()
			}()
			rep, err := driver.Execute(c.Context, cfg, cli)
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

// runFlags are the flags of run, also taken by verify-reproducible.
func runFlags() []cli.Flag {
	return append(append(recipeDirFlags(), logFlags()...),
		&cli.StringFlag{Name: "recipes", Value: "all", EnvVars: []string{"RECIPES"}, Usage: "recipes to build: all, [] or a comma list"},
		&cli.StringFlag{Name: "test-recipes", EnvVars: []string{"TEST_RECIPES"}, Usage: "recipes to test, same syntax (default: the built ones)"},
		&cli.BoolFlag{Name: "skip-tests", Usage: "build only (env SKIP_TESTS)"},
		&cli.BoolFlag{Name: "share-osv-dir", Usage: "all recipes share one OSv tree: faster, recipes may interfere (env SHARE_OSV_DIR)"},
		&cli.BoolFlag{Name: "keep-recipes", Value: true, Usage: "keep results of recipes not rebuilt in this run; false: remove them (env KEEP_RECIPES)"},
		&cli.BoolFlag{Name: "silent", Usage: "never prompt (env SILENT)"},
		&cli.BoolFlag{Name: "wait", Usage: "when another run holds --result-dir, wait for it instead of failing"},
		&cli.StringFlag{Name: "result-dir", Value: "result", EnvVars: []string{"PKGDRIVER_RESULT_DIR"}, Usage: "where packages/, intermediate/, log/ and mike/ go"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "containers at once (default: the engine's CPU count)"},
		&cli.DurationFlag{Name: "timeout", Value: 2 * time.Hour, Usage: "per recipe; the container is killed after it"},
		&cli.DurationFlag{Name: "test-timeout", Value: 5 * time.Minute, Usage: "per demo boot; a hung unikernel is killed after it"},
		&cli.StringFlag{Name: "test-memory", Value: "1g", Usage: "memory of a demo unikernel"},
		&cli.Float64Flag{Name: "cpus", Usage: "CPUs per container (default: no limit)"},
		&cli.StringFlag{Name: "memory", Usage: "memory per container, e.g. 4g (default: no limit)"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "processes per container (default: no limit)"},
		&cli.StringFlag{Name: "accel", Value: "auto", Usage: "QEMU acceleration: auto (KVM when a probe boot works, else TCG), kvm or tcg"},
		&cli.BoolFlag{Name: "privileged", Usage: "run recipe containers privileged (not needed normally; widens what a recipe reaches)"},
		&cli.StringFlag{Name: "max-package-size", Value: "4g", Usage: "largest result a recipe may deliver (uncompressed)"},
		&cli.StringFlag{Name: "base-image", Value: "debian:bookworm", EnvVars: []string{"PKGDRIVER_BASE_IMAGE"}, Usage: "base of the toolchain image"},
		&cli.StringFlag{Name: "osv-repo", Value: "https://github.com/cloudius-systems/osv.git", Usage: "OSv repository to clone"},
		&cli.StringFlag{Name: "osv-ref", Value: "master", Usage: "branch, tag or commit of --osv-repo"},
		&cli.StringFlag{Name: "osv-src", EnvVars: []string{"PKGDRIVER_OSV_SRC"}, Usage: "a local OSv checkout (submodules initialised) instead of cloning --osv-repo"},
		&cli.StringFlag{Name: "osv-build-args", Value: "fs=rofs image=native-example", Usage: "arguments of OSv's scripts/build for the toolchain's kernel"},
		&cli.StringSliceFlag{Name: "image-build-arg", Usage: "extra toolchain Dockerfile build argument KEY=VALUE (repeatable)"},
		&cli.BoolFlag{Name: "no-cache", Usage: "rebuild every selected recipe, even when its package came from the same inputs"},
		&cli.BoolFlag{Name: "rebuild-image", Usage: "build the toolchain image even when one from the same inputs exists"},
		&cli.StringFlag{Name: "toolchain-repository", Value: driver.DefaultToolchainRepository, Usage: "name the toolchain image is tagged under"},
		&cli.BoolFlag{Name: "push", Usage: "after the tests, push the toolchain and packages images to --repository (credentials from the Docker config file)"},
		&cli.BoolFlag{Name: "push-on-failure", Usage: "push even when a recipe failed to build or its test failed"},
		&cli.StringFlag{Name: "repository", EnvVars: []string{"PKGDRIVER_REPOSITORY"}, Usage: "image repository to push to, e.g. registry.example.com/pkgdriver/capstan-packages (packages go to <repository>-packages)"},
		&cli.IntFlag{Name: "keep-tags", Usage: "after a push, keep this many <date>_<commit> tags of each repository on the engine and remove older ones (0: keep all)"},
		signKeyFlag(),
		&cli.StringFlag{Name: "capstan-binary", Usage: "static pkgdriver binary to put in the image as capstan (default: this one)", Hidden: true},
	)
}

func runConfig(c *cli.Context) (*driver.Config, error) {
	log, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	bools := map[string]bool{}
	for flag, env := range contractBools {
		v, err := boolSetting(c, flag, env)
		if err != nil {
			return nil, err
		}
		bools[flag] = v
	}
	sel, err := recipe.ParseSelection(c.String("recipes"))
	if err != nil {
		return nil, usagef("--recipes: %w", err)
	}
	var testSel *recipe.Selection
	if c.IsSet("test-recipes") {
		s, err := recipe.ParseSelection(c.String("test-recipes"))
		if err != nil {
			return nil, usagef("--test-recipes: %w", err)
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
		SkipTests:      bools["skip-tests"],
		NoCache:        c.Bool("no-cache"),
		ShareOSVDir:    bools["share-osv-dir"],
		KeepRecipes:    bools["keep-recipes"],
		Silent:         bools["silent"],
		Wait:           c.Bool("wait"),
		Jobs:           c.Int("jobs"),
		Timeout:        c.Duration("timeout"),
		TestTimeout:    c.Duration("test-timeout"),
		TestMemory:     testMemory,
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
			OSVBuildArgs: c.String("osv-build-args"),
			BuildArgs:    buildArgs,
			Rebuild:      c.Bool("rebuild-image"),
			Repository:   c.String("toolchain-repository"),
			Capstan:      c.String("capstan-binary"),
		},
		Publish: driver.PublishConfig{
			Push:          c.Bool("push"),
			PushOnFailure: c.Bool("push-on-failure"),
			Repository:    c.String("repository"),
			KeepTags:      c.Int("keep-tags"),
		},
		RunID:       driver.NewRunID(now),
		Version:     version,
		Log:         log,
		Out:         c.App.Writer,
		In:          c.App.Reader,
		Interactive: isTerminal(c.App.Writer),
	}
	if runtime.GOOS != "linux" && cfg.Image.Capstan == "" {
		return nil, usagef("the toolchain image needs a Linux pkgdriver binary: give --capstan-binary")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Publish.Validate(); err != nil {
		return nil, err
	}
	if cfg.Signer, err = signerFromFlags(c); err != nil {
		return nil, err
	}
	// Only now write anything (the built-in recipes into the cache): bad settings do no I/O.
	if cfg.RecipeDirs, err = recipeDirs(c); err != nil {
		return nil, err
	}
	return cfg, nil
}

// boolSetting reads a boolean flag, falling back to the contract's environment variable.
func boolSetting(c *cli.Context, flag, env string) (bool, error) {
	if c.IsSet(flag) {
		return c.Bool(flag), nil
	}
	if v, ok := os.LookupEnv(env); ok && v != "" {
		b, err := recipe.ParseBool(v)
		if err != nil {
			return false, usagef("%s=%q: %w", env, v, err)
		}
		return b, nil
	}
	return c.Bool(flag), nil
}

// recipeDirs is the ordered list: built-in recipes first, then --recipes-dir (or the
// environment's colon-separated list).
func recipeDirs(c *cli.Context) ([]recipe.Dir, error) {
	var dirs []recipe.Dir
	builtin := c.Bool("builtin-recipes")
	if !c.IsSet("builtin-recipes") {
		if v := os.Getenv("PKGDRIVER_BUILTIN_RECIPES"); v != "" {
			b, err := recipe.ParseBool(v)
			if err != nil {
				return nil, usagef("PKGDRIVER_BUILTIN_RECIPES=%q: %w", v, err)
			}
			builtin = b
		}
	}
	if builtin {
		if err := os.MkdirAll(cacheDir(), 0o755); err != nil {
			return nil, err
		}
		dir, err := recipes.Materialize(cacheDir())
		if err != nil {
			return nil, fmt.Errorf("built-in recipes: %w", err)
		}
		dirs = append(dirs, recipe.Dir{Path: dir, Builtin: true})
	}
	user := c.StringSlice("recipes-dir")
	if len(user) == 0 {
		for _, d := range strings.Split(os.Getenv("PKGDRIVER_RECIPES_DIRS"), ":") {
			if d != "" {
				user = append(user, d)
			}
		}
	}
	for _, d := range user {
		dirs = append(dirs, recipe.Dir{Path: d})
	}
	return dirs, nil
}

func sizeFlag(c *cli.Context, name string) (int64, error) {
	s := c.String(name)
	if s == "" || s == "0" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return 0, usagef("--%s %q: want a size such as 512m or 4g", name, s)
	}
	return n, nil
}
