package driver

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine/enginetest"
)

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{n: -1, want: "none"},
		{n: 0, want: "none"},
		{n: 1, want: "1 B"},
		{n: 1023, want: "1023 B"},
		{n: 1024, want: "1.0 KiB"},
		{n: 1536, want: "1.5 KiB"},
		{n: 1 << 20, want: "1.0 MiB"},
		{n: 512 << 20, want: "512.0 MiB"},
		{n: 4 << 30, want: "4.0 GiB"},
		{n: 3 << 40, want: "3.0 TiB"},
		{n: 1 << 50, want: "1.0 PiB"},
		{n: 1 << 60, want: "1.0 EiB"},
		{n: math.MaxInt64, want: "8.0 EiB"},
	}
	for _, tc := range tests {
		assert.Check(t, formatBytes(tc.n) == tc.want, "formatBytes(%d) = %q, want %q", tc.n, formatBytes(tc.n), tc.want)
	}
}

func TestCPUCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cpus       float64
		engineCPUs int
		want       int
	}{
		{name: "--cpus rounds up", cpus: 1.5, engineCPUs: 8, want: 2},
		{name: "--cpus whole", cpus: 4, engineCPUs: 8, want: 4},
		{name: "engine CPUs without a limit", engineCPUs: 8, want: 8},
		{name: "at least one", want: 1},
	}
	for _, tc := range tests {
		r := &Run{Config: &Config{CPUs: tc.cpus}, EngineCPUs: tc.engineCPUs}
		assert.Check(t, r.cpuCount() == tc.want, "%s: got %d", tc.name, r.cpuCount())
	}
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

// A recipe whose build.sh is not executable, or whose interpreter is missing, is told so.
func TestBuildExitErrorsOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("killed", []string{"exit 137"}, nil)
	env.recipe("missing", []string{"exit 127"}, nil)
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Contains(result(t, rep, "killed").Error, "SIGKILL"))
	assert.Check(t, is.Contains(result(t, rep, "missing").Error, "127"))
}
