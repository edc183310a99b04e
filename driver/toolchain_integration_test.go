package driver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

func builder(t *testing.T, cfg driver.ImageConfig) *driver.ToolchainBuilder {
	api := testutil.Engine(t)
	return &driver.ToolchainBuilder{
		Engine: docker.Wrap(api), Config: cfg, Capstan: cfg.Capstan,
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

	info, err := testutil.Engine(t).ImageInspect(ctx, tc.Tags[0])
	assert.NilError(t, err)
	assert.Equal(t, info.ID, tc.ID)
	assert.Equal(t, info.Config.Labels["pkgdriver.osv.commit"], tc.Commit)

	// Boot the built kernel and read its banner.
	run := docker.Wrap(testutil.Engine(t))
	id, err := run.Create(ctx, engine.ContainerSpec{
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

// TestToolchainBuildProgress: without a terminal, a build logs one event per Dockerfile step,
// numbered in order, and never says it reuses the image it just built; a later run with the same
// inputs says it reuses it, once.
func TestToolchainBuildProgress(t *testing.T) {
	ctx := context.Background()
	cfg := imageConfig(t)
	cfg.Rebuild = true
	b := builder(t, cfg)
	var logs bytes.Buffer
	b.Log = zerolog.New(&logs)
	tc, err := b.Ensure(ctx)
	assert.NilError(t, err)

	assert.Check(t, !tc.Reused, "a --rebuild-image build replaces the images before it")

	steps, reuses := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var ev struct {
			Message     string `json:"message"`
			Step, Steps int
			Instruction string
		}
		assert.NilError(t, json.Unmarshal([]byte(line), &ev), line)
		switch ev.Message {
		case "toolchain image build":
			steps++
			assert.Check(t, ev.Step == steps, "step %d logged as %d: %s", steps, ev.Step, line)
			assert.Check(t, ev.Steps >= ev.Step && ev.Instruction != "", line)
		case "reusing the toolchain image built from the same inputs":
			reuses++
		}
	}
	assert.Check(t, steps >= 10, "%d step events:\n%s", steps, logs.String())
	assert.Equal(t, reuses, 0, "a built image was said to be reused:\n%s", logs.String())

	logs.Reset()
	b.Config.Rebuild = false
	again, err := b.Ensure(ctx)
	assert.NilError(t, err)
	assert.Check(t, again.Reused)
	assert.Equal(t, strings.Count(logs.String(), "reusing the toolchain image"), 1, logs.String())
	assert.Check(t, !strings.Contains(logs.String(), "toolchain image build\""), logs.String())
}

// A build's colour codes reach neither the error nor log/toolchain.log: the stand-in's build
// script is changed (in the work tree, built with AllowDirty) to print its unknown argument as
// it is, a colour code included.
func TestToolchainBuildFailureColours(t *testing.T) {
	cfg := imageConfig(t)
	script := filepath.Join(cfg.OSVSrc, "scripts", "build")
	data, err := os.ReadFile(script)
	assert.NilError(t, err)
	raw := bytes.Replace(data, []byte("unknown argument %r"), []byte("unknown argument '%s'"), 1)
	assert.Assert(t, !bytes.Equal(raw, data), "the stand-in's message changed; adapt this test")
	assert.NilError(t, os.WriteFile(script, raw, 0o755))
	cfg.AllowDirty = true // the change is the point
	cfg.OSVBuildArgs = "\x1b[31mbogus\x1b[0m"
	b := builder(t, cfg)
	_, err = b.Ensure(context.Background())
	assert.ErrorContains(t, err, "unknown argument 'bogus'")
	assert.Check(t, !strings.Contains(err.Error(), "\x1b"), "%q", err)
	log, rerr := os.ReadFile(b.LogPath)
	assert.NilError(t, rerr)
	assert.Check(t, is.Contains(string(log), "unknown argument 'bogus'"))
	assert.Check(t, !bytes.Contains(log, []byte("\x1b")), "colour codes in the toolchain log")
}

// When the toolchain build fails, no recipe started: each is "not started" in report.json,
// the summary, junit.xml (skipped) and report.html.
func TestToolchainFailureRecipesNotStarted(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), filepath.Join(t.TempDir(), "result")
	testutil.Recipe(t, recipes, "never", script(packageInit), nil)
	cfg, out := testConfig(t, recipes, result)
	cfg.Image.OSVBuildArgs = "bogus-argument"
	rep, err := execute(t, context.Background(), api, cfg)
	assert.ErrorContains(t, err, "unknown argument 'bogus-argument'")
	assert.Equal(t, resultOf(t, rep, "never").Status, report.StatusNotStarted)
	assert.Check(t, rep.Failed())
	assert.Check(t, is.Contains(out.String(), "1 not started"), out.String())
	l := resultdir.Layout{Root: result}
	for path, want := range map[string]string{
		l.Report():                           `"status": "not started"`,
		l.JUnit():                            `<skipped message="not started"`,
		filepath.Join(result, "report.html"): "not started",
	} {
		data, err := os.ReadFile(path)
		assert.NilError(t, err)
		assert.Check(t, is.Contains(string(data), want), path)
		assert.Check(t, !strings.Contains(string(data), "queued"), path)
	}
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
	removeImagesAtEnd(t, testutil.Engine(t), &built)
	// A base image of this test's own: the engine's layer cache prefers the newest of equal
	// layers, so a no-cache build from the shared base would make every later build of another
	// toolchain (real OSv's among them) miss the layers it had.
	b.Config.BaseImage = isolatedBase(t, testutil.Engine(t))
	built = append(built, b.Config.BaseImage)

	first, err := b.Ensure(ctx)
	assert.NilError(t, err)
	built = append(built, toolchainImages(first)...)
	assert.Check(t, !first.Reused)

	b.Config.Rebuild = true
	rebuilt, err := b.Ensure(ctx)
	assert.NilError(t, err)
	built = append(built, toolchainImages(rebuilt)...)
	assert.Check(t, !rebuilt.Reused, "the rebuilt image was replaced by the older one")
	assert.Check(t, rebuilt.ID != first.ID)
	assert.Equal(t, rebuilt.InputHash, first.InputHash)
	log := readFile(t, b.LogPath)
	assert.Check(t, !strings.Contains(log, "Using cache"), "a cached layer was used:\n%s", log)
	for _, tag := range rebuilt.Tags {
		info, err := testutil.Engine(t).ImageInspect(ctx, tag)
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

// isolatedBase makes an image with the base image's content and an ID of its own (a label), so
// that builds from it share no layer-cache parent with other tests' builds. The caller removes it.
func isolatedBase(t *testing.T, api client.APIClient) string {
	t.Helper()
	return isolatedImage(t, api, testutil.BaseImage)
}

// isolatedImage makes an image with from's content and an ID of its own (a label). The caller
// removes it.
func isolatedImage(t *testing.T, api client.APIClient, from string) string {
	t.Helper()
	dockerfile := fmt.Sprintf("FROM %s\nLABEL pkgdriver.test.isolated=%d-%d\n", from, time.Now().UnixNano(), os.Getpid())
	resp, err := api.ImageBuild(context.Background(), testutil.TarOf(t, map[string]string{"Dockerfile": dockerfile}),
		build.ImageBuildOptions{Remove: true, ForceRemove: true})
	assert.NilError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	m := regexp.MustCompile(`Successfully built ([0-9a-f]{12,})`).FindSubmatch(out)
	assert.Assert(t, m != nil, "isolated image: %s", out)
	return string(m[1])
}
