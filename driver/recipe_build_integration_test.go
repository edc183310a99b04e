package driver_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// TestRecipeTreeLinks: symlinks in a recipe tree that resolve inside the recipes directory reach
// the build container as what they point to (a file's content, a directory's tree; common/
// itself a link), and the cache key covers those targets: editing a link's target rebuilds. A
// link to a host file is refused before any container, naming the path and the target.
func TestRecipeTreeLinks(t *testing.T) {
	cli := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(recipes, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	link := func(target, rel string) {
		assert.NilError(t, os.Symlink(target, filepath.Join(recipes, rel)))
	}
	// Dot-directories are not recipes: a place for shared files.
	write(".shared/data.txt", "sibling data one\n")
	write(".shared/sub/deep.txt", "deep\n")
	write(".store/common/patch.txt", "common through a link\n")
	link(".store/common", "common")
	testutil.Recipe(t, recipes, "linked", script(
		`for f in data.txt dir dir/sub/deep.txt; do test ! -L "$f" || { echo "$f is a link"; exit 1; }; done`,
		`test ! -L "$COMMON_DIR" && test -d "$COMMON_DIR"`,
		`cat data.txt dir/sub/deep.txt "$COMMON_DIR/patch.txt" > "$PACKAGE_RESULT_DIR/seen.txt"`,
		packageInit,
	), nil)
	link("../.shared/data.txt", "linked/data.txt")
	link("../.shared", "linked/dir")
	testutil.Recipe(t, recipes, "hostlink", script(packageInit), nil)
	assert.NilError(t, os.MkdirAll(filepath.Join(recipes, "hostlink", "data"), 0o755))
	link("/etc/hostname", "hostlink/data/host")

	cfg, _ := testConfig(t, recipes, result)
	rep, err := execute(t, ctx, cli, cfg)
	assert.NilError(t, err)
	res := resultOf(t, rep, "linked")
	assert.Assert(t, is.Equal(res.Status, driver.StatusBuilt), "%s\n%s", res.Error, readFile(t, filepath.Join(result, "log", "linked.log")))
	seen := filepath.Join(result, "intermediate", "linked", "seen.txt")
	assert.Check(t, is.Equal(readFile(t, seen), "sibling data one\ndeep\ncommon through a link\n"))

	host := resultOf(t, rep, "hostlink")
	assert.Check(t, is.Equal(host.Status, driver.StatusFailed))
	assert.Check(t, is.Equal(host.Phase, "validate"))
	assert.Check(t, is.Contains(host.Error, `recipe "hostlink": data/host: symlink to "/etc/hostname": leads outside the recipes directory`))
	assert.Check(t, host.ExitCode == nil, "a container ran")

	// The cache key covers the link's target: editing it rebuilds, with the new content.
	write(".shared/data.txt", "sibling data two\n")
	cfg, _ = testConfig(t, recipes, result)
	cfg.Recipes.All, cfg.Recipes.Names = false, []string{"linked"}
	rep, err = execute(t, ctx, cli, cfg)
	assert.NilError(t, err)
	res = resultOf(t, rep, "linked")
	assert.Check(t, is.Equal(res.Status, driver.StatusBuilt), "the edited link target did not change the cache key")
	assert.Check(t, is.Equal(readFile(t, seen), "sibling data two\ndeep\ncommon through a link\n"))
}
