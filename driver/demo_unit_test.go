package driver

import (
	"context"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// Demo tests on the fake: a demo that prints what it should passes, one that prints something
// else fails, one that never ends times out; a recipe without a demo is untested.
func TestExecuteDemoTestsOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.demo("hello")
	env.demo("wrong")
	env.demo("stuck")
	env.demo("crash")
	env.recipe("nodemo", []string{"file x y", "init"}, nil)
	env.console["wrong"] = "Goodbye\n"
	env.console["stuck"] = "hang\n"
	env.console["crash"] = "Uncaught signal 11 (\"Segmentation fault\"). Powering off.\n"
	env.cfg.SkipTests = false
	env.cfg.TestTimeout = 2 * time.Second
	env.cfg.Accel = AccelAuto
	env.probe = 1
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	for name, want := range map[string]TestStatus{"hello": TestPassed, "wrong": TestFailed, "stuck": TestTimedOut, "crash": TestFailed} {
		r := result(t, rep, name)
		assert.Check(t, is.Equal(r.Status, StatusBuilt), "%s: %s", name, r.Error)
		if assert.Check(t, r.Test != nil, name) {
			assert.Check(t, is.Equal(r.Test.Status, want), "%s: %s", name, r.Test.Error)
		}
	}
	assert.Check(t, is.Contains(result(t, rep, "crash").Test.Error, "signal 11"))
	assert.Check(t, result(t, rep, "nodemo").Test == nil || result(t, rep, "nodemo").Test.Status != TestFailed)
	assert.Check(t, is.Equal(rep.Accel, AccelTCG))

	// The probe's verdict is kept per toolchain image: a second run does not probe.
	env.cfg.RunID += "-2"
	env.cfg.SkipTests = true
	_, err = env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Len(env.containers("kvm-probe", env.cfg.RunID), 0), "probed again")
}
