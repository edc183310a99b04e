package recipe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
)

// hashFixture is a recipe with a bit of everything, and a common directory.
func hashFixture() (recipeTree, commonTree tree) {
	recipeTree = merge(minimal(), withMeta(), withDemo(), tree{
		"fix.patch":      file("--- a\n+++ b\n"),
		"empty":          dir(),
		"data/blob.bin":  file("\x00\x01\x02"),
		"data/latest":    link("blob.bin"),
		"scripts/run.sh": script("#!/bin/sh\n"),
	})
	commonTree = tree{"shared.patch": file("shared\n")}
	return recipeTree, commonTree
}

// hashTrees writes both trees under a fresh directory and hashes them.
func hashTrees(t *testing.T, name string, recipeTree, commonTree tree, edit func(recipeDir, commonDir string)) string {
	t.Helper()
	root := t.TempDir()
	recipeDir := filepath.Join(root, "recipes", name)
	commonDir := filepath.Join(root, "recipes", "common")
	recipeTree.write(t, recipeDir)
	commonTree.write(t, commonDir)
	if edit != nil {
		edit(recipeDir, commonDir)
	}
	sum, err := Hash(context.Background(), &Recipe{Name: name, Dir: recipeDir}, []string{commonDir})
	assert.NilError(t, err)
	return sum
}

func TestHashStable(t *testing.T) {
	r, c := hashFixture()
	first := hashTrees(t, "app", r, c, nil)
	second := hashTrees(t, "app", r, c, nil)
	assert.Equal(t, first, second, "same tree in another place")
	assert.Equal(t, len(first), 64)
	// A change to the stream layout must come with a new hashVersion;
	// this golden value catches accidental changes.
	golden.Assert(t, first+"\n", "hash.golden")
}

func TestHashIgnoresModificationTimes(t *testing.T) {
	r, c := hashFixture()
	base := hashTrees(t, "app", r, c, nil)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	got := hashTrees(t, "app", r, c, func(recipeDir, commonDir string) {
		for _, root := range []string{recipeDir, commonDir} {
			err := filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				return os.Chtimes(path, old, old)
			})
			assert.NilError(t, err)
		}
	})
	assert.Equal(t, got, base)
}

// TestHashCoversLinkTargets: a symlink counts as what it resolves to, as the build receives it,
// so editing the target of a link (here in the common directory, a sibling of the recipe)
// changes the hash, and a link replaced by a copy of its target does not.
func TestHashCoversLinkTargets(t *testing.T) {
	r, c := hashFixture()
	r = merge(r, tree{"shared": link("../common/shared.patch"), "patches": link("../common")})
	base := hashTrees(t, "app", r, c, nil)
	edited := hashTrees(t, "app", r, c, func(_, cd string) {
		assert.NilError(t, os.WriteFile(filepath.Join(cd, "shared.patch"), []byte("other\n"), 0o644))
	})
	assert.Assert(t, edited != base, "the link's target changed, the hash did not")
	copied := hashTrees(t, "app", merge(without(r, "shared", "patches"), tree{
		"shared": file("shared\n"), "patches/shared.patch": file("shared\n"),
	}), c, nil)
	assert.Equal(t, copied, base, "a link and a copy of its target give the build the same files")
}

// TestHashRefusesLinksTheBuildCannotGet: a link leading outside the recipes directory, nowhere,
// or into a cycle fails the hash with a *LinkError naming the path, never hashes its text.
func TestHashRefusesLinksTheBuildCannotGet(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.txt")
	assert.NilError(t, os.WriteFile(outside, []byte("one"), 0o644))
	for _, tc := range []struct {
		name string
		tr   tree
		path string
		is   error
	}{
		{"outside", tree{"data/out": link(outside)}, "data/out", ErrLinkOutside},
		{"dangling", tree{"gone": link("nowhere")}, "gone", ErrBrokenLink},
		{"cycle", tree{"sub/up": link("..")}, "sub/up", ErrLinkCycle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "recipes", "app")
			merge(minimal(), tc.tr).write(t, dir)
			_, err := Hash(context.Background(), &Recipe{Name: "app", Dir: dir, Source: filepath.Join(root, "recipes")}, nil)
			var le *LinkError
			assert.Assert(t, errors.As(err, &le), "%v", err)
			assert.Assert(t, errors.Is(err, tc.is), "%v", err)
			assert.Equal(t, le.Path, tc.path)
			assert.ErrorContains(t, err, tc.path+": symlink to")
		})
	}
}

func TestHashFollowsSymlinkedRoots(t *testing.T) {
	r, c := hashFixture()
	base := hashTrees(t, "app", r, c, nil)
	root := t.TempDir()
	r.write(t, filepath.Join(root, "real-app"))
	c.write(t, filepath.Join(root, "real-common"))
	assert.NilError(t, os.Symlink(filepath.Join(root, "real-app"), filepath.Join(root, "app")))
	assert.NilError(t, os.Symlink(filepath.Join(root, "real-common"), filepath.Join(root, "common")))
	got, err := Hash(context.Background(), &Recipe{Name: "app", Dir: filepath.Join(root, "app")}, []string{filepath.Join(root, "common")})
	assert.NilError(t, err)
	assert.Equal(t, got, base)
}

func TestHashSensitivity(t *testing.T) {
	r, c := hashFixture()
	base := hashTrees(t, "app", r, c, nil)
	write := func(path, content string) {
		assert.NilError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	tests := []struct {
		name   string
		recipe string
		edit   func(recipeDir, commonDir string)
	}{
		{name: "recipe renamed", recipe: "app2"},
		{name: "content", edit: func(rd, cd string) { write(filepath.Join(rd, "fix.patch"), "--- a\n+++ c\n") }},
		{name: "same size content", edit: func(rd, cd string) { write(filepath.Join(rd, "data/blob.bin"), "\x00\x01\x03") }},
		{name: "truncated", edit: func(rd, cd string) { write(filepath.Join(rd, "fix.patch"), "") }},
		{name: "mode bit", edit: func(rd, cd string) { assert.NilError(t, os.Chmod(filepath.Join(rd, "fix.patch"), 0o600)) }},
		{name: "exec bit", edit: func(rd, cd string) { assert.NilError(t, os.Chmod(filepath.Join(rd, "scripts/run.sh"), 0o644)) }},
		{name: "dir mode", edit: func(rd, cd string) { assert.NilError(t, os.Chmod(filepath.Join(rd, "empty"), 0o700)) }},
		{name: "symlink target", edit: func(rd, cd string) {
			assert.NilError(t, os.Remove(filepath.Join(rd, "data/latest")))
			assert.NilError(t, os.Symlink("../fix.patch", filepath.Join(rd, "data/latest")))
		}},
		{name: "symlink replaced by its target file", edit: func(rd, cd string) {
			assert.NilError(t, os.Remove(filepath.Join(rd, "data/latest")))
			write(filepath.Join(rd, "data/latest"), "blob.bin")
		}},
		{name: "empty dir removed", edit: func(rd, cd string) { assert.NilError(t, os.Remove(filepath.Join(rd, "empty"))) }},
		{name: "empty dir added", edit: func(rd, cd string) { assert.NilError(t, os.Mkdir(filepath.Join(rd, "more"), 0o755)) }},
		{name: "empty file added", edit: func(rd, cd string) { write(filepath.Join(rd, "new"), "") }},
		{name: "file removed", edit: func(rd, cd string) { assert.NilError(t, os.Remove(filepath.Join(rd, "fix.patch"))) }},
		{name: "file renamed", edit: func(rd, cd string) {
			assert.NilError(t, os.Rename(filepath.Join(rd, "fix.patch"), filepath.Join(rd, "fix2.patch")))
		}},
		{name: "file moved into dir", edit: func(rd, cd string) {
			assert.NilError(t, os.Rename(filepath.Join(rd, "fix.patch"), filepath.Join(rd, "empty/fix.patch")))
		}},
		{name: "common content", edit: func(rd, cd string) { write(filepath.Join(cd, "shared.patch"), "changed\n") }},
		{name: "common file added", edit: func(rd, cd string) { write(filepath.Join(cd, "more.patch"), "") }},
		{name: "file moved from recipe to common", edit: func(rd, cd string) {
			assert.NilError(t, os.Rename(filepath.Join(rd, "fix.patch"), filepath.Join(cd, "fix.patch")))
		}},
	}
	seen := map[string]string{base: "base"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "app"
			if tc.recipe != "" {
				name = tc.recipe
			}
			got := hashTrees(t, name, r, c, tc.edit)
			prev, dup := seen[got]
			assert.Assert(t, !dup, "same hash as %q", prev)
			seen[got] = tc.name
		})
	}
}

// TestHashFraming checks trees that a naive concatenation of paths and
// contents would confuse.
func TestHashFraming(t *testing.T) {
	pairs := []struct {
		name string
		a, b tree
	}{
		{"content moves into path", tree{"ab": file("c")}, tree{"a": file("bc")}},
		{"content split across files", tree{"a": file("xy"), "b": file("")}, tree{"a": file("x"), "b": file("y")}},
		{"file versus symlink to a file holding its text", tree{"a": file("t"), "t": file("")}, tree{"a": link("t"), "t": file("")}},
		{"file versus empty dir", tree{"a": file("")}, tree{"a": dir()}},
		{"nested versus flat", tree{"a/b": file("")}, tree{"a": dir(), "a_b": file("")}},
	}
	for _, tc := range pairs {
		t.Run(tc.name, func(t *testing.T) {
			ha := hashTrees(t, "app", merge(minimal(), tc.a), tree{}, nil)
			hb := hashTrees(t, "app", merge(minimal(), tc.b), tree{}, nil)
			assert.Assert(t, ha != hb)
		})
	}
	// A file moved between the recipe and the common directory.
	ha := hashTrees(t, "app", merge(minimal(), tree{"x": file("1")}), tree{}, nil)
	hb := hashTrees(t, "app", minimal(), tree{"x": file("1")}, nil)
	assert.Assert(t, ha != hb)
}

func TestHashCommonDirOrderMatters(t *testing.T) {
	root := t.TempDir()
	minimal().write(t, filepath.Join(root, "app"))
	tree{"a": file("1")}.write(t, filepath.Join(root, "c1"))
	tree{"a": file("2")}.write(t, filepath.Join(root, "c2"))
	r := &Recipe{Name: "app", Dir: filepath.Join(root, "app")}
	c1, c2 := filepath.Join(root, "c1"), filepath.Join(root, "c2")
	h12, err := Hash(context.Background(), r, []string{c1, c2})
	assert.NilError(t, err)
	h21, err := Hash(context.Background(), r, []string{c2, c1})
	assert.NilError(t, err)
	h1, err := Hash(context.Background(), r, []string{c1})
	assert.NilError(t, err)
	assert.Assert(t, h12 != h21)
	assert.Assert(t, h12 != h1)
}

func TestHashErrors(t *testing.T) {
	root := t.TempDir()
	minimal().write(t, filepath.Join(root, "app"))
	r := &Recipe{Name: "app", Dir: filepath.Join(root, "app")}

	_, err := Hash(context.Background(), &Recipe{Name: "gone", Dir: filepath.Join(root, "gone")}, nil)
	assert.Assert(t, errors.Is(err, os.ErrNotExist), "%v", err)
	assert.ErrorContains(t, err, `"gone"`)

	_, err = Hash(context.Background(), r, []string{filepath.Join(root, "no-common")})
	assert.Assert(t, errors.Is(err, os.ErrNotExist), "%v", err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Hash(ctx, r, nil)
	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
}
