package driver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"gotest.tools/v3/assert"
)

func unitRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	return string(data)
}

func unitExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// unitInstalled puts an earlier package for name in place, as a previous run left it.
func unitInstalled(t *testing.T, l resultdir.Layout, name, content string) {
	t.Helper()
	assert.NilError(t, l.Create())
	assert.NilError(t, os.MkdirAll(filepath.Join(l.Intermediate(name), "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(l.Intermediate(name), content+".txt"), []byte(content), 0o644))
	assert.NilError(t, os.WriteFile(l.MPM(name), []byte(content+" mpm"), 0o644))
	assert.NilError(t, os.WriteFile(l.Descriptor(name), []byte(content+" yaml"), 0o644))
}
