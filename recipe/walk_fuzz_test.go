package recipe

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// linkTargets are what fuzzed links point at: inside the recipe, beside it in the recipes
// directory, the recipes directory itself, above it, the host, nowhere, and themselves.
var linkTargets = []string{".", "..", "../..", "a", "b/c", "../sib", "../sib/f", "../common", "/etc/hostname", "/etc",
	"nowhere", "../../outside", "self", "../app", "f0", "d0/f1"}

// FuzzTreeWalk builds a recipe tree from the input (each byte pair makes a file, a directory or
// a link at one of a few paths, links to one of linkTargets) and walks it. Whatever the tree,
// the walk ends; every entry it yields is a directory or regular file whose path has no link
// left in it and lies inside the recipes directory; and every link it refuses is a *LinkError.
func FuzzTreeWalk(f *testing.F) {
	f.Add([]byte{2, 0, 2, 1})
	f.Add([]byte{2, 5, 1, 3, 2, 12})
	f.Add([]byte{0, 0, 1, 1, 2, 3, 2, 8})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 40 {
			return
		}
		root := t.TempDir()
		recipes := filepath.Join(root, "recipes")
		for _, d := range []string{"app", "sib", "common", "../outside"} {
			if err := os.MkdirAll(filepath.Join(recipes, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(recipes, "sib", "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		app := filepath.Join(recipes, "app")
		places := []string{"f0", "d0", "d0/f1", "d0/d1", "d0/d1/l", "self", "a", "b", "b/c", "l0"}
		for i := 0; i+1 < len(ops); i += 2 {
			p := filepath.Join(app, places[int(ops[i+1])%len(places)])
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			switch ops[i] % 3 {
			case 0:
				_ = os.WriteFile(p, []byte(strconv.Itoa(i)), 0o644)
			case 1:
				_ = os.Mkdir(p, 0o755)
			default:
				_ = os.Symlink(linkTargets[int(ops[i+1])%len(linkTargets)], p)
			}
		}
		bound, err := filepath.EvalSymlinks(recipes)
		if err != nil {
			t.Fatal(err)
		}
		entries := 0
		err = Tree{Root: app, Within: recipes}.Walk(context.Background(), func(e TreeEntry) error {
			entries++
			if entries > 10000 {
				t.Fatalf("the walk does not end: %v", e)
			}
			if !inside(bound, e.Path) {
				t.Fatalf("%s: %s lies outside %s", e.Rel, e.Path, bound)
			}
			real, err := filepath.EvalSymlinks(e.Path)
			if err != nil || real != e.Path {
				t.Fatalf("%s: %s still holds a link (%s, %v)", e.Rel, e.Path, real, err)
			}
			if !e.Mode.IsDir() && !e.Mode.IsRegular() {
				t.Fatalf("%s: mode %v", e.Rel, e.Mode)
			}
			return nil
		})
		var le *LinkError
		if err != nil && !errors.As(err, &le) && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a walk failed without a *LinkError: %v", err)
		}
	})
}
