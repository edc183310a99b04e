package enginetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

func TestContainerLifecycle(t *testing.T) {
	ctx := context.Background()
	e := New()
	img := e.AddImage(engine.Image{Tags: []string{"base:latest"}}, map[string]File{"/etc/facts": {Data: []byte("a=b\n")}})
	_, err := e.Create(ctx, engine.ContainerSpec{Image: "missing"})
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "%v", err)

	e.RunScript = func(_ context.Context, c *Container, stdout, _ io.Writer) (engine.Exit, error) {
		io.WriteString(stdout, "built\n")
		c.Files["/out/pkg/a.mpm"] = File{Data: []byte("mpm")}
		return engine.Exit{Code: 3}, nil
	}
	id, err := e.Create(ctx, engine.ContainerSpec{Image: "base", Labels: map[string]string{engine.LabelRun: "r1"}})
	assert.NilError(t, err)
	assert.NilError(t, e.CopyIn(ctx, id, "/src", testutil.TarOf(t, map[string]string{"build.sh": "#!/bin/sh"})))
	var out bytes.Buffer
	exit, err := e.Run(ctx, id, &out, io.Discard)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(exit.Code, 3))
	assert.Check(t, is.Equal(out.String(), "built\n"))

	rc, err := e.CopyOut(ctx, id, "/out")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(testutil.TarFiles(t, rc), map[string]string{"out/": "", "out/pkg/": "", "out/pkg/a.mpm": "mpm"}))
	rc, err = e.CopyOut(ctx, id, "/etc/facts")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(testutil.TarFiles(t, rc), map[string]string{"facts": "a=b\n"}))
	rc, err = e.CopyOut(ctx, id, "/src/build.sh")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(testutil.TarFiles(t, rc), map[string]string{"build.sh": "#!/bin/sh"}))
	_, err = e.CopyOut(ctx, id, "/nothing")
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "%v", err)

	list, err := e.ListContainers(ctx, engine.Selector{Key: engine.LabelRun, Value: "r1"})
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 1))
	assert.NilError(t, e.Remove(ctx, id))
	assert.NilError(t, e.Remove(ctx, id), "removing twice is fine")
	live, _ := e.Live()
	assert.Check(t, is.Len(live, 0))
	assert.Check(t, is.DeepEqual(e.Methods(), []string{"Create", "Create", "CopyIn", "Run", "CopyOut", "CopyOut", "CopyOut", "CopyOut", "ListContainers", "Remove", "Remove"}))
	assert.Check(t, img != "")
}

func TestRunCancel(t *testing.T) {
	e := New()
	e.AddImage(engine.Image{Tags: []string{"base:latest"}}, nil)
	e.RunScript = func(ctx context.Context, _ *Container, _, _ io.Writer) (engine.Exit, error) {
		<-ctx.Done()
		return engine.Exit{}, nil
	}
	id, err := e.Create(context.Background(), engine.ContainerSpec{Image: "base"})
	assert.NilError(t, err)
	cause := errors.New("timed out")
	ctx, cancel := context.WithTimeoutCause(context.Background(), 10*time.Millisecond, cause)
	defer cancel()
	exit, err := e.Run(ctx, id, io.Discard, io.Discard)
	assert.Check(t, errors.Is(err, cause), "%v", err)
	assert.Check(t, is.Equal(exit.Code, 137))
}

func TestInjectedFailures(t *testing.T) {
	e := New()
	boom := errors.New("boom")
	e.Err = func(c Call) error {
		if c.Method == "CreateVolume" && c.Args[0] == "bad" {
			return boom
		}
		return nil
	}
	ctx := context.Background()
	assert.Check(t, errors.Is(e.CreateVolume(ctx, "bad", nil), boom))
	assert.NilError(t, e.CreateVolume(ctx, "good", map[string]string{"k": "v"}))
	vols, err := e.ListVolumes(ctx, engine.Selector{Key: "k"})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(vols, []engine.Volume{{Name: "good", Labels: map[string]string{"k": "v"}}}))
	assert.NilError(t, e.RemoveVolume(ctx, "good"))
	_, vnames := e.Live()
	assert.Check(t, is.Len(vnames, 0))
	assert.Check(t, is.Equal(e.Calls()[0].String(), "CreateVolume(bad)"))
}

type steps struct {
	bytes.Buffer
	n int
}

func (s *steps) Step(int, int, string) { s.n++ }

func TestImages(t *testing.T) {
	ctx := context.Background()
	e := New()
	_, err := e.BuildImage(ctx, engine.BuildSpec{Context: testutil.TarOf(t, map[string]string{"x": ""})})
	var be *engine.BuildError
	assert.Check(t, errors.As(err, &be), "a context without a Dockerfile fails: %v", err)

	var log bytes.Buffer
	var obs steps
	id, err := e.BuildImage(ctx, engine.BuildSpec{
		Context: testutil.TarOf(t, map[string]string{"Dockerfile": "FROM scratch"}), Tags: []string{"r/p:1", "r/p:latest"},
		Labels: map[string]string{"role": "packages"}, Log: &log, Progress: &obs,
	})
	assert.NilError(t, err)
	assert.Check(t, is.Contains(log.String(), "Step 1/1"))
	assert.Check(t, is.Equal(obs.n, 1))
	img, err := e.InspectImage(ctx, "r/p:1")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(img.ID, id))

	labelled, err := e.LabelImage(ctx, id, map[string]string{"extra": "1"}, "why")
	assert.NilError(t, err)
	img, err = e.InspectImage(ctx, labelled)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(img.Labels, map[string]string{"role": "packages", "extra": "1"}))

	assert.NilError(t, e.TagImage(ctx, labelled, "r/p:2"))
	list, err := e.ListImages(ctx, engine.ImageFilter{Reference: "r/p"})
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 2))
	list, err = e.ListImages(ctx, engine.ImageFilter{Label: engine.Selector{Key: "extra", Value: "1"}})
	assert.NilError(t, err)
	assert.Check(t, is.Len(list, 1))

	pushed, err := e.PushImage(ctx, "r/p:2", engine.RegistryAuth{}, io.Discard)
	assert.NilError(t, err)
	assert.Check(t, strings.HasPrefix(pushed.Digest, "sha256:"))
	_, err = e.PushImage(ctx, "r/none:1", engine.RegistryAuth{}, io.Discard)
	assert.Check(t, errors.Is(err, engine.ErrNotFound))

	assert.NilError(t, e.RemoveImage(ctx, "r/p:1"))
	_, err = e.InspectImage(ctx, id)
	assert.NilError(t, err, "an image keeps living under its other tag")
	assert.NilError(t, e.RemoveImage(ctx, "r/p:latest"))
	_, err = e.InspectImage(ctx, id)
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "an image goes with its last tag")
	assert.Check(t, errors.Is(e.RemoveImage(ctx, "r/p:1"), engine.ErrNotFound))

	info, err := e.Info(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(info.CPUs, 4))
	assert.NilError(t, e.Close())
	assert.Check(t, e.Closed())
}
