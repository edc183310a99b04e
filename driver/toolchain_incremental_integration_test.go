package driver_test

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// kernelDigests returns the sha256 of each kernel file the image's OSv build made.
func kernelDigests(t *testing.T, eng engine.Engine, image string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"loader.img", "loader-stripped.elf", "vmlinuz.bin"} {
		out[f] = imageFileDigests(t, eng, image, "/osv/build/release/"+f)["/osv/build/release/"+f]
	}
	return out
}

// imageFileDigests returns the sha256 of each file named, read from a container of the image.
func imageFileDigests(t *testing.T, eng engine.Engine, image string, paths ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	id, err := eng.Create(ctx, engine.ContainerSpec{Image: image, NoNetwork: true,
		Labels: map[string]string{driver.LabelRun: "test-image-files"}})
	assert.NilError(t, err)
	defer eng.Remove(ctx, id)
	out := map[string]string{}
	for _, p := range paths {
		rc, err := eng.CopyOut(ctx, id, p)
		assert.NilError(t, err)
		tr := tar.NewReader(rc)
		_, err = tr.Next()
		assert.NilError(t, err)
		h := sha256.New()
		_, err = io.Copy(h, tr)
		assert.NilError(t, err)
		rc.Close()
		out[p] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// TestIncrementalToolchain: a toolchain build after a one-file change of the OSv stand-in builds
// on the previous toolchain image and compiles only that file, and gives byte for byte the
// kernel a build from scratch of the same tree gives (the stand-in's build is deterministic).
func TestIncrementalToolchain(t *testing.T) {
	api := testutil.Engine(t)
	eng := docker.Wrap(api)
	ctx := context.Background()
	cfg := imageConfig(t)
	cfg.Repository = "pkgdriver-test/toolchain-incremental"
	// This run's own commit N, so no earlier test run has an image of it or of N+1.
	testutil.CommitStandin(t, cfg.OSVSrc, "kernel/kernel.c", fmt.Sprintf("/* test run %d */\n", time.Now().UnixNano()))
	var made []string
	removeImagesAtEnd(t, api, &made)

	first := builder(t, cfg)
	n, err := first.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(n)...)

	// N+1: one file changed.
	testutil.CommitStandin(t, cfg.OSVSrc, "kernel/boot16.S", "# a comment of commit N+1\n")
	next := builder(t, cfg)
	n1, err := next.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(n1)...)
	log := readFile(t, next.LogPath)
	assert.Check(t, is.Equal(n1.BuiltOn, n.KernelImage), "not built on N's kernel image")
	assert.Check(t, is.Contains(log, "incremental OSv build: 1 files changed, 0 removed"))
	assert.Check(t, is.Contains(log, "changed kernel/boot16.S"))
	// The changed file, and the version (a new commit), as OSv's make compiles version.cc again.
	assert.Check(t, is.Contains(log, "stand-in compiled: kernel/boot16.S"))
	assert.Check(t, is.Contains(log, "stand-in compiled: kernel/version.c"))
	assert.Check(t, !strings.Contains(log, "stand-in compiled: kernel/kernel.c"), "kernel.c compiled again:\n%s", log)
	assert.Check(t, n1.Commit != n.Commit)

	// The same tree from scratch: another input (an argument no step reads), so it is not the
	// image above reused.
	scfg := cfg
	scfg.FromScratch = true
	scfg.BuildArgs = map[string]string{"OSV_DEPS": "", "APP_PACKAGES": "", "PKGDRIVER_TEST_FROM_SCRATCH": "1"}
	scratch := builder(t, scfg)
	s1, err := scratch.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(s1)...)
	slog := readFile(t, scratch.LogPath)
	assert.Check(t, is.Equal(s1.BuiltOn, ""))
	assert.Check(t, is.Contains(slog, "stand-in compiled: kernel/kernel.c"))
	assert.Check(t, is.Contains(slog, "stand-in compiled: kernel/boot16.S"))

	inc, full := kernelDigests(t, eng, n1.ID), kernelDigests(t, eng, s1.ID)
	t.Logf("kernel of N+1: incremental %v, from scratch %v", inc, full)
	assert.DeepEqual(t, inc, full)
	assert.Check(t, kernelDigests(t, eng, n.ID)["loader.img"] != inc["loader.img"], "N and N+1 have one kernel")
}
