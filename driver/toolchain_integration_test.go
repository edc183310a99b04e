package driver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

func builder(t *testing.T, cfg driver.ImageConfig) *driver.ToolchainBuilder {
	cli := testutil.Engine(t)
	return &driver.ToolchainBuilder{
		Client: cli, Config: cfg, Version: "test", Capstan: cfg.Capstan,
		LogPath: filepath.Join(t.TempDir(), "toolchain.log"), Log: zerolog.New(zerolog.NewTestWriter(t)),
	}
}

// TestToolchainImage: the image carries the OSv commit, its time and version as labels, is
// tagged <date>_<short commit> and latest, is reused for the same inputs, and its kernel prints
// the checkout's real version when booted (under TCG, inside a container from the image).
func TestToolchainImage(t *testing.T) {
	ctx := context.Background()
	b := builder(t, imageConfig(t))
	tc, err := b.Ensure(ctx)
	assert.NilError(t, err)
	assert.Equal(t, tc.Describe, testutil.StandinVersion)
	assert.Equal(t, tc.CommitTime.Unix(), int64(testutil.StandinCommitTime))
	assert.Equal(t, len(tc.Commit), 40)
	assert.Equal(t, tc.Platform, "Debian-12")
	assert.Check(t, is.Regexp(`^pkgdriver-test/toolchain:\d{4}-\d\d-\d\d_`+tc.ShortCommit()+`$`, tc.Tags[0]))
	assert.Equal(t, tc.Tags[1], "pkgdriver-test/toolchain:latest")

	again, err := b.Ensure(ctx)
	assert.NilError(t, err)
	assert.Check(t, again.Reused)
	assert.Equal(t, again.ID, tc.ID)

	info, err := b.Client.ImageInspect(ctx, tc.Tags[0])
	assert.NilError(t, err)
	assert.Equal(t, info.ID, tc.ID)
	assert.Equal(t, info.Config.Labels["pkgdriver.osv.commit"], tc.Commit)

	// Boot the built kernel and read its banner.
	run := &driver.DockerRunner{Client: b.Client}
	id, err := run.Create(ctx, driver.ContainerSpec{
		Image: tc.ID, NoNetwork: true, Labels: map[string]string{driver.LabelRun: "test-boot"},
		Cmd: []string{"timeout", "60", "qemu-system-x86_64", "-m", "64M", "-nographic", "-no-reboot", "-nodefaults",
			"-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			"-drive", "file=/osv/build/release/loader.img,format=raw,if=ide,snapshot=on"},
	})
	assert.NilError(t, err)
	defer run.Remove(context.Background(), id)
	var out bytes.Buffer
	_, err = run.Run(ctx, id, &out, &out)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(out.String(), "OSv "+testutil.StandinVersion), out.String())
}

// TestToolchainBuildFailure: a failing step ends with that step and the last lines of its output.
func TestToolchainBuildFailure(t *testing.T) {
	cfg := imageConfig(t)
	cfg.OSVBuildArgs = "bogus-argument"
	_, err := builder(t, cfg).Ensure(context.Background())
	var be *driver.BuildError
	assert.Assert(t, errors.As(err, &be), "%v", err)
	assert.Check(t, is.Contains(be.Step, "scripts/build"))
	assert.Check(t, is.Contains(err.Error(), "unknown argument 'bogus-argument'"))
}

// TestToolchainUnreachableRepository: a repository that cannot be reached fails at once and
// points at --osv-src.
func TestToolchainUnreachableRepository(t *testing.T) {
	cfg := imageConfig(t)
	cfg.OSVSrc, cfg.OSVRepo, cfg.OSVRef = "", "http://127.0.0.1:9/osv.git", "master"
	_, err := builder(t, cfg).Ensure(context.Background())
	assert.Check(t, errors.Is(err, driver.ErrUsage), "%v", err)
	assert.Check(t, is.Contains(err.Error(), "cannot reach the OSv repository http://127.0.0.1:9/osv.git"))
	assert.Check(t, is.Contains(err.Error(), "--osv-src"))
}

// TestRebuildImage: --rebuild-image builds without the layer cache, and that run and later
// ones use the image it built, not the older one of the same inputs.
func TestRebuildImage(t *testing.T) {
	ctx := context.Background()
	cfg := imageConfig(t)
	// Inputs of this test's own (an argument the Dockerfile does not use: the layers are the
	// shared ones, the input hash is not), so no other test's image is replaced.
	cfg.BuildArgs = map[string]string{"OSV_DEPS": "", "APP_PACKAGES": "", "PKGDRIVER_TEST_REBUILD": fmt.Sprintf("%d-%d", time.Now().UnixNano(), os.Getpid())}
	cfg.Repository = "pkgdriver-test-rebuild/toolchain"
	b := builder(t, cfg)
	var built []string
	removeImagesAtEnd(t, b.Client, &built)

	first, err := b.Ensure(ctx)
	assert.NilError(t, err)
	built = append(built, first.ID)
	assert.Check(t, !first.Reused)

	b.Config.Rebuild = true
	rebuilt, err := b.Ensure(ctx)
	assert.NilError(t, err)
	built = append(built, rebuilt.ID)
	assert.Check(t, !rebuilt.Reused, "the rebuilt image was replaced by the older one")
	assert.Check(t, rebuilt.ID != first.ID)
	assert.Equal(t, rebuilt.InputHash, first.InputHash)
	log := readFile(t, b.LogPath)
	assert.Check(t, !strings.Contains(log, "Using cache"), "a cached layer was used:\n%s", log)
	for _, tag := range rebuilt.Tags {
		info, err := b.Client.ImageInspect(ctx, tag)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(info.ID, rebuilt.ID), tag)
	}

	// A later run of the same inputs uses the rebuilt image.
	b.Config.Rebuild = false
	later, err := b.Ensure(ctx)
	assert.NilError(t, err)
	assert.Check(t, later.Reused)
	assert.Check(t, is.Equal(later.ID, rebuilt.ID))
}
