package docker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// The advice fits how pkgdriver was installed: the test binary is no checkout's bin/, so it
// gets the distribution's way; DOCKER_HOST is named when it is what points elsewhere.
// t.Setenv makes this test sequential.
func TestAdvice(t *testing.T) {
	t.Setenv("DOCKER_HOST", "")
	got := advice()
	assert.Check(t, is.Contains(got, "systemctl start docker"))
	assert.Check(t, is.Contains(got, "dockerd"))
	assert.Check(t, !is.Contains(got, "scripts/")().Success(), got)

	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	assert.Check(t, is.Contains(advice(), "DOCKER_HOST=tcp://127.0.0.1:1"))
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
		{err: cerrdefs.ErrNotFound.WithMessage("no such container"), want: false},
		{err: errors.New("the engine said no"), want: false},
	} {
		assert.Check(t, is.Equal(connectionBroke(tc.err), tc.want), "%v", tc.err)
	}
	plain := errors.New("conflict")
	assert.Check(t, is.Equal(wrapErr(plain), plain), "an answer of the engine is passed on as it is")
	assert.Check(t, is.ErrorContains(wrapErr(io.ErrUnexpectedEOF), "the connection to the Docker engine broke"))
}

// The Docker client's errors unwrap to the engine's kinds, through wrapping too.
func TestWrapErrKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		kind error
	}{
		{err: cerrdefs.ErrNotFound.WithMessage("no such container"), kind: engine.ErrNotFound},
		{err: fmt.Errorf("remove: %w", cerrdefs.ErrConflict.WithMessage("removal in progress")), kind: engine.ErrConflict},
		{err: cerrdefs.ErrUnauthenticated.WithMessage("who are you"), kind: engine.ErrUnauthorized},
		{err: cerrdefs.ErrPermissionDenied.WithMessage("denied"), kind: engine.ErrUnauthorized},
	} {
		got := wrapErr(tc.err)
		assert.Check(t, errors.Is(got, tc.kind), "%v", got)
		assert.Check(t, is.Equal(got.Error(), tc.err.Error()))
	}
	assert.Check(t, wrapErr(nil) == nil)
	assert.Check(t, engine.IgnoreGone(wrapErr(cerrdefs.ErrNotFound.WithMessage("gone"))) == nil)
}
