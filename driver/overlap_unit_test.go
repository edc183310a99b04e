package driver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/recipe"
)

func TestCheckOverlap(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	recipes := filepath.Join(root, "recipes")
	assert.NilError(t, os.MkdirAll(recipes, 0o755))
	assert.NilError(t, os.Symlink(recipes, filepath.Join(root, "alias")))
	assert.NilError(t, os.Symlink(root, filepath.Join(recipes, "up"))) // a link in the recipes dir to its parent
	dirs := []recipe.Dir{{Path: filepath.Join(root, "gone")}, {Path: recipes}}
	for _, tc := range []struct {
		result string
		want   string // "" for no overlap
	}{
		{recipes, "is a user recipes directory"},
		{recipes + "/", "is a user recipes directory"},
		{filepath.Join(recipes, "a", "b"), "lies inside"},
		{filepath.Join(root, "alias", "new"), "lies inside"},
		{filepath.Join(recipes, "up"), "holds"},
		{root, "holds"},
		{filepath.Join(root, "result"), ""},
		{filepath.Join(root, "recipes-result"), ""}, // a common prefix is not containment
		{filepath.Join(root, "gone", "x"), ""},      // a recipes directory that is not there is Discover's to report
	} {
		err := CheckOverlap(tc.result, dirs)
		if tc.want == "" {
			assert.Check(t, err, tc.result)
			continue
		}
		assert.Check(t, errors.Is(err, ErrUsage), "%s: %v", tc.result, err)
		assert.Check(t, is.ErrorContains(err, tc.want), tc.result)
		assert.Check(t, is.ErrorContains(err, recipes), tc.result)
	}
}

func TestResolvePathOfMissingTail(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	real := filepath.Join(root, "real")
	assert.NilError(t, os.Mkdir(real, 0o755))
	assert.NilError(t, os.Symlink(real, filepath.Join(root, "link")))
	got, err := resolvePath(filepath.Join(root, "link", "not", "yet"))
	assert.NilError(t, err)
	want, _ := filepath.EvalSymlinks(real)
	assert.Equal(t, got, filepath.Join(want, "not", "yet"))
}
