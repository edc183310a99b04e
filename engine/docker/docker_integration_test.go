package docker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// The container part of the interface on the real engine: create, copy in, run with both
// streams and the exit status, copy out, list by label, a run stopped by its context, remove.
func TestContainersOnDocker(t *testing.T) {
	e := docker.Wrap(testutil.Engine(t))
	ctx := context.Background()
	run := fmt.Sprintf("test-engine-%d-%d", time.Now().UnixNano(), os.Getpid())
	labels := map[string]string{engine.LabelRun: run, engine.LabelRole: "engine-test"}
	id, err := e.Create(ctx, engine.ContainerSpec{
		Image: testutil.BaseImage, Labels: labels, NoNetwork: true, Memory: 256 << 20, PidsLimit: 64,
		Cmd: []string{"/bin/sh", "-c", "cat /in/hello; echo to-stderr >&2; mkdir -p /out/d; echo made > /out/d/f; exit 3"},
	})
	assert.NilError(t, err)
	defer e.Remove(context.Background(), id)
	assert.NilError(t, e.CopyIn(ctx, id, "/", testutil.TarOf(t, map[string]string{"in/hello": "hello\n"})))
	var stdout, stderr bytes.Buffer
	exit, err := e.Run(ctx, id, &stdout, &stderr)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(exit.Code, 3))
	assert.Check(t, !exit.OOMKilled)
	assert.Check(t, is.Equal(stdout.String(), "hello\n"))
	assert.Check(t, is.Equal(stderr.String(), "to-stderr\n"))
	rc, err := e.CopyOut(ctx, id, "/out/d")
	assert.NilError(t, err)
	got := testutil.TarFiles(t, rc)
	rc.Close()
	assert.Check(t, is.Equal(got["d/f"], "made\n"), "%v", got)
	_, err = e.CopyOut(ctx, id, "/no/such/path")
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "%v", err)

	list, err := e.ListContainers(ctx, engine.Selector{Key: engine.LabelRun, Value: run})
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 1))
	assert.NilError(t, e.Remove(ctx, id))
	assert.NilError(t, e.Remove(ctx, id), "a container already gone is fine")
	list, err = e.ListContainers(ctx, engine.Selector{Key: engine.LabelRun, Value: run})
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 0))

	// A run whose context ends is killed and returns the cause.
	id, err = e.Create(ctx, engine.ContainerSpec{Image: testutil.BaseImage, Labels: labels, NoNetwork: true, Cmd: []string{"sleep", "60"}})
	assert.NilError(t, err)
	defer e.Remove(context.Background(), id)
	cause := errors.New("the test's deadline")
	tctx, cancel := context.WithTimeoutCause(ctx, time.Second, cause)
	defer cancel()
	start := time.Now()
	_, err = e.Run(tctx, id, io.Discard, io.Discard)
	assert.Check(t, errors.Is(err, cause), "%v", err)
	assert.Check(t, time.Since(start) < 30*time.Second)
}

// Volumes: made with labels, listed by label, removed (twice is fine).
func TestVolumesOnDocker(t *testing.T) {
	e := docker.Wrap(testutil.Engine(t))
	ctx := context.Background()
	run := fmt.Sprintf("test-engine-%d-%d", time.Now().UnixNano(), os.Getpid())
	name := "pkgdriver-" + run
	assert.NilError(t, e.CreateVolume(ctx, name, map[string]string{engine.LabelRun: run}))
	defer e.RemoveVolume(context.Background(), name)
	vols, err := e.ListVolumes(ctx, engine.Selector{Key: engine.LabelRun, Value: run})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(vols, []engine.Volume{{Name: name, Labels: map[string]string{engine.LabelRun: run}}}))
	assert.NilError(t, e.RemoveVolume(ctx, name))
	assert.NilError(t, e.RemoveVolume(ctx, name))
}

// Images: a build with arguments, labels and tags, its output in the log and its steps heard;
// a failed build names the step; inspect, list, tag, label and remove.
func TestImagesOnDocker(t *testing.T) {
	api := testutil.Engine(t)
	e := docker.Wrap(api)
	ctx := context.Background()
	repo := fmt.Sprintf("pkgdriver-test/engine-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		list, _ := e.ListImages(context.Background(), engine.ImageFilter{Reference: repo})
		for _, img := range list {
			for _, tag := range img.Tags {
				_ = e.RemoveImage(context.Background(), tag)
			}
		}
	})
	dockerfile := "FROM " + testutil.BaseImage + "\nARG WHAT\nRUN echo \"\\033[31mbuilding $WHAT\\033[0m\" && echo $WHAT > /what\n"
	var log bytes.Buffer
	obs := &steps{}
	id, err := e.BuildImage(ctx, engine.BuildSpec{
		Context: testutil.TarOf(t, map[string]string{"Dockerfile": dockerfile}), Args: map[string]string{"WHAT": repo},
		Labels: map[string]string{"pkgdriver.test": "yes"}, Tags: []string{repo + ":one"}, NoCache: true,
		Log: &log, Progress: obs,
	})
	assert.NilError(t, err)
	assert.Check(t, is.Contains(log.String(), "building "+repo))
	assert.Check(t, !strings.Contains(log.String(), "\x1b"), "colour codes reach the log")
	// The builder adds the labels as a last step.
	assert.Check(t, is.DeepEqual(obs.steps, []string{"1/4", "2/4", "3/4", "4/4"}))
	img, err := e.InspectImage(ctx, repo+":one")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(img.ID, id))
	assert.Check(t, is.Equal(img.Labels["pkgdriver.test"], "yes"))
	assert.Check(t, img.Created > 0)

	labelled, err := e.LabelImage(ctx, id, map[string]string{"pkgdriver.extra": "x y"}, "test")
	assert.NilError(t, err)
	assert.NilError(t, e.TagImage(ctx, labelled, repo+":two"))
	list, err := e.ListImages(ctx, engine.ImageFilter{Label: engine.Selector{Key: "pkgdriver.extra", Value: "x y"}, Reference: repo})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(list, 1))
	assert.Check(t, is.Equal(list[0].ID, labelled))
	assert.Check(t, is.Equal(list[0].Labels["pkgdriver.test"], "yes"))

	assert.NilError(t, e.RemoveImage(ctx, repo+":two"))
	_, err = e.InspectImage(ctx, repo+":two")
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "%v", err)
	assert.Check(t, errors.Is(e.RemoveImage(ctx, repo+":two"), engine.ErrNotFound))

	_, err = e.BuildImage(ctx, engine.BuildSpec{
		Context: testutil.TarOf(t, map[string]string{"Dockerfile": "FROM " + testutil.BaseImage + "\nRUN echo about to fail && exit 3\n"}),
		Log:     io.Discard,
	})
	var be *engine.BuildError
	assert.Assert(t, errors.As(err, &be), "%v", err)
	assert.Check(t, is.Contains(be.Step, "RUN echo about to fail"))
	assert.Check(t, is.Contains(strings.Join(be.Tail, "\n"), "about to fail"))

	info, err := e.Info(ctx)
	assert.NilError(t, err)
	assert.Check(t, info.CPUs > 0 && info.Memory > 0 && info.OS == "linux", "%+v", info)
}

type steps struct {
	bytes.Buffer
	steps []string
}

func (s *steps) Step(n, total int, _ string) {
	s.steps = append(s.steps, fmt.Sprintf("%d/%d", n, total))
}
