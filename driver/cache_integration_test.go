package driver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestIncrementalRebuild: an unchanged recipe is not rebuilt; a change to a file's content or
// mode, a damaged package, or --no-cache rebuilds it; two clean runs give identical packages.
func TestIncrementalRebuild(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	aDir := testutil.Recipe(t, recipes, "alpha", script(`date +%s%N > "$PACKAGE_RESULT_DIR/stamp"`, `cp data.txt "$PACKAGE_RESULT_DIR/"`, packageInit), map[string]string{"data.txt": "a\n"})
	bDir := testutil.Recipe(t, recipes, "beta", script(`cp data.txt "$PACKAGE_RESULT_DIR/"`, packageInit), map[string]string{"data.txt": "b\n"})

	statuses := func(rep *report.Report) map[string]report.Status {
		m := map[string]report.Status{}
		for _, r := range rep.Recipes {
			m[r.Name] = r.Status
		}
		return m
	}
	run := func(noCache bool) (*report.Report, string) {
		t.Helper()
		cfg, out := testConfig(t, recipes, result)
		cfg.NoCache = noCache
		rep, err := execute(t, ctx, api, cfg)
		assert.NilError(t, err)
		return rep, out.String()
	}

	rep, out := run(false)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusBuilt, "beta": report.StatusBuilt}))
	assert.Check(t, is.Contains(out, "cache: 0 hits, 2 misses"))
	alpha := readFile(t, filepath.Join(result, "packages", "alpha.mpm"))

	rep, out = run(false)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusCached, "beta": report.StatusCached}))
	assert.Check(t, is.Contains(out, "cache: 2 hits, 0 misses"))
	assert.Equal(t, readFile(t, filepath.Join(result, "packages", "alpha.mpm")), alpha, "a cached package is not touched")
	assert.Check(t, !rep.Failed())

	assert.NilError(t, os.WriteFile(filepath.Join(bDir, "data.txt"), []byte("b2\n"), 0o644))
	rep, _ = run(false)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusCached, "beta": report.StatusBuilt}))

	assert.NilError(t, os.Chmod(filepath.Join(aDir, "data.txt"), 0o600))
	rep, _ = run(false)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusBuilt, "beta": report.StatusCached}))

	assert.NilError(t, os.WriteFile(filepath.Join(result, "packages", "beta.mpm"), []byte("damaged"), 0o644))
	rep, _ = run(false)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusCached, "beta": report.StatusBuilt}))

	rep, _ = run(true)
	assert.Check(t, is.DeepEqual(statuses(rep), map[string]report.Status{"alpha": report.StatusBuilt, "beta": report.StatusBuilt}))

	// Reproducible: beta in a fresh result directory gives the same bytes.
	other := t.TempDir()
	cfg, _ := testConfig(t, recipes, other)
	_, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	assert.Equal(t, readFile(t, filepath.Join(other, "packages", "beta.mpm")), readFile(t, filepath.Join(result, "packages", "beta.mpm")))
}

// TestVerifyReproducible: a recipe with deterministic output rebuilds byte-identical; one that
// stamps the time is reported with the entry that differs.
func TestVerifyReproducible(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "steady", script(`printf 'same\n' > "$PACKAGE_RESULT_DIR/data"`, packageInit), nil)
	testutil.Recipe(t, recipes, "stamped", script(`mkdir -p "$PACKAGE_RESULT_DIR/etc"`, `date +%s%N > "$PACKAGE_RESULT_DIR/etc/stamp"`, packageInit), nil)
	cfg, _ := testConfig(t, recipes, result)
	_, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)

	cfg2, _ := testConfig(t, recipes, result)
	verdicts, err := driver.VerifyReproducible(ctx, cfg2, docker.Wrap(api), []string{"stamped", "steady"})
	assert.NilError(t, err)
	assert.Equal(t, len(verdicts), 2)
	got := map[string]driver.Reproduction{}
	for _, v := range verdicts {
		got[v.Recipe] = v
	}
	assert.Check(t, got["steady"].Reproducible, "%+v", got["steady"])
	assert.Check(t, !got["stamped"].Reproducible)
	assert.Check(t, is.DeepEqual(got["stamped"].Differences, []packager.Difference{{Entry: "/etc/stamp", Reason: "content differs"}}))
	entries, _ := os.ReadDir(filepath.Join(result, ".pkgdriver"))
	for _, e := range entries {
		assert.Check(t, !strings.HasPrefix(e.Name(), "reproduce-"), "scratch left: %s", e.Name())
	}

	_, err = driver.VerifyReproducible(ctx, cfg2, docker.Wrap(api), []string{"never-built"})
	assert.Check(t, is.ErrorContains(err, "no "+filepath.Join(result, "packages", "never-built.mpm")+" to compare with"))
}
