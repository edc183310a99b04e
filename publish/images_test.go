package publish

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
	"github.com/pkgdriver/pkgdriver/report"
)

const unitCommit = "0123456789abcdef0123456789abcdef01234567"

// A publish on the fake engine: the toolchain image is tagged, the packages image is built
// from the result's published trees with its labels, the date tags are pushed before latest,
// and --keep-tags removes the older date tags but never the one just pushed.
func TestPublishPushOnFake(t *testing.T) {
	ctx := context.Background()
	eng := enginetest.New()
	toolchain := eng.AddImage(engine.Image{Tags: []string{"pkgdriver/toolchain:latest"}}, nil)
	const repo = "127.0.0.1:5000/pkgdriver/capstan-packages"
	for _, old := range []string{"2023-12-30_0123456", "2023-12-31_0123456"} {
		eng.AddImage(engine.Image{Tags: []string{repo + ":" + old}}, nil)
	}
	var inContext []string
	eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		tr := tar.NewReader(spec.Context)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			assert.NilError(t, err)
			inContext = append(inContext, hdr.Name)
		}
		io.WriteString(spec.Log, "Successfully built\n")
		return eng.AddImage(engine.Image{Tags: spec.Tags, Labels: spec.Labels}, nil), nil
	}
	l := pubResult(t)
	rep := &report.Report{
		RunID: "run-1", Start: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Status: "ok",
		Toolchain: &report.Toolchain{ID: toolchain, Commit: unitCommit},
		Recipes:   []report.RecipeResult{{Name: "a", Status: report.StatusBuilt}},
	}
	p := &Publisher{
		Engine: eng, Config: Config{Repository: repo, KeepTags: 1}, Layout: l,
		Credentials: CredentialSource{ConfigDir: t.TempDir()}, Log: zerolog.Nop(),
	}
	pub, err := p.Publish(ctx, rep)
	assert.NilError(t, err)
	const tag = "2024-01-02_0123456"
	pkgRepo := PackagesRepository(repo)
	var pushed []string
	for _, img := range pub.Pushed {
		pushed = append(pushed, img.Ref)
		assert.Check(t, strings.HasPrefix(img.Digest, "sha256:"))
	}
	assert.Check(t, is.DeepEqual(pushed, []string{repo + ":" + tag, pkgRepo + ":" + tag, repo + ":latest", pkgRepo + ":latest"}))
	assert.Check(t, is.Equal(pub.Tag, tag))
	assert.Check(t, is.Contains(inContext, "Dockerfile"))
	assert.Check(t, is.Contains(inContext, "root/packages/a.mpm"))
	assert.Check(t, is.Contains(inContext, "root/mike/osv-loader/osv-loader.qemu"))
	for _, name := range inContext {
		assert.Check(t, !strings.HasPrefix(name, "root/log") && !strings.HasPrefix(name, "root/intermediate"), name)
	}
	img, err := eng.InspectImage(ctx, pkgRepo+":"+tag)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(img.Labels[driver.LabelOSVCommit], unitCommit))
	assert.Check(t, is.Equal(img.Labels[labelSourceRun], "run-1"))
	tc, err := eng.InspectImage(ctx, repo+":"+tag)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(tc.ID, toolchain))
	assert.Check(t, is.DeepEqual(pub.RemovedTags, []string{repo + ":2023-12-31_0123456", repo + ":2023-12-30_0123456"}))
	assert.Check(t, is.Contains(readFileT(t, l.PublishLog()), "push "+repo+":"+tag))

	// A second publish of the same day moves the tags to the new packages image and drops the
	// old one, left without tags.
	first := img.ID
	assert.NilError(t, writeFile(l.MPM("a"), "newer a"))
	_, err = p.Publish(ctx, rep)
	assert.NilError(t, err)
	_, err = eng.InspectImage(ctx, first)
	assert.Check(t, errors.Is(err, engine.ErrNotFound), "the untagged packages image is removed: %v", err)
}

// What stops a push before anything is pushed, and a push the registry refuses.
func TestPublishPushFailuresOnFake(t *testing.T) {
	ctx := context.Background()
	const repo = "127.0.0.1:5000/pkgdriver/capstan-packages"
	ok := &report.Report{RunID: "r", Status: "ok", Toolchain: &report.Toolchain{ID: "sha256:1", Commit: unitCommit}}
	for _, tc := range []struct {
		name   string
		rep    *report.Report
		engine func() *enginetest.Engine
		err    string
	}{
		{name: "no engine", rep: ok, err: "no engine"},
		{name: "no toolchain", rep: &report.Report{RunID: "r", Status: "ok"}, engine: enginetest.New, err: "names no toolchain image"},
		{name: "toolchain gone", rep: ok, engine: enginetest.New, err: "tag toolchain image"},
		{name: "refused", rep: ok, engine: func() *enginetest.Engine {
			e := enginetest.New()
			e.AddImage(engine.Image{ID: "sha256:1"}, nil)
			e.PushScript = func(context.Context, string, engine.RegistryAuth, io.Writer) (engine.Pushed, error) {
				return engine.Pushed{}, errors.Join(errors.New("denied: requested access to the resource is denied"), engine.ErrUnauthorized)
			}
			return e
		}, err: "denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Publisher{Config: Config{Repository: repo}, Layout: pubResult(t), Credentials: CredentialSource{ConfigDir: t.TempDir()}, Log: zerolog.Nop()}
			if tc.engine != nil {
				p.Engine = tc.engine()
			}
			pub, err := p.Publish(ctx, tc.rep)
			assert.Check(t, is.ErrorContains(err, tc.err))
			assert.Check(t, is.Len(pub.Pushed, 0))
			assert.Check(t, is.Contains(pub.Error, tc.err))
			if tc.name == "refused" {
				assert.Check(t, errors.Is(err, ErrRegistryUnauthorized))
			}
		})
	}
}

func readFileT(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	assert.NilError(t, err)
	return string(data)
}

func writeFile(p, content string) error { return os.WriteFile(p, []byte(content), 0o644) }
