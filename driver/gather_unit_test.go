package driver

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

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
