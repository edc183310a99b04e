package recipe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// DiscoverOptions tunes Discover. The zero value is ready to use.
type DiscoverOptions struct {
	// ValidateRunYAML, when set, checks every run.yaml a recipe ships
	// (meta/run.yaml and demo/pkg/meta/run.yaml). file is the absolute path,
	// for the hook's own messages. The caller wires in the packager's parser;
	// taking a function keeps this package free of that dependency.
	ValidateRunYAML func(data []byte, file string) error
}

// Discover reads each recipe directory in order and returns the catalogue.
//
// Every immediate subdirectory (or symlink to one) is a recipe, except
// "common", which holds the shared files. Plain files are ignored, and so are
// dot-entries such as .git or .DS_Store, unless a dot-directory holds a
// build.sh: then it was meant as a recipe and is reported with a name error
// rather than silently skipped.
//
// A recipe directory that does not exist or cannot be read, a "common" that
// is not a directory, or the same directory listed twice is returned as an
// error; problems with single recipes are recorded in their Err.
func Discover(ctx context.Context, dirs []Dir, opts DiscoverOptions) (*Catalog, error) {
	cat := &Catalog{}
	byName := map[string]*Recipe{}
	seen := map[string]string{} // resolved directory -> path as given
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		abs, err := openRecipeDir(d.Path, seen)
		if err != nil {
			return nil, err
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			return nil, fmt.Errorf("reading recipes directory %q: %w", abs, err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			name := e.Name()
			full := filepath.Join(abs, name)
			if !isDirEntryDir(full, e) {
				if name == CommonDirName {
					return nil, fmt.Errorf("recipes directory %q: %s: %w", abs, name, ErrNotDir)
				}
				continue
			}
			if name == CommonDirName {
				if err := checkCommon(ctx, full, abs); err != nil {
					return nil, err
				}
				cat.CommonDirs = append(cat.CommonDirs, full)
				continue
			}
			if strings.HasPrefix(name, ".") && !exists(filepath.Join(full, BuildScript)) {
				continue
			}
			r := inspect(name, full, abs, d.Builtin, opts)
			if first := byName[name]; first != nil {
				markDuplicate(first, r)
				continue
			}
			byName[name] = r
			cat.Recipes = append(cat.Recipes, r)
		}
	}
	slices.SortFunc(cat.Recipes, func(a, b *Recipe) int { return strings.Compare(a.Name, b.Name) })
	return cat, nil
}

// openRecipeDir checks that path is a readable directory not listed before
// and returns its absolute form.
func openRecipeDir(path string, seen map[string]string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("recipes directory %q: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("recipes directory %q: %w", abs, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("recipes directory %q: %w", abs, ErrNotDir)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("recipes directory %q: %w", abs, err)
	}
	if prev, ok := seen[real]; ok {
		return "", fmt.Errorf("recipes directory %q is listed twice (also as %q)", abs, prev)
	}
	seen[real] = abs
	return abs, nil
}

// isDirEntryDir reports whether e is a directory or a symlink to one.
func isDirEntryDir(full string, e os.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&os.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(full)
	return err == nil && fi.IsDir()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// markDuplicate records that dup has the same name as first. first keeps its
// place in the catalogue so that the name still resolves, and its Err lists
// every directory that defines the name.
func markDuplicate(first, dup *Recipe) {
	var de *DuplicateError
	if !errors.As(first.Err, &de) {
		de = &DuplicateError{Name: first.Name, Paths: []string{first.Dir}}
		first.Err = de
	}
	de.Paths = append(de.Paths, dup.Dir)
}

// checkCommon walks a common directory as every build will receive it, so that a link it cannot
// be given (outside the recipes directory, dangling, a cycle) or a special file stops the run
// at once, naming the path, rather than failing every recipe.
func checkCommon(ctx context.Context, dir, recipesDir string) error {
	t := Tree{Root: dir, Within: recipesDir, Common: true}
	err := t.Walk(ctx, func(TreeEntry) error { return nil })
	var te *TreeError
	if errors.As(err, &te) {
		return fmt.Errorf("recipes directory %q: %s: %w", recipesDir, path.Join(CommonDirName, te.Path), te.Err)
	}
	return err
}
