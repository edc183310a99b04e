package rss

import (
	"os"
	"testing"

	"gotest.tools/v3/assert"
)

func TestVmHWM(t *testing.T) {
	v, err := VmHWM(os.Getpid())
	assert.NilError(t, err)
	assert.Assert(t, v > 1<<20, "a Go test process uses more than 1 MiB: %d", v)
}
