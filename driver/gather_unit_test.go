package driver

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// unitRecipeMeta is a recipe's meta/ to copy: a file, an executable, a subdirectory and a link.
func unitRecipeMeta(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "meta")
	assert.NilError(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "run.yaml"), []byte("runtime: native\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "tool.sh"), []byte("#!/bin/sh\n"), 0o700))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "sub", "README.md"), []byte("readme"), 0o600))
	assert.NilError(t, os.Symlink("../run.yaml", filepath.Join(src, "sub", "link")))
	return src
}

func TestCopyTree(t *testing.T) {
	t.Parallel()
	src := unitRecipeMeta(t)
	root := t.TempDir()
	// What build.sh left: a package.yaml the recipe's meta/ does not touch, and a run.yaml it replaces.
	assert.NilError(t, os.MkdirAll(filepath.Join(root, "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(root, "meta", "package.yaml"), []byte("name: x\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(root, "meta", "run.yaml"), []byte("old"), 0o644))

	assert.NilError(t, copyTree(src, root, "meta"))

	meta := filepath.Join(root, "meta")
	assert.Equal(t, unitRead(t, filepath.Join(meta, "package.yaml")), "name: x\n")
	assert.Equal(t, unitRead(t, filepath.Join(meta, "run.yaml")), "runtime: native\n")
	assert.Equal(t, unitRead(t, filepath.Join(meta, "sub", "README.md")), "readme")
	for file, mode := range map[string]os.FileMode{"run.yaml": 0o644, "tool.sh": 0o755, "sub/README.md": 0o644} {
		fi, err := os.Stat(filepath.Join(meta, file))
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode().Perm(), mode), file)
	}
	link, err := os.Readlink(filepath.Join(meta, "sub", "link"))
	assert.NilError(t, err, "the symlink was not copied as a link")
	assert.Equal(t, link, "../run.yaml")
}

// The result tree came out of a container: links in it must never let the recipe's meta/ be
// written somewhere else on the host. copyTree walks top-down and replaces a link it finds where
// it writes (a directory or a file) with the real thing, so the copy succeeds and the outside
// directory stays untouched.
func TestCopyTreeNeverWritesThroughLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// plant makes the trap in the result tree root, pointing at outside.
		plant func(t *testing.T, root, outside string)
	}{
		{
			name: "meta itself is a link",
			plant: func(t *testing.T, root, outside string) {
				assert.NilError(t, os.Symlink(outside, filepath.Join(root, "meta")))
			},
		},
		{
			name: "a directory below meta is a link",
			plant: func(t *testing.T, root, outside string) {
				assert.NilError(t, os.Mkdir(filepath.Join(root, "meta"), 0o755))
				assert.NilError(t, os.Symlink(outside, filepath.Join(root, "meta", "sub")))
			},
		},
		{
			name: "a file of meta is a link",
			plant: func(t *testing.T, root, outside string) {
				assert.NilError(t, os.Mkdir(filepath.Join(root, "meta"), 0o755))
				assert.NilError(t, os.Symlink(filepath.Join(outside, "run.yaml"), filepath.Join(root, "meta", "run.yaml")))
			},
		},
		{
			name: "a dangling link where a file goes",
			plant: func(t *testing.T, root, outside string) {
				assert.NilError(t, os.Mkdir(filepath.Join(root, "meta"), 0o755))
				assert.NilError(t, os.Symlink(filepath.Join(outside, "new-file"), filepath.Join(root, "meta", "tool.sh")))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := unitRecipeMeta(t)
			root, outside := t.TempDir(), t.TempDir()
			assert.NilError(t, os.WriteFile(filepath.Join(outside, "run.yaml"), []byte("precious"), 0o644))
			tc.plant(t, root, outside)

			assert.NilError(t, copyTree(src, root, "meta"))
			// Every link on the way was replaced by what the recipe holds.
			for _, p := range []string{"meta", "meta/sub"} {
				fi, err := os.Lstat(filepath.Join(root, p))
				assert.NilError(t, err)
				assert.Check(t, fi.IsDir(), "%s is %s", p, fi.Mode())
			}
			for _, p := range []string{"meta/run.yaml", "meta/tool.sh", "meta/sub/README.md"} {
				fi, err := os.Lstat(filepath.Join(root, p))
				assert.NilError(t, err)
				assert.Check(t, fi.Mode().IsRegular(), "%s is %s", p, fi.Mode())
			}
			assert.Equal(t, unitRead(t, filepath.Join(root, "meta", "run.yaml")), "runtime: native\n")
			entries, err := os.ReadDir(outside)
			assert.NilError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			assert.DeepEqual(t, names, []string{"run.yaml"})
			assert.Equal(t, unitRead(t, filepath.Join(outside, "run.yaml")), "precious")
		})
	}
}

// noLinkBetween is the guard for a link above the entry being written.
