package driver

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/recipe"
)

func TestPrintable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{in: "plain text", want: "plain text"},
		{in: "tab\tkept", want: "tab\tkept"},
		{in: "trailing CR\r\r", want: "trailing CR"},
		{in: "inner\rCR", want: `inner\x0dCR`},
		{in: "\x1b[31mred\x1b[0m", want: `\x1b[31mred\x1b[0m`},
		{in: "title \x1b]0;pwned\x07", want: `title \x1b]0;pwned\x07`},
		{in: "nul \x00 del \x7f", want: `nul \x00 del \x7f`},
		{in: "C1 \u0085 \u009b", want: `C1 \x85 \x9b`},
		{in: "bad \xff\xfe bytes", want: "bad \uFFFD bytes"},
		{in: "unicode stays: żółw ✓", want: "unicode stays: żółw ✓"},
	} {
		assert.Check(t, is.Equal(linetail.Printable(tc.in), tc.want), "%q", tc.in)
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

func TestCheckResultDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	assert.NilError(t, os.Mkdir(filepath.Join(dir, "good"), 0o755))
	assert.NilError(t, os.Symlink("/etc", filepath.Join(dir, "link")))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	const in = "/pkgdriver/result/x"
	assert.Check(t, checkResultDir(filepath.Join(dir, "good"), in))
	assert.Check(t, is.ErrorContains(checkResultDir(filepath.Join(dir, "link"), in), `replaced /pkgdriver/result/x with a symlink to "/etc"`))
	assert.Check(t, is.ErrorContains(checkResultDir(filepath.Join(dir, "file"), in), "with a regular file"))
	assert.Check(t, is.ErrorContains(checkResultDir(filepath.Join(dir, "missing"), in), "sent nothing"))
	empty, err := emptyDir(filepath.Join(dir, "good"))
	assert.Check(t, err)
	assert.Check(t, empty)
	empty, err = emptyDir(dir)
	assert.Check(t, err)
	assert.Check(t, !empty)
}
