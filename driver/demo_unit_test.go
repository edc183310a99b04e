package driver

import (
	"context"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/report"
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
	for name, want := range map[string]report.TestStatus{"hello": report.TestPassed, "wrong": report.TestFailed, "stuck": report.TestTimedOut, "crash": report.TestFailed} {
		r := result(t, rep, name)
		assert.Check(t, is.Equal(r.Status, report.StatusBuilt), "%s: %s", name, r.Error)
		if assert.Check(t, r.Test != nil, name) {
			assert.Check(t, is.Equal(r.Test.Status, want), "%s: %s", name, r.Test.Error)
		}
	}
	assert.Check(t, is.Contains(result(t, rep, "crash").Test.Error, "signal 11"))
	assert.Check(t, result(t, rep, "nodemo").Test == nil || result(t, rep, "nodemo").Test.Status != report.TestFailed)
	assert.Check(t, is.Equal(rep.Accel, string(AccelTCG)))

	// The probe's verdict is kept per toolchain image: a second run does not probe.
	env.cfg.RunID += "-2"
	env.cfg.SkipTests = true
	_, err = env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Len(env.containers("kvm-probe", env.cfg.RunID), 0), "probed again")
}
