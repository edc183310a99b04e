package driver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
)

func TestInputHash(t *testing.T) {
	t.Parallel()
	base := map[string]string{"BASE_IMAGE": "debian:bookworm", "OSV_COMMIT": "abc123", "OSV_BUILD_ARGS": "fs=rofs"}
	with := func(change func(map[string]string)) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		change(m)
		return m
	}
	want := inputHash("ctx", base)
	assert.Equal(t, len(want), 64)

	differs := []struct {
		name string
		ctx  string
		args map[string]string
	}{
		{name: "context hash", ctx: "ctx2", args: base},
		{name: "empty context hash", ctx: "", args: base},
		{name: "a value", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_COMMIT"] = "abc124" })},
		{name: "another value", ctx: "ctx", args: with(func(m map[string]string) { m["BASE_IMAGE"] = "debian:trixie" })},
		{name: "a value emptied", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_BUILD_ARGS"] = "" })},
		{name: "an arg added", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_DEPS"] = "" })},
		{name: "an arg removed", ctx: "ctx", args: with(func(m map[string]string) { delete(m, "OSV_BUILD_ARGS") })},
		{name: "an arg renamed", ctx: "ctx", args: with(func(m map[string]string) { m["OSV_BUILD_ARG"] = m["OSV_BUILD_ARGS"]; delete(m, "OSV_BUILD_ARGS") })},
		{name: "no args", ctx: "ctx", args: nil},
		// Quoting keeps one argument from posing as two.
		{name: "a value that spells another arg", ctx: "ctx", args: map[string]string{
			"BASE_IMAGE": "debian:bookworm\"\n\"OSV_BUILD_ARGS\"=\"fs=rofs", "OSV_COMMIT": "abc123",
		}},
	}
	seen := map[string]string{want: "base"}
	for _, tc := range differs {
		got := inputHash(tc.ctx, tc.args)
		assert.Check(t, got != want, "%s: same hash as the base", tc.name)
		if prev, ok := seen[got]; ok && prev != "base" {
			t.Errorf("%s: same hash as %s", tc.name, prev)
		}
		seen[got] = tc.name
	}

	// Map iteration order is random; the hash must not be. Build the same map in several
	// insertion orders and hash each many times.
	orders := [][]string{
		{"BASE_IMAGE", "OSV_COMMIT", "OSV_BUILD_ARGS"},
		{"OSV_BUILD_ARGS", "OSV_COMMIT", "BASE_IMAGE"},
		{"OSV_COMMIT", "BASE_IMAGE", "OSV_BUILD_ARGS"},
	}
	for _, order := range orders {
		m := map[string]string{}
		for _, k := range order {
			m[k] = base[k]
		}
		for i := 0; i < 20; i++ {
			assert.Equal(t, inputHash("ctx", m), want)
		}
	}
}

// The toolchain image on the fake: a failed build is a BuildError naming the step and the
// last lines, the stage's failure ends the run before any recipe, and --rebuild-image builds
// anew, without the cache, and the run uses that image from then on.
func TestToolchainOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file f x", "init"}, nil)
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		fmt.Fprintln(spec.Log, "Step 3/5 : RUN make")
		return "", &engine.BuildError{Step: "Step 3/5 : RUN make", Message: "returned a non-zero code: 2", Tail: []string{"make: *** [all] Error 2"}}
	}
	rep, err := env.execute(context.Background())
	var be *BuildError
	assert.Assert(t, errors.As(err, &be), "%v", err)
	assert.Check(t, is.ErrorContains(err, "toolchain image build failed at Step 3/5 : RUN make: returned a non-zero code: 2"))
	assert.Check(t, is.Contains(err.Error(), "make: *** [all] Error 2"))
	assert.Check(t, is.Len(env.containers("build", ""), 0))
	assert.Check(t, rep != nil && rep.Status == report.RunError)
	assert.Check(t, is.Contains(readFileT(t, resultdir.Layout{Root: env.result}.ToolchainLog()), "Step 3/5"))

	env.eng.BuildScript = nil
	env.cfg.RunID += "-2"
	first, err := env.execute(context.Background())
	assert.NilError(t, err)
	env.cfg.RunID += "-3"
	env.cfg.Image.Rebuild = true
	rebuilt, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, rebuilt.Toolchain.ID != first.Toolchain.ID, "rebuilt")
	assert.Check(t, !rebuilt.Toolchain.Reused)
	img, err := env.eng.InspectImage(context.Background(), rebuilt.Toolchain.ID)
	assert.NilError(t, err)
	assert.Check(t, img.Labels[labelRebuilt] != "")
	env.cfg.RunID += "-4"
	env.cfg.Image.Rebuild = false
	later, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(later.Toolchain.ID, rebuilt.Toolchain.ID), "a later run uses the rebuilt image")
	assert.Check(t, later.Toolchain.Reused)
}
