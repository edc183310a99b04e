package driver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/docker/docker/errdefs"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

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
