//go:build unix

package packager

import (
	"bytes"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
)

func TestPackRefusesFifo(t *testing.T) {
	dir := packageTree(t, node{path: "data/keep", content: "x"})
	assert.NilError(t, syscall.Mkfifo(filepath.Join(dir, "data", "pipe"), 0o644))
	err := Pack(t.Context(), dir, &bytes.Buffer{}, PackOptions{})
	var ue *UnsupportedFileError
	assert.Assert(t, errors.As(err, &ue), "got %v", err)
	assert.Equal(t, ue.Path, "data/pipe")
	assert.ErrorContains(t, err, `"data/pipe" is a named pipe`)
}
