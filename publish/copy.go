package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/packager"
)

// CopyRepository makes dir a Capstan repository (a CAPSTAN_ROOT) with the result directory's
// packages/, mike/ and Capstan images (repository/osv-loader, repository/osv-zfs-builder,
// repository/mike/osv-loader), atomically: the new content is written into a temporary
// directory beside dir, then the two are swapped with one rename. Until that rename dir is
// untouched, so a failure at any point (a file that cannot be read, a full disk, Ctrl-C) leaves
// the previous content intact. Everything else of dir (a Capstan repository holds composed
// images in repository/ too) is carried over as hard links. Files the result directory holds
// as hard links of each other stay so. A symlinked dir is followed: its target is replaced, the
// link stays.
func CopyRepository(ctx context.Context, l resultdir.Layout, dir string) error {
	target, exists, err := resolveRepositoryDir(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("packages-to: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".new-")
	if err != nil {
		return fmt.Errorf("packages-to: %w", err)
	}
	// After the swap tmp holds the previous content; either way it goes.
	defer os.RemoveAll(tmp)
	if err := fillRepository(ctx, l, target, exists, tmp); err != nil {
		return fmt.Errorf("packages-to %s: %w; its previous content is unchanged", dir, err)
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := fsutil.SwapDir(tmp, target); err != nil {
		return fmt.Errorf("packages-to %s: %w", dir, err)
	}
	return fsutil.SyncDir(parent)
}

// publishedTrees are the parts of the result directory that publishing delivers, relative to
// its root; each one replaces its namesake in a Capstan repository whole.
var publishedTrees = []string{
	"packages",
	"mike",
	path.Join(packager.CapstanRepositoryDir, packager.OldLoaderImageName),
	path.Join(packager.CapstanRepositoryDir, packager.LoaderImageName),
	path.Join(packager.CapstanRepositoryDir, packager.ZFSBuilderImageName),
}

// publishedTree reports whether rel (slash-separated) is one of publishedTrees.
func publishedTree(rel string) bool {
	return slices.Contains(publishedTrees, rel)
}

// resolveRepositoryDir is the directory to replace: dir, or the target of a symlink dir.
func resolveRepositoryDir(dir string) (string, bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("packages-to: %w", err)
	}
	if !fi.IsDir() {
		return "", false, fmt.Errorf("packages-to %s: not a directory", dir)
	}
	target, err := filepath.EvalSymlinks(abs)
	return target, true, err
}

// fillRepository writes the new repository into tmp: the published trees that the result
// directory has (packages/ always), then what else target holds.
func fillRepository(ctx context.Context, l resultdir.Layout, target string, exists bool, tmp string) error {
	mode := fs.FileMode(0o755)
	if fi, err := os.Stat(target); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	// Files are synced (the swap must never expose an empty file after a crash) and keep their
	// modes and times; files the result directory holds as hard links of each other stay so.
	c := &fsutil.Copier{CopyOptions: fsutil.CopyOptions{Preserve: true, Sync: true}}
	for _, rel := range publishedTrees {
		src := filepath.Join(l.Root, filepath.FromSlash(rel))
		if _, err := os.Lstat(src); rel != "packages" && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := c.Copy(ctx, src, filepath.Join(tmp, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	if !exists {
		return nil
	}
	// The rest of the repository is carried over as hard links where the file system allows.
	c.Link, c.Skip = true, publishedTree
	return c.Copy(ctx, target, tmp)
}
