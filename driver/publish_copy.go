package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

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
func CopyRepository(ctx context.Context, l Layout, dir string) error {
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
	if err := swapDirs(tmp, target, exists); err != nil {
		return fmt.Errorf("packages-to %s: %w", dir, err)
	}
	return syncDir(parent)
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
func fillRepository(ctx context.Context, l Layout, target string, exists bool, tmp string) error {
	mode := fs.FileMode(0o755)
	if fi, err := os.Stat(target); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	c := &repoCopier{seen: map[fileID]string{}}
	for _, rel := range publishedTrees {
		src := filepath.Join(l.Root, filepath.FromSlash(rel))
		if _, err := os.Lstat(src); rel != "packages" && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := c.copyTree(ctx, l.Root, tmp, rel); err != nil {
			return err
		}
	}
	if !exists {
		return nil
	}
	c.link, c.skip = true, publishedTree
	return c.copyTree(ctx, target, tmp, ".")
}

// repoCopier copies trees into a new repository: directories and modes, symlinks as links,
// regular files copied, or hard-linked to the source when link is set and the file system
// allows it. A file met again through another hard link becomes a link to its first copy. Any
// other kind of file is an error, so nothing is silently left out.
type repoCopier struct {
	link bool
	// skip leaves out the paths (relative to the copied root, slash-separated) it is true for.
	skip func(rel string) bool
	seen map[fileID]string
}

// copyTree copies root/rel to dstRoot/rel; directories that already exist in dstRoot are
// merged into.
func (c *repoCopier) copyTree(ctx context.Context, root, dstRoot, rel string) error {
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	src := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dstRoot, filepath.FromSlash(rel))), 0o755); err != nil {
		return err
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		r, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if c.skip != nil && c.skip(filepath.ToSlash(r)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		out := filepath.Join(dstRoot, r)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if r == "." {
				return nil // the repository's root: tmp itself, whose mode fillRepository set
			}
			// Writable while it is filled; its own mode is set once its content is in. One
			// that exists already (a published tree's parent) is merged into.
			dirs = append(dirs, dirMode{out, fi.Mode().Perm()})
			if err := os.Mkdir(out, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			return nil
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case fi.Mode().IsRegular():
			return c.copyFile(p, out, fi)
		}
		return fmt.Errorf("%s: cannot copy a %s", p, fi.Mode().Type())
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i].path, dirs[i].mode); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies (or links) one regular file.
func (c *repoCopier) copyFile(src, dst string, fi fs.FileInfo) error {
	id, linked := hardLinked(fi)
	if linked {
		if first, ok := c.seen[id]; ok && os.Link(first, dst) == nil {
			return nil
		}
	}
	if c.link && os.Link(src, dst) == nil {
		return nil
	}
	if err := copyRepoFile(src, dst, fi); err != nil {
		return err
	}
	if linked {
		c.seen[id] = dst
	}
	return nil
}

// copyRepoFile copies one regular file with its mode and modification time, synced to disk so the
// rename that publishes it never exposes an empty file after a crash.
func copyRepoFile(src, dst string, fi fs.FileInfo) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := out.Chmod(fi.Mode().Perm()); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// swapDirs puts tmp in target's place. With an existing target the two are exchanged in one
// rename where the kernel can (tmp then holds the old content); elsewhere target is moved aside
// for a moment and put back if tmp cannot take its place.
func swapDirs(tmp, target string, exists bool) error {
	return swapDirsWith(exchangeDirs, tmp, target, exists)
}

func swapDirsWith(exchange func(a, b string) error, tmp, target string, exists bool) error {
	if !exists {
		return os.Rename(tmp, target)
	}
	err := exchange(tmp, target)
	if !errors.Is(err, errExchangeUnsupported) {
		return err
	}
	aside := tmp + ".old"
	if err := os.Rename(target, aside); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return errors.Join(err, os.Rename(aside, target))
	}
	return os.Rename(aside, tmp)
}

// errExchangeUnsupported is a kernel or file system that cannot exchange two directories.
var errExchangeUnsupported = errors.New("atomic exchange unsupported")

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
