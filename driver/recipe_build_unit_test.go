package driver

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"

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

func TestSignalName(t *testing.T) {
	t.Parallel()
	assert.Check(t, is.Equal(signalName(9), "signal 9 (SIGKILL)"))
	assert.Check(t, is.Equal(signalName(15), "signal 15 (SIGTERM)"))
	assert.Check(t, is.Equal(signalName(33), "signal 33"))
}

func TestBuildScriptInterpreter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		script, want string
		args         []string
	}{
		{script: "#!/bin/nonexistent\necho\n", want: "/bin/nonexistent", args: []string{}},
		{script: "#! /bin/bash -e\n", want: "/bin/bash", args: []string{"-e"}},
		{script: "#!/usr/bin/env python3\n", want: "/usr/bin/env", args: []string{"python3"}},
		{script: "#!relative\n", want: ""},
		{script: "echo no shebang\n", want: ""},
		{script: "#!\n", want: ""},
		{script: "", want: ""},
	} {
		dir := t.TempDir()
		assert.NilError(t, os.WriteFile(filepath.Join(dir, "build.sh"), []byte(tc.script), 0o755))
		b := &recipeBuild{recipe: &recipe.Recipe{Name: "r", Dir: dir}}
		interp, args := b.interpreter()
		assert.Check(t, is.Equal(interp, tc.want), "%q", tc.script)
		assert.Check(t, is.DeepEqual(args, tc.args), "%q", tc.script)
	}
	b := &recipeBuild{recipe: &recipe.Recipe{Name: "r", Dir: t.TempDir()}}
	interp, _ := b.interpreter()
	assert.Check(t, is.Equal(interp, ""), "no build.sh")
}

// A recipe's --timeout ends its build as timed out; the others are not affected.
func TestRecipeTimeoutOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("stuck", []string{"hang"}, nil)
	env.recipe("fine", []string{"file f x", "init"}, nil)
	env.cfg.Timeout = 200 * time.Millisecond
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(result(t, rep, "stuck").Status, report.StatusTimedOut))
	assert.Check(t, is.Equal(result(t, rep, "fine").Status, report.StatusBuilt))
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
			assert.Check(t, is.Equal(v.Status, report.StatusFailed))
			assert.Check(t, is.Equal(v.Phase, tc.phase))
			assert.Check(t, is.Contains(v.Error, "injected"))
			assert.Check(t, is.Contains(v.Error, "recipe victim"))
			assert.Check(t, is.Equal(result(t, rep, "bystander").Status, report.StatusBuilt))
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
