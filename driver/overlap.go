package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkgdriver/pkgdriver/recipe"
)

// CheckOverlap refuses a result directory that is a recipes directory, lies inside one, or holds
// one, compared after resolving symlinks (the result directory need not exist yet): the run would
// read its own output as recipes (log/, packages/ and intermediate/ become "recipes"), or write
// into a recipe tree. It is a usage error, found before anything is written.
func CheckOverlap(resultDir string, dirs []recipe.Dir) error {
	result, err := resolvePath(resultDir)
	if err != nil {
		return nil // not a usable directory at all: the result directory's own check says why
	}
	for _, d := range dirs {
		abs, err := filepath.Abs(d.Path)
		if err != nil {
			continue
		}
		rd, err := filepath.EvalSymlinks(abs)
		if err != nil {
			continue // Discover reports a recipes directory that is not there
		}
		what := "a user recipes directory"
		if d.Builtin {
			what = "the built-in recipes directory"
		}
		var how string
		switch {
		case result == rd:
			how = "is"
		case within(rd, result):
			how = "lies inside"
		case within(result, rd):
			how = "holds"
		default:
			continue
		}
		return usageError(fmt.Errorf("the result directory %q %s %s %q; results would be read as recipes: choose a result directory apart from it",
			resultDir, how, what, d.Path))
	}
	return nil
}

// resolvePath makes p absolute with every symlink resolved, also when its last components do
// not exist yet: the longest existing prefix is resolved and the rest appended.
func resolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for cur := abs; ; {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		parent := filepath.Dir(cur)
		if !errors.Is(err, fs.ErrNotExist) || parent == cur {
			return "", err
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// within reports whether p lies strictly below dir; both are clean absolute paths.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(os.PathSeparator))
}
