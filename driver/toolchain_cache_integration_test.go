package driver_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// aptStep is the toolchain Dockerfile's first RUN, the one that installs BASE_PACKAGES.
var aptStep = regexp.MustCompile(`(?m)^Step \d+/\d+ : RUN .*BASE_PACKAGES.*\n(.*)$`)

// stepCached reports whether a toolchain log shows the step matched by re and whether the
// engine's layer cache served it.
func stepCached(log string, re *regexp.Regexp) (found, cached bool) {
	m := re.FindStringSubmatch(log)
	if m == nil {
		return false, false
	}
	return true, strings.TrimSpace(m[1]) == "---> Using cache"
}

// toolsImage returns the layer of the stand-in toolchain image after its apt step (the tools
// the stand-in builds with, and nothing pkgdriver labelled), building that image when needed.
func toolsImage(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	tc, err := builder(t, imageConfig(t)).Ensure(ctx)
	assert.NilError(t, err)
	history, err := testutil.Engine(t).ImageHistory(ctx, tc.ID)
	assert.NilError(t, err)
	// The oldest apt step (the history is newest first; APP_PACKAGES is installed after the
	// kernel).
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if strings.Contains(h.CreatedBy, "apt-get install") {
			assert.Assert(t, h.ID != "<missing>", "the apt layer of %s is not local", tc.ID)
			return h.ID
		}
	}
	t.Fatalf("no apt step in the history of %s", tc.ID)
	return ""
}

// TestToolchainCacheAcrossLineages: the toolchain builds of one base image never break each
// other's layer cache. Lineage X is built, then lineage Y (other apt arguments) with
// --rebuild-image, then a new OSv tree of X from scratch: X's apt layer still comes from the
// cache (the engine's classic builder follows the newest of equal layers, so a no-cache build's
// first step used to capture every later build of the base). The base is this test's own (the
// stand-in's tools under a label), so nothing it does reaches other builds' cache; apt itself
// stays off the network for X (empty package lists) and makes one no-op install for Y.
func TestToolchainCacheAcrossLineages(t *testing.T) {
	ctx := context.Background()
	api := testutil.Engine(t)
	var made []string
	removeImagesAtEnd(t, api, &made)
	base := isolatedImage(t, api, toolsImage(t))
	made = append(made, base)

	cfg := imageConfig(t)
	cfg.BaseImage = base
	cfg.Repository = "pkgdriver-test-lineage/toolchain"
	testutil.CommitStandin(t, cfg.OSVSrc, "kernel/kernel.c", fmt.Sprintf("/* test run %d */\n", time.Now().UnixNano()))
	cfg.BuildArgs = map[string]string{"BASE_PACKAGES": "", "OSV_DEPS": "", "APP_PACKAGES": ""}
	x := builder(t, cfg)
	x1, err := x.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(x1)...)
	found, cached := stepCached(readFile(t, x.LogPath), aptStep)
	assert.Assert(t, found, readFile(t, x.LogPath))
	assert.Check(t, !cached, "the apt step of a new base came from the cache")

	ycfg := cfg
	ycfg.BuildArgs = map[string]string{"BASE_PACKAGES": "python3", "OSV_DEPS": "", "APP_PACKAGES": ""}
	ycfg.Rebuild = true
	y := builder(t, ycfg)
	y1, err := y.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(y1)...)

	// A new tree of X, built from scratch (not on X's image): only the OSv steps run again.
	testutil.CommitStandin(t, cfg.OSVSrc, "kernel/boot16.S", "# the next commit of X\n")
	xcfg := cfg
	xcfg.FromScratch = true
	x2b := builder(t, xcfg)
	x2, err := x2b.Ensure(ctx)
	assert.NilError(t, err)
	made = append(made, toolchainImages(x2)...)
	log := readFile(t, x2b.LogPath)
	found, cached = stepCached(log, aptStep)
	assert.Assert(t, found, log)
	assert.Check(t, cached, "X's apt layer was not reused after Y's --rebuild-image:\n%s", log)
	assert.Check(t, is.Contains(log, "stand-in compiled: kernel/kernel.c"), "the kernel was not built from scratch")
	assert.Check(t, x2.ID != x1.ID)
}
