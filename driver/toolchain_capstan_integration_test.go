package driver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// TestToolchainNewCapstan: a new pkgdriver binary (a copy with bytes appended) reuses the
// toolchain's kernel image: the run builds only the layer that adds capstan (no kernel step,
// nothing compiled), the image holds the new binary, and its kernel image is the first run's.
func TestToolchainNewCapstan(t *testing.T) {
	ctx := context.Background()
	api := testutil.Engine(t)
	eng := docker.Wrap(api)
	cfg := imageConfig(t)
	cfg.Repository = "pkgdriver-test-capstan/toolchain"
	// This run's own tree, built from scratch: a kernel image of this test's own.
	testutil.CommitStandin(t, cfg.OSVSrc, "kernel/kernel.c", fmt.Sprintf("/* test run %d */\n", time.Now().UnixNano()))
	cfg.FromScratch = true
	var made []string
	removeImagesAtEnd(t, api, &made)
	state := filepath.Join(t.TempDir(), "toolchain-input.json")

	first := builder(t, cfg)
	first.StatePath = state
	tc1, err := first.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(tc1)...)
	assert.Check(t, !tc1.Reused && !tc1.KernelReused)
	assert.Check(t, is.Contains(readFile(t, first.LogPath), "stand-in compiled: kernel/kernel.c"))
	assert.Assert(t, tc1.KernelImage != "")

	data, err := os.ReadFile(cfg.Capstan)
	assert.NilError(t, err)
	cfg.Capstan = filepath.Join(t.TempDir(), "pkgdriver")
	assert.NilError(t, os.WriteFile(cfg.Capstan, append(data, "\n# another pkgdriver build\n"...), 0o755))
	second := builder(t, cfg)
	second.StatePath = state
	start := time.Now()
	tc2, err := second.Ensure(ctx)
	took := time.Since(start)
	assert.NilError(t, err)
	made = append(made, tc2.ID)
	log := readFile(t, second.LogPath)
	t.Logf("a new binary on the kernel image took %s:\n%s", took.Round(time.Millisecond), log)
	assert.Check(t, !tc2.Reused && tc2.KernelReused)
	assert.Check(t, is.Equal(tc2.KernelImage, tc1.KernelImage))
	assert.Check(t, tc2.ID != tc1.ID)
	assert.Check(t, is.Equal(tc2.Commit, tc1.Commit))
	assert.Check(t, is.Contains(log, "COPY capstan /usr/local/bin/capstan"))
	assert.Check(t, !strings.Contains(log, "scripts/build"), "a kernel step ran")
	assert.Check(t, !strings.Contains(log, "stand-in compiled"), "something was compiled")
	assert.Check(t, !strings.Contains(log, "apt-get"), "an apt step ran")

	want, err := fsutil.SHA256File(cfg.Capstan)
	assert.NilError(t, err)
	got := imageFileDigests(t, eng, tc2.ID, "/usr/local/bin/capstan")["/usr/local/bin/capstan"]
	assert.Check(t, is.Equal(got, want), "the image does not hold the new binary")
	// The kernel is the first image's, byte for byte.
	assert.DeepEqual(t, kernelDigests(t, eng, tc2.ID), kernelDigests(t, eng, tc1.ID))
}
