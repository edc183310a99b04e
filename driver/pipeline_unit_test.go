package driver

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
)

// errStage is a stage that fails with err.
type errStage struct {
	name string
	err  error
}

func (s errStage) String() string                  { return s.name }
func (s errStage) Run(context.Context, *Run) error { return s.err }

// A stage's failure is prefixed with its name once, and a usage error not at all: the message
// says what to change.
func TestRunStagesErrorPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "plain", err: errors.New("engine went away"), want: "toolchain image: engine went away"},
		{name: "names the stage already", err: &BuildError{Message: "boom"}, want: "toolchain image build failed: boom"},
		{name: "usage", err: usageError(errors.New(`unknown recipe: "x"`)), want: `unknown recipe: "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Log: zerolog.Nop()}}
			err := runStages(context.Background(), r, []Stage{errStage{name: "toolchain image", err: tc.err}})
			assert.Error(t, err, tc.want)
			assert.Check(t, errors.Is(err, tc.err))
		})
	}
}

// A whole run on the fake engine: one recipe builds, one fails, one runs out of memory; the
// failures stay with their recipes, the report says how each ended, and every container made
// is removed.
func TestExecuteOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("good", []string{"echo building", "file bin/good hello", "init"}, nil)
	env.recipe("bad", []string{"echo compiling", "echo error: no rule", "exit 3"}, nil)
	env.recipe("hungry", []string{"oom"}, nil)
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Status, report.RunFailed))
	good := result(t, rep, "good")
	assert.Check(t, is.Equal(good.Status, report.StatusBuilt), good.Error)
	assert.Check(t, good.Package != nil)
	_, err = os.Stat(resultdir.Layout{Root: env.result}.MPM("good"))
	assert.NilError(t, err)
	bad := result(t, rep, "bad")
	assert.Check(t, is.Equal(bad.Status, report.StatusFailed))
	assert.Check(t, is.Equal(bad.Phase, "build"))
	assert.Check(t, is.Contains(bad.Error, "recipe bad"))
	assert.Check(t, is.Contains(bad.Error, "3"))
	assert.Check(t, is.Contains(readFileT(t, resultdir.Layout{Root: env.result}.Log("bad")), "error: no rule"))
	hungry := result(t, rep, "hungry")
	assert.Check(t, is.Equal(hungry.Status, report.StatusFailed))
	assert.Check(t, hungry.OOMKilled)
	assert.Check(t, is.Contains(hungry.Error, "out of memory"))
	assert.Check(t, rep.Toolchain != nil && rep.Toolchain.Commit == fakeCommit)
	assert.Check(t, is.Contains(env.out.String(), "good"))

	// The same inputs again: the toolchain image is reused and the good package comes from
	// the cache; nothing is built that needs no building.
	env.cfg.RunID += "-2"
	env.cfg.Recipes.All, env.cfg.Recipes.Names = false, []string{"good"}
	before := len(env.eng.Calls())
	rep, err = env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(result(t, rep, "good").Status, report.StatusCached))
	assert.Check(t, rep.Toolchain.Reused)
	for _, c := range env.eng.Calls()[before:] {
		assert.Check(t, c.Method != "BuildImage", "built again: %v", c)
	}
}

// Ctrl-C during the builds: the recipes end cancelled, the report says the run was cancelled,
// and everything the run made is removed with a context that the cancellation does not reach.
func TestExecuteCancelOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("slow", []string{"echo started", "hang"}, nil)
	env.recipe("slower", []string{"hang"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-env.started
		cancel()
	}()
	rep, err := env.execute(ctx)
	assert.Check(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Assert(t, rep != nil)
	assert.Check(t, is.Equal(rep.Status, report.RunCancelled))
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == report.StatusCancelled || r.Status == report.StatusQueued || r.Status == report.StatusNotBuilt, "%s: %s", r.Name, r.Status)
	}
	_, err = os.Stat(resultdir.Layout{Root: env.result}.Report())
	assert.NilError(t, err, "the report is written")
}
