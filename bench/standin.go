package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// The stand-in checkout's fixed identity, as the integration tests make it: the same files give
// the same commit, so the toolchain image built from it is found again by its input hash.
const (
	standinTag        = "v0.0.1-standin"
	standinCommitTime = "@1704164645 +0000"
	osvBuildArgs      = "fs=rofs image=native-example"
)

// toolchainImage is a toolchain image and the checkout it was built from.
type toolchainImage struct {
	Src      string // the OSv checkout (--osv-src)
	ID       string
	Platform string
	Tag      string // the dated tag, for messages
}

// standin copies testdata/osv-standin to dir and makes it a git checkout with one commit and a
// tag, like an OSv clone. With dataMB > 0 it adds that many 1 MB files under bench-data/, so the
// tree is as large as a real OSv tree with its submodules and build output.
func (e *env) standin(ctx context.Context, dir string, dataMB int) error {
	if err := fsutil.CopyTree(ctx, filepath.Join(e.repo, "testdata", "osv-standin"), dir, fsutil.CopyOptions{Preserve: true}); err != nil {
		return fmt.Errorf("stand-in checkout: %w", err)
	}
	if dataMB > 0 {
		if err := writeTreeData(ctx, filepath.Join(dir, "bench-data"), dataMB); err != nil {
			return fmt.Errorf("stand-in checkout data: %w", err)
		}
	}
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME=pkgdriver-bench", "GIT_AUTHOR_EMAIL=bench@pkgdriver.invalid",
		"GIT_COMMITTER_NAME=pkgdriver-bench", "GIT_COMMITTER_EMAIL=bench@pkgdriver.invalid",
		"GIT_AUTHOR_DATE="+standinCommitTime, "GIT_COMMITTER_DATE="+standinCommitTime,
	)
	for _, args := range [][]string{
		{"init", "-q", "-b", "master"},
		// Level 1: the objects' compression does not change the commit, only how long adding
		// two gigabytes takes.
		{"-c", "core.compression=1", "add", "-A"},
		{"commit", "-q", "--no-gpg-sign", "-m", "OSv stand-in"},
		{"tag", standinTag},
	} {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %w\n%s", args, err, out)
		}
	}
	return nil
}

// ensureImage makes sure the toolchain image of the checkout exists, through the pkgdriver
// binary itself (a run that selects no recipe), so the image is exactly the one the timed runs
// find by input hash. result is the result directory later runs use: this run leaves the
// checkout's input hash in its state, which spares the first timed run from hashing the tree.
func (e *env) ensureImage(ctx context.Context, src, result string) (*toolchainImage, error) {
	empty := filepath.Join(e.work, "no-recipes")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		return nil, err
	}
	img := &toolchainImage{Src: src}
	out, err := e.runPkgdriver(ctx, pkgRun{Name: "toolchain", Recipes: empty, Result: result, Image: img})
	if err != nil {
		return nil, fmt.Errorf("toolchain image from %s: %w", src, err)
	}
	tc := out.Report.Toolchain
	if tc == nil || tc.ID == "" {
		return nil, fmt.Errorf("toolchain image from %s: the report names no image", src)
	}
	img.ID, img.Platform = tc.ID, tc.Platform
	if len(tc.Tags) > 0 {
		img.Tag = tc.Tags[0]
	}
	return img, nil
}

// smallImage is the OSv stand-in image most metrics run on, made on first use.
func (e *env) smallImage(ctx context.Context) (*toolchainImage, error) {
	if e.small != nil {
		return e.small, nil
	}
	src := filepath.Join(e.work, "osv-small", "osv")
	if err := e.standin(ctx, src, 0); err != nil {
		return nil, err
	}
	e.step("toolchain image for the OSv stand-in (built once, then reused by input hash)")
	img, err := e.ensureImage(ctx, src, filepath.Join(e.work, "osv-small", "result"))
	if err != nil {
		return nil, err
	}
	e.small = img
	return img, nil
}
