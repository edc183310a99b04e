package publish

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// pubTree writes files (relative path: content) under root.
func pubTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// pubBeside lists the entries of dir's parent, to find temporary directories left behind.
func pubBeside(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func pubResult(t *testing.T) resultdir.Layout {
	t.Helper()
	l := resultdir.Layout{Root: t.TempDir()}
	pubTree(t, l.Root, map[string]string{
		"packages/a.mpm":                                  "new a",
		"packages/a.yaml":                                 "name: a\n",
		"packages/b.mpm":                                  "new b",
		"mike/osv-loader/index.yaml":                      "version: v1\n",
		"mike/osv-loader/osv-loader.qemu":                 "kernel",
		"repository/osv-loader/index.yaml":                "version: v1\n",
		"repository/osv-zfs-builder/osv-zfs-builder.qemu": "builder",
		"log/a.log":                                       "not published",
		"intermediate/a/file":                             "not published",
	})
	// The loaders are one file with several names, as the loader stage leaves them.
	assert.NilError(t, os.Link(filepath.Join(l.Loader(), "osv-loader.qemu"), filepath.Join(l.Root, "repository/osv-loader/osv-loader.qemu")))
	assert.NilError(t, os.Symlink("a.mpm", filepath.Join(l.Packages(), "current.mpm")))
	assert.NilError(t, os.Chmod(filepath.Join(l.Packages(), "b.mpm"), 0o600))
	return l
}

func TestPublishPackagesTo(t *testing.T) {
	ctx := context.Background()
	l := pubResult(t)
	want := testutil.Snapshot(t, l.Root)

	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "deeper", "repo")
		assert.NilError(t, CopyRepository(ctx, l, dir))
		got := testutil.Snapshot(t, dir)
		assert.Check(t, is.Contains(got, `packages/a.mpm -rw-r--r-- "new a"`))
		assert.Check(t, is.Contains(got, `packages/b.mpm -rw------- "new b"`))
		assert.Check(t, is.Contains(got, `packages/current.mpm -> a.mpm`))
		assert.Check(t, is.Contains(got, `mike/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `repository/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `repository/osv-zfs-builder/osv-zfs-builder.qemu -rw-r--r-- "builder"`))
		a, err := os.Stat(filepath.Join(dir, "mike/osv-loader/osv-loader.qemu"))
		assert.NilError(t, err)
		b, err := os.Stat(filepath.Join(dir, "repository/osv-loader/osv-loader.qemu"))
		assert.NilError(t, err)
		assert.Check(t, os.SameFile(a, b), "the loaders stay one file")
		src, err := os.Stat(filepath.Join(l.Loader(), "osv-loader.qemu"))
		assert.NilError(t, err)
		assert.Check(t, !os.SameFile(a, src), "published files are copies, not links into the result directory")
		for _, g := range got {
			assert.Check(t, !strings.HasPrefix(g, "log") && !strings.HasPrefix(g, "intermediate"), g)
		}
		assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
	})

	t.Run("replaces packages and mike, keeps the rest", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repo")
		pubTree(t, dir, map[string]string{
			"packages/old.mpm":                             "old",
			"packages/a.mpm":                               "old a",
			"mike/osv-loader/index.yaml":                   "old",
			"repository/img/img.qemu":                      "an image",
			"repository/mike/mine/mine.qemu":               "an image of mine",
			"repository/osv-loader/osv-loader.qemu.x86_64": "old",
			"config.yaml":                                  "x: y\n",
		})
		assert.NilError(t, os.Chmod(dir, 0o750))
		assert.NilError(t, CopyRepository(ctx, l, dir))
		got := testutil.Snapshot(t, dir)
		assert.Check(t, is.Contains(got, `packages/a.mpm -rw-r--r-- "new a"`))
		assert.Check(t, is.Contains(got, `repository/img/img.qemu -rw-r--r-- "an image"`))
		assert.Check(t, is.Contains(got, `repository/mike/mine/mine.qemu -rw-r--r-- "an image of mine"`))
		assert.Check(t, is.Contains(got, `repository/osv-loader/osv-loader.qemu -rw-r--r-- "kernel"`))
		assert.Check(t, is.Contains(got, `config.yaml -rw-r--r-- "x: y\n"`))
		assert.Check(t, !strings.Contains(strings.Join(got, "\n"), "old"))
		fi, err := os.Stat(dir)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode().Perm(), os.FileMode(0o750)))
		assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
		assert.DeepEqual(t, testutil.Snapshot(t, l.Root), want) // the source is untouched
	})

	t.Run("through a symlink", func(t *testing.T) {
		base := t.TempDir()
		real := filepath.Join(base, "real")
		pubTree(t, real, map[string]string{"packages/old.mpm": "old"})
		link := filepath.Join(base, "link")
		assert.NilError(t, os.Symlink("real", link))
		assert.NilError(t, CopyRepository(ctx, l, link))
		target, err := os.Readlink(link)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(target, "real"))
		assert.Check(t, is.Contains(testutil.Snapshot(t, real), `packages/a.mpm -rw-r--r-- "new a"`))
	})

	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		assert.NilError(t, os.WriteFile(file, nil, 0o644))
		assert.ErrorContains(t, CopyRepository(ctx, l, file), "not a directory")
	})
}

// TestPublishPackagesToFailure breaks the copy midway and checks that the old directory is exactly
// as it was and nothing is left beside it.
func TestPublishPackagesToFailure(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, l resultdir.Layout)
		err    string
	}{
		{name: "fifo in packages", err: "cannot copy", break_: func(t *testing.T, l resultdir.Layout) {
			assert.NilError(t, syscall.Mkfifo(filepath.Join(l.Packages(), "z-pipe.mpm"), 0o644))
		}},
		{name: "unreadable file", err: "permission denied", break_: func(t *testing.T, l resultdir.Layout) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			assert.NilError(t, os.Chmod(filepath.Join(l.Packages(), "b.mpm"), 0))
		}},
		{name: "cancelled", err: "context canceled", break_: func(t *testing.T, l resultdir.Layout) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := pubResult(t)
			tc.break_(t, l)
			dir := filepath.Join(t.TempDir(), "repo")
			pubTree(t, dir, map[string]string{"packages/old.mpm": "old", "mike/osv-loader/index.yaml": "old", "keep/me": "x"})
			before := testutil.Snapshot(t, dir)
			cctx := ctx
			if tc.name == "cancelled" {
				c, cancel := context.WithCancel(ctx)
				cancel()
				cctx = c
			}
			err := CopyRepository(cctx, l, dir)
			assert.ErrorContains(t, err, tc.err)
			assert.DeepEqual(t, testutil.Snapshot(t, dir), before)
			assert.DeepEqual(t, pubBeside(t, dir), []string{"repo"})
		})
	}
}
