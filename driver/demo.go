package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// bootstrapPackage is what Capstan adds to every composed image: the base files of OSv's root
// file system. Added when the result directory has it.
const bootstrapPackage = "osv.bootstrap"

// demoTest composes one recipe's demo unikernel from the packages in packages/ and boots it.
type demoTest struct {
	run    *Run
	recipe *recipe.Recipe
	res    *report.TestResult
	stage  string
	// release gives the test's slot back (nil: none to give), once the expected output has
	// appeared and only the grace is left.
	release func()
}

func (d *demoTest) Run(ctx context.Context) *report.TestResult {
	r, name := d.run, d.recipe.Name
	d.res = &report.TestResult{Start: time.Now().UTC(), Log: filepath.Join("log", name+".test.log")}
	d.stage = filepath.Join(r.Layout.Staging(r.Config.RunID), "test-"+name)
	err := d.test(ctx)
	_ = os.RemoveAll(d.stage)
	d.res.Duration = math.Round(time.Since(d.res.Start).Seconds()*1000) / 1000

	var timedOut errTimedOut
	var mismatch *recipe.Mismatch
	switch {
	case err == nil:
		d.res.Status = report.TestPassed
		return d.res
	case errors.As(err, &timedOut):
		d.res.Status = report.TestTimedOut
	case ctx.Err() != nil:
		d.res.Status = report.TestCancelled
	case errors.As(err, &mismatch):
		d.res.Status = report.TestFailed
	default:
		d.res.Status = report.TestFailed
	}
	d.res.Error = err.Error()
	r.Config.Log.Error().Str("recipe", name).Str("phase", d.res.Phase).Msg("test " + string(d.res.Status) + ": " + firstLine(d.res.Error))
	return d.res
}

func (d *demoTest) fail(phase string, err error) error {
	d.res.Phase = phase
	return fmt.Errorf("recipe %s: demo: %w", d.recipe.Name, err)
}

func (d *demoTest) test(ctx context.Context) error {
	demo := d.recipe.Demo
	expected, err := os.ReadFile(demo.ExpectedStdout)
	if err != nil {
		return d.fail("prepare", err)
	}
	matcher, err := recipe.NewMatcher(string(expected))
	if err != nil {
		return d.fail("prepare", fmt.Errorf("demo/expected-stdout.txt: %w", err))
	}
	image, err := d.compose(ctx)
	if err != nil {
		return err
	}
	return d.boot(ctx, image, matcher)
}

// compose renders the demo package, gathers every package it requires, resolves the boot
// command, and writes the image.
func (d *demoTest) compose(ctx context.Context) (string, error) {
	r := d.run
	demoPkg := filepath.Join(d.stage, "demo")
	if err := os.MkdirAll(d.stage, 0o755); err != nil {
		return "", d.fail("prepare", err)
	}
	if err := copyRecipeTree(ctx, d.recipe, "demo/pkg", demoPkg); err != nil {
		return "", d.fail("prepare", err)
	}
	rendered, pkg, err := renderDemoTemplate(d.recipe)
	if err != nil {
		return "", d.fail("prepare", err)
	}
	_ = os.Remove(filepath.Join(demoPkg, "meta", "package.yaml.templ"))
	if err := os.WriteFile(filepath.Join(demoPkg, "meta", "package.yaml"), rendered, 0o644); err != nil {
		return "", d.fail("prepare", err)
	}
	runData, err := os.ReadFile(d.recipe.Demo.RunYAML)
	if err != nil {
		return "", d.fail("prepare", err)
	}
	runCfg, err := packager.ParseRunConfig(runData, "demo/pkg/meta/run.yaml")
	if err != nil {
		return "", d.fail("prepare", err)
	}

	direct := pkg.Require
	if _, err := os.Stat(r.Layout.MPM(bootstrapPackage)); err == nil && pkg.Name != bootstrapPackage {
		direct = append([]string{bootstrapPackage}, direct...)
	}
	order, err := resolveRequires(pkg.Name, direct, d.requiresOf)
	if err != nil {
		return "", d.fail("require", err)
	}
	root := filepath.Join(d.stage, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", d.fail("compose", err)
	}
	for _, name := range order {
		dir, err := d.unpack(ctx, name)
		if err != nil {
			return "", d.fail("compose", err)
		}
		if err := mergeTree(ctx, dir, root); err != nil {
			return "", d.fail("compose", fmt.Errorf("package %s: %w", name, err))
		}
	}
	if err := mergeTree(ctx, demoPkg, root); err != nil {
		return "", d.fail("compose", fmt.Errorf("demo package: %w", err))
	}

	cmdline, err := runCfg.Resolve("", func(name string) (*packager.RunConfig, error) {
		// Unpacked from a package: read confined, as a link in it could point anywhere.
		data, err := fsutil.ReadConfined(filepath.Join(d.stage, "pkgs", name), packager.RunFile, packager.MaxMetaSize)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
		return packager.ParseRunConfig(data, name+":meta/run.yaml")
	})
	if err != nil {
		return "", d.fail("run.yaml", err)
	}
	// A crashed unikernel halts and waits; powering off instead ends a failed test at once
	// rather than at --test-timeout. --verbose makes OSv say when a program returns an error
	// status (recipe.ParseConsole takes its own lines out of the program's output).
	d.res.Cmdline = "--rootfs=rofs --power-off-on-abort --verbose " + cmdline
	image := filepath.Join(d.stage, "image.raw")
	loader := filepath.Join(r.Layout.Loader(), "osv-loader.qemu")
	if err := packager.Compose(ctx, loader, root, d.res.Cmdline, image); err != nil {
		return "", d.fail("compose", err)
	}
	return image, nil
}

// renderDemoTemplate renders rc's demo/pkg/meta/package.yaml.templ for rc and parses it.
func renderDemoTemplate(rc *recipe.Recipe) ([]byte, *packager.Package, error) {
	templ, err := os.ReadFile(rc.Demo.PackageTemplate)
	if err != nil {
		return nil, nil, err
	}
	rendered := []byte(strings.ReplaceAll(string(templ), "${PACKAGE_NAME}", rc.Name))
	pkg, err := packager.ParsePackage(rendered, "demo/pkg/meta/package.yaml.templ")
	if err != nil {
		return nil, nil, err
	}
	return rendered, pkg, nil
}

// requiresOf returns the require: list of packages/<name>.yaml, or ok=false when there is no such
// package. The name came from a package or a demo template, both recipe-made: it must be a
// package name, and it is looked up only in packages/, confined.
func (d *demoTest) requiresOf(name string) (reqs []string, ok bool, err error) {
	if err := recipe.ValidateName(name); err != nil {
		return nil, false, err
	}
	data, err := fsutil.ReadConfined(d.run.Layout.Packages(), name+".yaml", packager.MaxMetaSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("in packages/: %w", err)
	}
	p, err := packager.ParsePackage(data, "packages/"+name+".yaml")
	if err != nil {
		return nil, false, err
	}
	return p.Require, true, nil
}

// unpack extracts packages/<name>.mpm into the test's staging.
func (d *demoTest) unpack(ctx context.Context, name string) (string, error) {
	dir := filepath.Join(d.stage, "pkgs", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := fsutil.OpenConfined(d.run.Layout.Packages(), name+".mpm")
	if err != nil {
		return "", fmt.Errorf("in packages/: %w", err)
	}
	defer f.Close()
	if err := packager.Extract(ctx, f, dir, packager.ExtractOptions{PackageRooted: true}); err != nil {
		return "", fmt.Errorf("packages/%s.mpm: %w", name, err)
	}
	return dir, nil
}

// mergeTree adds a package's files (not its meta/) to the image's root.
func mergeTree(ctx context.Context, pkgDir, root string) error {
	entries, err := os.ReadDir(pkgDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "meta" {
			continue
		}
		if err := fsutil.CopyTree(ctx, filepath.Join(pkgDir, e.Name()), filepath.Join(root, e.Name()), fsutil.CopyOptions{Replace: true}); err != nil {
			return err
		}
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

var _ io.Writer = (*consoleWatch)(nil)
