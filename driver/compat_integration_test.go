package driver_test

import (
	"context"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestOldContainerRecipes runs recipes of the container pkgdriver replaces, unchanged (copies in
// testdata/capstan-packages), through a recipe directory with the OSv stand-in: those that need
// only the OSv tree build; the one that clones from GitHub fails at once, naming the host.
func TestOldContainerRecipes(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := filepath.Join(t.TempDir(), "recipes"), t.TempDir()
	testutil.CopyDir(t, filepath.Join(testutil.RepoRoot(), "testdata", "capstan-packages"), recipes)
	cfg, out := testConfig(t, recipes, result)
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())

	for _, name := range []string{"sample-0.1", "osv.compose-remote", "osv.compose-remote-base", "osv.httpserver-api"} {
		res := resultOf(t, rep, name)
		assert.Check(t, res.Status == report.StatusBuilt, "%s: %s %s", name, res.Status, res.Error)
		arch, err := packager.VerifyFile(filepath.Join(result, "packages", name+".mpm"))
		if assert.Check(t, err) {
			assert.Check(t, is.Equal(arch.Package.Name, name))
			assert.Check(t, is.Equal(arch.Package.Author, "MIKELANGELO Project (info@mikelangelo-project.eu)"))
		}
	}
	// build.sh's own files and the recipe's meta/ both reach the package.
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "intermediate", "sample-0.1", "hello-world.txt")), "Hello world\n"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "intermediate", "osv.compose-remote-base", "meta", "run.yaml")), "/tools/cpiod.so --prefix /"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "sample-0.1.log")), "PACKAGE_NAME=sample-0.1"))

	py := resultOf(t, rep, "python-2.7")
	assert.Check(t, is.Equal(py.Status, report.StatusFailed))
	assert.Check(t, py.Duration < 60, "an offline clone fails at once, not after %.0f s", py.Duration)
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "python-2.7.log")), "github.com"))
}
