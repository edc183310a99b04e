package driver

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine/enginetest"
)

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
	assert.Check(t, is.Equal(rep.Status, "cancelled"))
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == StatusCancelled || r.Status == StatusQueued || r.Status == StatusNotBuilt, "%s: %s", r.Name, r.Status)
	}
	_, err = os.Stat(Layout{Root: env.result}.Report())
	assert.NilError(t, err, "the report is written")
}

// A recipe's --timeout ends its build as timed out; the others are not affected.
func TestRecipeTimeoutOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("stuck", []string{"hang"}, nil)
	env.recipe("fine", []string{"file f x", "init"}, nil)
	env.cfg.Timeout = 200 * time.Millisecond
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(result(t, rep, "stuck").Status, StatusTimedOut))
	assert.Check(t, is.Equal(result(t, rep, "fine").Status, StatusBuilt))
}

// Failures injected into single engine calls stay with the recipe whose call failed, named by
// the phase they happened in.
func TestEngineFailureIsolationOnFake(t *testing.T) {
	for _, tc := range []struct {
		name, method, phase string
	}{
		{name: "create", method: "Create", phase: "create"},
		{name: "copy in", method: "CopyIn", phase: "copy in"},
		{name: "run", method: "Run", phase: "build"},
		{name: "copy out", method: "CopyOut", phase: "gather"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.recipe("victim", []string{"file f x", "init"}, nil)
			env.recipe("bystander", []string{"file f x", "init"}, nil)
			env.eng.Err = func(c enginetest.Call) error {
				if c.Method != tc.method {
					return nil
				}
				victim := c.Spec != nil && c.Spec.Labels[LabelRecipe] == "victim"
				if len(c.Args) > 0 {
					if ct := env.eng.Container(c.Args[0]); ct != nil {
						victim = ct.Spec.Labels[LabelRecipe] == "victim"
					}
				}
				if victim {
					return errors.New("injected " + tc.method + " failure")
				}
				return nil
			}
			rep, err := env.execute(context.Background())
			assert.NilError(t, err)
			v := result(t, rep, "victim")
			assert.Check(t, is.Equal(v.Status, StatusFailed))
			assert.Check(t, is.Equal(v.Phase, tc.phase))
			assert.Check(t, is.Contains(v.Error, "injected"))
			assert.Check(t, is.Contains(v.Error, "recipe victim"))
			assert.Check(t, is.Equal(result(t, rep, "bystander").Status, StatusBuilt))
		})
	}
}
