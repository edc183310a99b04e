package driver_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestRunRecipes runs four recipes with --jobs 3 through the real engine: one delivering files,
// symlinks and a nested meta, one failing, one over its timeout, one writing to stdout and
// stderr alternately. A second run makes the first-built recipe fail and checks its previous
// package survived.
func TestRunRecipes(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()

	testutil.Recipe(t, recipes, "good", script(
		`test -e "$OSV_BUILD_DIR/loader.img"`,
		`echo "env: $PACKAGE_NAME $PLATFORM cpus=$CPU_COUNT recipe=$RECIPE_DIR"`,
		`mkdir -p "$PACKAGE_RESULT_DIR/usr/lib" "$PACKAGE_RESULT_DIR/data/deep"`,
		`echo payload > "$PACKAGE_RESULT_DIR/usr/lib/libgood.so"`,
		`ln -s /usr/lib/libgood.so "$PACKAGE_RESULT_DIR/libgood-abs.so"`,
		`ln -s ../usr/lib/libgood.so "$PACKAGE_RESULT_DIR/data/rel.so"`,
		`printf '#!/bin/sh\necho tool\n' > "$PACKAGE_RESULT_DIR/data/deep/tool" && chmod 0777 "$PACKAGE_RESULT_DIR/data/deep/tool"`,
		`cp "$COMMON_DIR/shared.txt" "$PACKAGE_RESULT_DIR/data/common.txt"`,
		packageInit,
	), map[string]string{
		"meta/README.md":     "# good\n",
		"meta/sub/notes.txt": "nested meta\n",
	})
	testutil.Recipe(t, recipes, "common", "", nil) // common/ is shared files, not a recipe
	assert.NilError(t, os.Remove(filepath.Join(recipes, "common", "build.sh")))
	assert.NilError(t, os.WriteFile(filepath.Join(recipes, "common", "shared.txt"), []byte("from common\n"), 0o644))
	testutil.Recipe(t, recipes, "flaky", script(`echo "version 1"`, `echo one > "$PACKAGE_RESULT_DIR/one"`, packageInit), nil)
	testutil.Recipe(t, recipes, "slow", script(`echo started`, `sleep 300`), nil)
	var chatty []string
	for i := 1; i <= 20; i++ {
		chatty = append(chatty, "echo out "+itoa(i), "echo err "+itoa(i)+" >&2")
	}
	testutil.Recipe(t, recipes, "chatty", script(append(chatty, packageInit)...), nil)

	cfg, out := testConfig(t, recipes, result)
	cfg.Timeout = 20 * time.Second
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())

	assert.Equal(t, resultOf(t, rep, "good").Status, report.StatusBuilt)
	assert.Equal(t, resultOf(t, rep, "flaky").Status, report.StatusBuilt)
	assert.Equal(t, resultOf(t, rep, "chatty").Status, report.StatusBuilt)
	slow := resultOf(t, rep, "slow")
	assert.Equal(t, slow.Status, report.StatusTimedOut)
	assert.Check(t, is.Contains(slow.Error, "timed out after 20s"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "slow.log")), "started"))
	assert.Check(t, rep.Failed())
	assert.Check(t, is.Contains(out.String(), "slow"))

	// report.json on disk says the same.
	var onDisk report.Report
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(result, "report.json"))), &onDisk))
	assert.Equal(t, len(onDisk.Recipes), 4)
	assert.Equal(t, onDisk.Toolchain.Describe, testutil.StandinVersion)

	// The log keeps the order lines were written in, both streams interleaved.
	var want strings.Builder
	for i := 1; i <= 20; i++ {
		want.WriteString("out " + itoa(i) + "\nerr " + itoa(i) + "\n")
	}
	want.WriteString("wrote meta/package.yaml\n")
	assert.Equal(t, readFile(t, filepath.Join(result, "log", "chatty.log")), want.String())
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "good.log")), "env: good Debian-12"))

	// The package: files, symlinks kept as links, nested meta, modes normalised.
	arch, err := packager.VerifyFile(filepath.Join(result, "packages", "good.mpm"))
	assert.NilError(t, err)
	entries := map[string]packager.Entry{}
	for _, e := range arch.Entries {
		entries[e.Name] = e
	}
	for _, name := range []string{"usr/lib/libgood.so", "meta/README.md", "meta/sub/notes.txt", "meta/package.yaml", "data/common.txt", "data/deep/tool"} {
		assert.Check(t, entries[name].Type == tar.TypeReg, "entry %s: %+v", name, entries[name])
	}
	assert.Check(t, is.Equal(entries["libgood-abs.so"].Linkname, "/usr/lib/libgood.so"))
	assert.Check(t, is.Equal(entries["libgood-abs.so"].Type, byte(tar.TypeSymlink)))
	assert.Check(t, is.Equal(entries["data/rel.so"].Linkname, "../usr/lib/libgood.so"))
	assert.Check(t, is.Equal(entries["data/deep/tool"].Mode&0o777, int64(0o755)))
	assert.Equal(t, readFile(t, filepath.Join(result, "intermediate", "good", "meta", "sub", "notes.txt")), "nested meta\n")
	link, err := os.Readlink(filepath.Join(result, "intermediate", "good", "libgood-abs.so"))
	assert.NilError(t, err)
	assert.Equal(t, link, "/usr/lib/libgood.so")
	desc, err := packager.LoadPackage(filepath.Join(result, "packages", "good.yaml"))
	assert.NilError(t, err)
	assert.Equal(t, desc.Name, "good")
	fi, err := os.Stat(filepath.Join(result, "packages", "good.mpm"))
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))
	assert.Equal(t, resultOf(t, rep, "good").Package.Size, fi.Size())

	// The loader, once per run, for old and current Capstan, and the ZFS builder.
	checkCapstanLayout(t, result, rep)

	// Second run: flaky now fails with exit 3; its previous good package must survive.
	before := readFile(t, filepath.Join(result, "packages", "flaky.mpm"))
	testutil.Recipe(t, recipes, "flaky", script(`echo "version 2"`, `echo two > "$PACKAGE_RESULT_DIR/two"`, `exit 3`), nil)
	cfg2, _ := testConfig(t, recipes, result)
	cfg2.Recipes = recipe.Selection{Names: []string{"flaky"}}
	rep2, err := execute(t, ctx, api, cfg2)
	assert.NilError(t, err)
	flaky := resultOf(t, rep2, "flaky")
	assert.Equal(t, flaky.Status, report.StatusFailed)
	assert.Equal(t, *flaky.ExitCode, 3)
	assert.Equal(t, flaky.Phase, "build")
	assert.Check(t, is.Contains(flaky.Error, "exited with status 3"))
	assert.Check(t, is.DeepEqual(flaky.LogTail, []string{"version 2"}))
	assert.Equal(t, readFile(t, filepath.Join(result, "packages", "flaky.mpm")), before)
	assert.Equal(t, readFile(t, filepath.Join(result, "intermediate", "flaky", "one")), "one\n")
	_, err = os.Stat(filepath.Join(result, "intermediate", "flaky", "two"))
	assert.Check(t, os.IsNotExist(err))
	// KEEP_RECIPES (default): the recipes not rebuilt keep their results.
	_, err = os.Stat(filepath.Join(result, "packages", "good.mpm"))
	assert.Check(t, err)
}

// TestOSvTreeIsolation shows each recipe gets its own copy-on-write OSv tree by default, and
// that SHARE_OSV_DIR gives them one tree (a volume, removed after the run).
func TestOSvTreeIsolation(t *testing.T) {
	api := testutil.Engine(t)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "a-writer", script(`rm -rf "$OSV_DIR/scripts"`, `echo mark > "$OSV_DIR/marker"`, packageInit), nil)
	testutil.Recipe(t, recipes, "b-reader", script(`test -e "$OSV_DIR/scripts/build"`, `test ! -e "$OSV_DIR/marker"`, packageInit), nil)
	testutil.Recipe(t, recipes, "c-shared", script(`test -e "$OSV_DIR/marker"`, packageInit), nil)

	cfg, _ := testConfig(t, recipes, t.TempDir())
	cfg.Jobs = 1
	cfg.Recipes = recipe.Selection{Names: []string{"a-writer", "b-reader"}}
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	assert.Equal(t, resultOf(t, rep, "a-writer").Status, report.StatusBuilt)
	assert.Equal(t, resultOf(t, rep, "b-reader").Status, report.StatusBuilt, "b-reader saw a-writer's changes: %+v", resultOf(t, rep, "b-reader"))

	cfg, _ = testConfig(t, recipes, t.TempDir())
	cfg.Jobs = 1
	cfg.ShareOSVDir = true
	cfg.Recipes = recipe.Selection{Names: []string{"a-writer", "c-shared"}}
	rep, err = execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	assert.Equal(t, resultOf(t, rep, "c-shared").Status, report.StatusBuilt, "c-shared did not see the shared tree: %+v", resultOf(t, rep, "c-shared"))
}

// TestInvalidRecipeFailsAlone: an invalid recipe fails on its own line; the others build.
func TestInvalidRecipeFailsAlone(t *testing.T) {
	api := testutil.Engine(t)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "fine", script(packageInit), nil)
	dir := testutil.Recipe(t, recipes, "noexec", script(packageInit), nil)
	assert.NilError(t, os.Chmod(filepath.Join(dir, "build.sh"), 0o644))
	testutil.Recipe(t, recipes, "wrongname", script(`cd "$PACKAGE_RESULT_DIR" && capstan package init --name other --title T --author A`), nil)
	testutil.Recipe(t, recipes, "nometa", script(`echo x > "$PACKAGE_RESULT_DIR/x"`), nil)

	cfg, _ := testConfig(t, recipes, t.TempDir())
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	assert.Equal(t, resultOf(t, rep, "fine").Status, report.StatusBuilt)
	for name, want := range map[string]string{
		"noexec":    `build.sh`,
		"wrongname": `meta/package.yaml: field "name": "other" differs from the recipe name "wrongname"`,
		"nometa":    `meta/package.yaml`,
	} {
		res := resultOf(t, rep, name)
		assert.Check(t, is.Equal(res.Status, report.StatusFailed), name)
		assert.Check(t, is.Contains(res.Error, name), "the error names the recipe")
		assert.Check(t, is.Contains(res.Error, want), name)
	}
	assert.Equal(t, resultOf(t, rep, "noexec").Phase, "validate")
	_, err = os.Stat(filepath.Join(cfg.ResultDir, "packages", "wrongname.mpm"))
	assert.Check(t, os.IsNotExist(err))
}

func itoa(i int) string { return strconv.Itoa(i) }
