package driver

import (
	"context"
	"os"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

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
	assert.Check(t, is.Equal(rep.Status, "failed"))
	good := result(t, rep, "good")
	assert.Check(t, is.Equal(good.Status, StatusBuilt), good.Error)
	assert.Check(t, good.Package != nil)
	_, err = os.Stat(Layout{Root: env.result}.MPM("good"))
	assert.NilError(t, err)
	bad := result(t, rep, "bad")
	assert.Check(t, is.Equal(bad.Status, StatusFailed))
	assert.Check(t, is.Equal(bad.Phase, "build"))
	assert.Check(t, is.Contains(bad.Error, "recipe bad"))
	assert.Check(t, is.Contains(bad.Error, "3"))
	assert.Check(t, is.Contains(readFileT(t, Layout{Root: env.result}.Log("bad")), "error: no rule"))
	hungry := result(t, rep, "hungry")
	assert.Check(t, is.Equal(hungry.Status, StatusFailed))
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
	assert.Check(t, is.Equal(result(t, rep, "good").Status, StatusCached))
	assert.Check(t, rep.Toolchain.Reused)
	for _, c := range env.eng.Calls()[before:] {
		assert.Check(t, c.Method != "BuildImage", "built again: %v", c)
	}
}

func readFileT(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	assert.NilError(t, err)
	return string(data)
}

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

// A working KVM probe makes the run use KVM and hand containers /dev/kvm.
func TestAccelProbeKVM(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file x y", "init"}, nil)
	env.cfg.Accel = AccelAuto
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Accel, AccelKVM))
	for _, c := range env.eng.Containers() {
		if c.Spec.Labels[LabelRole] == "build" {
			assert.Check(t, is.DeepEqual(c.Spec.Devices, []string{kvmDevice}))
		}
	}
}
