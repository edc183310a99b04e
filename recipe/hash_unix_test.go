//go:build unix

package recipe

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
)

func TestHashRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	minimal().write(t, dir)
	assert.NilError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))
	_, err := Hash(context.Background(), &Recipe{Name: "app", Dir: dir}, nil)
	assert.Assert(t, errors.Is(err, ErrUnsupportedFile), "%v", err)
	assert.ErrorContains(t, err, "pipe")
}
