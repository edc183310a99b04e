package driver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/docker/docker/errdefs"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/recipe"
)

func TestSignalName(t *testing.T) {
	t.Parallel()
	assert.Check(t, is.Equal(signalName(9), "signal 9 (SIGKILL)"))
	assert.Check(t, is.Equal(signalName(15), "signal 15 (SIGTERM)"))
	assert.Check(t, is.Equal(signalName(33), "signal 33"))
}

func TestConnectionBroke(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{err: fmt.Errorf("wait: %w", io.ErrUnexpectedEOF), want: true},
		{err: &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}, want: true},
		{err: fmt.Errorf("read: %w", syscall.ECONNRESET), want: true},
		{err: errdefs.NotFound(errors.New("no such container")), want: false},
		{err: errors.New("the engine said no"), want: false},
	} {
		assert.Check(t, is.Equal(connectionBroke(tc.err), tc.want), "%v", tc.err)
	}
	plain := errors.New("conflict")
	assert.Check(t, is.Equal(engineErr(plain), plain), "an answer of the engine is passed on as it is")
	assert.Check(t, is.ErrorContains(engineErr(io.ErrUnexpectedEOF), "the connection to the Docker engine broke"))
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
