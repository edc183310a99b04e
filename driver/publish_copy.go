package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyRepository makes dir a Capstan repository with the result directory's packages/ and mike/,
// atomically: the new content is written into a temporary directory beside dir, then the two
// are swapped with one rename. Until that rename dir is untouched, so a failure at any point
// (a file that cannot be read, a full disk, Ctrl-C) leaves the previous content intact. Other
// entries of dir (a Capstan repository may hold images too) are carried over as hard links. A
// symlinked dir is followed: its target is replaced, the link stays.
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

// fillRepository writes the new repository into tmp.
func fillRepository(ctx context.Context, l Layout, target string, exists bool, tmp string) error {
	mode := fs.FileMode(0o755)
	if fi, err := os.Stat(target); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	if err := copyRepoTree(ctx, l.Packages(), filepath.Join(tmp, "packages"), false); err != nil {
		return err
	}
	if _, err := os.Lstat(l.mikeDir()); err == nil {
		if err := copyRepoTree(ctx, l.mikeDir(), filepath.Join(tmp, "mike"), false); err != nil {
			return err
		}
	}
	if !exists {
		return nil
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "packages" || e.Name() == "mike" {
			continue
		}
		if err := copyRepoTree(ctx, filepath.Join(target, e.Name()), filepath.Join(tmp, e.Name()), true); err != nil {
			return err
		}
	}
	return nil
}

// copyRepoTree copies src to dst: directories and modes, symlinks as links, regular files copied (or
// hard-linked when link is set and the file system allows it). Any other kind of file is an
// error, so nothing is silently left out.
func copyRepoTree(ctx context.Context, src, dst string, link bool) error {
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			// Writable while it is filled; its own mode is set once its content is in.
			dirs = append(dirs, dirMode{out, fi.Mode().Perm()})
			return os.Mkdir(out, 0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case fi.Mode().IsRegular():
			if link && os.Link(p, out) == nil {
				return nil
			}
			return copyRepoFile(p, out, fi)
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
