package recipes_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/recipes"
)

// libraries are the built-in recipes that are not runnable by themselves.
var libraries = map[string]bool{"osv.bootstrap": true, "osv.nfs": true}

// knownBroken are the built-in recipes with a known-broken file: they build, but their demo fails
// on the OSv pkgdriver builds against, so "all" leaves them out.
var knownBroken = map[string]bool{}

// builtin discovers the built-in recipes as a run does.
func builtin(t *testing.T) *recipe.Catalog {
	t.Helper()
	dir, err := recipes.Materialize(t.TempDir())
	assert.NilError(t, err)
	cat, err := driver.Discover(context.Background(), []recipe.Dir{{Path: dir, Builtin: true}})
	assert.NilError(t, err)
	return cat
}

// TestCatalog: every built-in recipe is valid, documented, and — when runnable — has a run.yaml
// and a demo whose expected output proves the program ran (more than the boot banner).
func TestCatalog(t *testing.T) {
	cat := builtin(t)
	assert.Check(t, len(cat.Recipes) >= 12, "the catalogue has %d recipes", len(cat.Recipes))
	for _, r := range cat.Recipes {
		t.Run(r.Name, func(t *testing.T) {
			assert.NilError(t, r.Err)
			readme, err := os.ReadFile(filepath.Join(r.Dir, "meta", "README.md"))
			assert.NilError(t, err, "meta/README.md")
			assert.Check(t, is.Contains(string(readme), "# "+r.Name))
			urls, err := r.NetworkURLs()
			assert.NilError(t, err)
			if len(urls) > 0 {
				assert.Check(t, is.Contains(string(readme), "Needs the network"))
				for _, u := range urls {
					assert.Check(t, is.Contains(string(readme), u), "the README names %s", u)
				}
			} else {
				assert.Check(t, is.Contains(string(readme), "offline"))
			}
			assert.Check(t, (r.KnownBroken != "") == knownBroken[r.Name], "known-broken: %q", r.KnownBroken)
			_, err = os.Stat(filepath.Join(r.Dir, recipe.MetaRunYAML))
			if libraries[r.Name] {
				assert.Check(t, os.IsNotExist(err), "a library has no run.yaml")
				assert.Check(t, r.Demo == nil)
				return
			}
			assert.NilError(t, err, "a runnable recipe has meta/run.yaml")
			assert.Assert(t, r.Demo != nil, "a runnable recipe has a demo")
			expected, err := os.ReadFile(r.Demo.ExpectedStdout)
			assert.NilError(t, err)
			assert.Check(t, !strings.Contains(string(expected), "OSv v"), "the demo must prove the program ran, not the boot")
			assert.Check(t, len(strings.TrimSpace(string(expected))) >= 5)
		})
	}
}

// TestCatalogDefaultSelection: "all" (a default run, the nightly) is every built-in recipe but
// the known-broken ones, which are still selected when named.
func TestCatalogDefaultSelection(t *testing.T) {
	cat := builtin(t)
	all, err := cat.Select(recipe.Selection{All: true})
	assert.NilError(t, err)
	var want, got []string
	for _, name := range cat.Names() {
		if !knownBroken[name] {
			want = append(want, name)
		}
	}
	for _, r := range all {
		got = append(got, r.Name)
	}
	assert.DeepEqual(t, got, want)

	// The old container's first two, as users know them, are in "all" now.
	assert.Check(t, is.Contains(got, "erlang"))
	assert.Check(t, is.Contains(got, "mysql"))
	named, err := cat.Select(recipe.Selection{Names: []string{"erlang", "mysql"}})
	assert.NilError(t, err)
	assert.Equal(t, len(named), 2)
	assert.Equal(t, named[0].Name, "erlang")
	assert.Equal(t, named[0].KnownBroken, "")
}
