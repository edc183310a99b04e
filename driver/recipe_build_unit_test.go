package driver

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkgdriver/pkgdriver/recipe"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
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
