package report

import (
	"os"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

func TestLoad(t *testing.T) {
	l := resultdir.Layout{Root: t.TempDir()}
	_, err := Load(l)
	assert.ErrorContains(t, err, "publish needs the result of `pkgdriver run`")
	assert.NilError(t, os.WriteFile(l.Report(), []byte(`{"run_id":"r","toolchain":{"id":"sha256:1","osv_commit":"0123456789"},"recipes":[]}`), 0o644))
	rep, err := Load(l)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Toolchain.ShortCommit(), "0123456"))
}
