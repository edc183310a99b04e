package fsutil_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// recipeMeta is a recipe's meta/ to copy: a file, an executable, a subdirectory and a link.
func recipeMeta(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "meta")
	assert.NilError(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "run.yaml"), []byte("runtime: native\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "tool.sh"), []byte("#!/bin/sh\n"), 0o700))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "sub", "README.md"), []byte("readme"), 0o600))
	assert.NilError(t, os.Symlink("../run.yaml", filepath.Join(src, "sub", "link")))
	return src
}

// TestCopyTreeReplace copies a recipe's meta/ over what a build left: files are merged in, modes
// normalised, links copied as links.
func TestCopyTreeReplace(t *testing.T) {
	t.Parallel()
	src := recipeMeta(t)
	root := t.TempDir()
	// What build.sh left: a package.yaml the recipe's meta/ does not touch, and a run.yaml it replaces.
	assert.NilError(t, os.MkdirAll(filepath.Join(root, "meta"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(root, "meta", "package.yaml"), []byte("name: x\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(root, "meta", "run.yaml"), []byte("old"), 0o644))

	assert.NilError(t, fsutil.CopyTree(context.Background(), src, filepath.Join(root, "meta"), fsutil.CopyOptions{Replace: true}))

	meta := filepath.Join(root, "meta")
	assert.Equal(t, readString(t, filepath.Join(meta, "package.yaml")), "name: x\n")
	assert.Equal(t, readString(t, filepath.Join(meta, "run.yaml")), "runtime: native\n")
	assert.Equal(t, readString(t, filepath.Join(meta, "sub", "README.md")), "readme")
	for file, mode := range map[string]os.FileMode{"run.yaml": 0o644, "tool.sh": 0o755, "sub/README.md": 0o644} {
		fi, err := os.Stat(filepath.Join(meta, file))
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode().Perm(), mode), file)
	}
	link, err := os.Readlink(filepath.Join(meta, "sub", "link"))
	assert.NilError(t, err, "the symlink was not copied as a link")
	assert.Equal(t, link, "../run.yaml")
}

// The destination came out of a container: links in it must never let the copy be written
// somewhere else on the host. With Replace, fsutil.CopyTree walks top-down and replaces a link it finds
// where it writes (a directory or a file) with the real thing, so the copy succeeds and the
// outside directory stays untouched.
func TestCopyTreeNeverWritesThroughLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// plant makes the trap in the destination root, pointing at outside.
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
		{
			name: "a file where a directory goes",
			plant: func(t *testing.T, root, outside string) {
				assert.NilError(t, os.Mkdir(filepath.Join(root, "meta"), 0o755))
				assert.NilError(t, os.WriteFile(filepath.Join(root, "meta", "sub"), nil, 0o644))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := recipeMeta(t)
			root, outside := t.TempDir(), t.TempDir()
			assert.NilError(t, os.WriteFile(filepath.Join(outside, "run.yaml"), []byte("precious"), 0o644))
			tc.plant(t, root, outside)

			assert.NilError(t, fsutil.CopyTree(context.Background(), src, filepath.Join(root, "meta"), fsutil.CopyOptions{Replace: true}))
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
			assert.Equal(t, readString(t, filepath.Join(root, "meta", "run.yaml")), "runtime: native\n")
			assert.DeepEqual(t, listTree(t, outside), []string{`run.yaml -rw-r--r-- "precious"`})
		})
	}
}

// TestCopyTreeOptions checks each option on one source tree.
func TestCopyTreeOptions(t *testing.T) {
	t.Parallel()
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	source := func(t *testing.T) string {
		src := filepath.Join(t.TempDir(), "src")
		writeTree(t, src, map[string]string{"a": "A", "d/b": "B", "d/skip/c": "C", "l": "-> a"})
		assert.NilError(t, os.Chmod(filepath.Join(src, "a"), 0o600))
		assert.NilError(t, os.Chmod(filepath.Join(src, "d"), 0o750))
		assert.NilError(t, os.Link(filepath.Join(src, "d", "b"), filepath.Join(src, "b2")))
		assert.NilError(t, os.Chtimes(filepath.Join(src, "a"), mtime, mtime))
		return src
	}
	tests := []struct {
		name  string
		opt   fsutil.CopyOptions
		want  []string
		check func(t *testing.T, src, dst string)
	}{
		{
			name: "normalised modes",
			want: []string{`a -rw-r--r-- "A"`, `b2 -rw-r--r-- "B"`, "d drwxr-xr-x", `d/b -rw-r--r-- "B"`,
				"d/skip drwxr-xr-x", `d/skip/c -rw-r--r-- "C"`, "l -> a"},
		},
		{
			name: "preserve",
			opt:  fsutil.CopyOptions{Preserve: true, Sync: true},
			want: []string{`a -rw------- "A"`, `b2 -rw-r--r-- "B"`, "d drwxr-x---", `d/b -rw-r--r-- "B"`,
				"d/skip drwxr-xr-x", `d/skip/c -rw-r--r-- "C"`, "l -> a"},
			check: func(t *testing.T, src, dst string) {
				fi, err := os.Stat(filepath.Join(dst, "a"))
				assert.NilError(t, err)
				assert.Check(t, fi.ModTime().Equal(mtime), "mtime %v", fi.ModTime())
			},
		},
		{
			name: "skip",
			opt:  fsutil.CopyOptions{Skip: func(rel string) bool { return rel == "d/skip" || rel == "l" }},
			want: []string{`a -rw-r--r-- "A"`, `b2 -rw-r--r-- "B"`, "d drwxr-xr-x", `d/b -rw-r--r-- "B"`},
		},
		{
			name: "link",
			opt:  fsutil.CopyOptions{Link: true, Preserve: true},
			want: []string{`a -rw------- "A"`, `b2 -rw-r--r-- "B"`, "d drwxr-x---", `d/b -rw-r--r-- "B"`,
				"d/skip drwxr-xr-x", `d/skip/c -rw-r--r-- "C"`, "l -> a"},
			check: func(t *testing.T, src, dst string) {
				assert.Check(t, sameFile(t, filepath.Join(src, "a"), filepath.Join(dst, "a")), "a was copied, not linked")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := source(t)
			dst := filepath.Join(t.TempDir(), "new", "dst")
			assert.NilError(t, fsutil.CopyTree(context.Background(), src, dst, tc.opt))
			assert.DeepEqual(t, listTree(t, dst), tc.want)
			// Hard links of each other in the source stay so in the copy.
			assert.Check(t, sameFile(t, filepath.Join(dst, "d", "b"), filepath.Join(dst, "b2")), "b2 is no longer a link of d/b")
			if !tc.opt.Link {
				assert.Check(t, !sameFile(t, filepath.Join(src, "a"), filepath.Join(dst, "a")), "a was linked, not copied")
			}
			if tc.check != nil {
				tc.check(t, src, dst)
			}
		})
	}
}

func TestCopyTreeErrors(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		opt     fsutil.CopyOptions
		plant   func(t *testing.T, src, dst string)
		wantErr string
	}{
		{
			name: "fifo", ctx: context.Background(), wantErr: "cannot copy a named pipe (fifo)",
			plant: func(t *testing.T, src, dst string) {
				assert.NilError(t, syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644))
			},
		},
		{name: "cancelled", ctx: cancelled, wantErr: "context canceled"},
		{
			name: "an existing file without Replace", ctx: context.Background(), wantErr: "file exists",
			plant: func(t *testing.T, src, dst string) { writeTree(t, dst, map[string]string{"a": "old"}) },
		},
		{name: "missing source", ctx: context.Background(), wantErr: "no such file or directory",
			plant: func(t *testing.T, src, dst string) { assert.NilError(t, os.RemoveAll(src)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, dst := t.TempDir(), filepath.Join(t.TempDir(), "dst")
			writeTree(t, src, map[string]string{"a": "A"})
			if tc.plant != nil {
				tc.plant(t, src, dst)
			}
			assert.ErrorContains(t, fsutil.CopyTree(tc.ctx, src, dst, tc.opt), tc.wantErr)
		})
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	assert.NilError(t, err)
	fb, err := os.Stat(b)
	assert.NilError(t, err)
	return os.SameFile(fa, fb)
}
