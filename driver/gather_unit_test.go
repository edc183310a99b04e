package driver

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/report"
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

// What build.sh leaves that cannot be packaged fails the recipe in gather, naming the cause.
func TestGatherFailuresOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("gone", []string{"rmresult"}, nil)
	env.recipe("empty", []string{"echo nothing"}, nil)
	env.recipe("nometa", []string{"file f x"}, nil)
	env.recipe("pipe", []string{"file f x", "init", "special p fifo"}, nil)
	env.recipe("ships", []string{"file f x"}, map[string]string{"meta/package.yaml": "name: ships\ntitle: T\nauthor: tests\nversion: \"1.0\"\n"})
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	for name, want := range map[string]string{
		"gone":   "$PACKAGE_RESULT_DIR is gone",
		"empty":  "the result directory is empty",
		"nometa": "meta/package.yaml: missing",
		"pipe":   "fifo",
	} {
		r := result(t, rep, name)
		assert.Check(t, is.Equal(r.Status, report.StatusFailed), name)
		assert.Check(t, is.Contains(r.Error, want), name)
	}
	assert.Check(t, is.Equal(result(t, rep, "ships").Status, report.StatusBuilt), result(t, rep, "ships").Error)
}
