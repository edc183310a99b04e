package recipes_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/recipes"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestCatalogBuildsWithStandin builds the built-in recipes whose build needs no real OSv (they
// compile with the toolchain's gcc) through the real engine, with the OSv stand-in toolchain.
// Their demos boot real programs, which only real OSv runs; that is verified outside CI.
func TestCatalogBuildsWithStandin(t *testing.T) {
	api := testutil.Engine(t)
	dir, err := recipes.Materialize(t.TempDir())
	assert.NilError(t, err)
	result := t.TempDir()
	cfg := &driver.Config{
		ResultDir:   result,
		RecipeDirs:  []recipe.Dir{{Path: dir, Builtin: true}},
		Recipes:     recipe.Selection{Names: []string{"native-hello", "tcp-probe"}},
		SkipTests:   true,
		KeepRecipes: true, Silent: true,
		Jobs: 2, Timeout: 10 * time.Minute, Accel: driver.AccelTCG,
		Image: driver.ImageConfig{
			BaseImage: testutil.BaseImage, OSVSrc: testutil.StandinOSv(t),
			OSVBuildArgs: "fs=rofs image=native-example",
			BuildArgs:    map[string]string{"OSV_DEPS": "", "APP_PACKAGES": ""},
			Capstan:      testutil.Pkgdriver(t), Repository: "pkgdriver-test/toolchain",
		},
		RunID: "test-catalog-" + time.Now().Format("150405.000000"), Version: "test",
		Log: zerolog.New(zerolog.NewTestWriter(t)),
	}
	rep, err := driver.Execute(context.Background(), cfg, docker.Wrap(api))
	assert.NilError(t, err)
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == report.StatusBuilt, "%s: %s %s", r.Name, r.Status, r.Error)
	}
	for _, name := range []string{"native-hello", "tcp-probe"} {
		arch, err := packager.VerifyFile(result + "/packages/" + name + ".mpm")
		assert.NilError(t, err)
		assert.Equal(t, arch.Package.Name, name)
		assert.Check(t, arch.RunConfig != nil, "%s ships meta/run.yaml", name)
	}
	containers, volumes := testutil.Leftovers(t, api, cfg.RunID)
	assert.Check(t, len(containers)+len(volumes) == 0)
}
