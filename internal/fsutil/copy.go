package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// CopyOptions chooses how CopyTree treats the files it copies and the destination it copies to.
type CopyOptions struct {
	// Preserve keeps every file's and directory's permission bits and every file's modification
	// time. Without it directories are 0755, and files 0755 when any execute bit is set, else
	// 0644.
	Preserve bool
	// Replace treats the destination as untrusted (it came out of a container): whatever is found
	// where a directory goes and is not one (a symlink above all) is removed first, and so is
	// anything found where a file or a link goes, so nothing is ever written through a link. The
	// walk is top-down, so no parent of a target is a link. Without Replace an existing file is an
	// error.
	Replace bool
	// Link hard-links regular files to their source where the file system allows, and copies
	// them where it does not.
	Link bool
	// Sync flushes every copied file to disk, so that a rename that publishes the copy never
	// exposes an empty file after a crash.
	Sync bool
	// Skip leaves out the paths (relative to the source, slash-separated) it is true for; a
	// directory is left out whole.
	Skip func(rel string) bool
}

// Copier copies trees of directories, regular files and symlinks (copied as links, never
// followed). Any other kind of file is an error, so nothing is silently left out. Directories
// that exist already in the destination are merged into. Files that are hard links of each other
// in the sources (across every Copy of one Copier) stay links of each other in the copies.
type Copier struct {
	CopyOptions
	seen map[FileID]string
}

// CopyTree copies the tree at src to dst with one Copier.
func CopyTree(ctx context.Context, src, dst string, opt CopyOptions) error {
	return (&Copier{CopyOptions: opt}).Copy(ctx, src, dst)
}

// Copy copies the tree at src to dst, creating dst's parents. Cancelling ctx stops it between
// two files, with the context's cause.
func (c *Copier) Copy(ctx context.Context, src, dst string) error {
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && c.Skip != nil && c.Skip(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := c.clear(target, fi.IsDir()); err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			mode := fs.FileMode(0o755)
			if c.Preserve {
				// Writable while it is filled; its own mode is set once its content is in.
				dirs = append(dirs, dirMode{target, fi.Mode().Perm()})
				mode = 0o700
			}
			if err := os.Mkdir(target, mode); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			return nil
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case fi.Mode().IsRegular():
			return c.copyFile(p, target, fi)
		}
		return fmt.Errorf("%s: cannot copy a %s", p, Kind(fi.Mode()))
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

// clear makes room at target under Replace: a directory stays when a directory goes there,
// anything else goes.
func (c *Copier) clear(target string, dir bool) error {
	if !c.Replace {
		return nil
	}
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if dir && fi.IsDir() {
		return nil
	}
	return os.RemoveAll(target)
}

// copyFile copies (or links) one regular file.
func (c *Copier) copyFile(src, dst string, fi fs.FileInfo) error {
	id, linked := HardLinked(fi)
	if linked {
		if first, ok := c.seen[id]; ok && os.Link(first, dst) == nil {
			return nil
		}
	}
	if c.Link && os.Link(src, dst) == nil {
		return nil
	}
	if err := c.writeFile(src, dst, fi.Mode(), fi.ModTime()); err != nil {
		return err
	}
	if linked {
		if c.seen == nil {
			c.seen = map[FileID]string{}
		}
		c.seen[id] = dst
	}
	return nil
}

// CopyFile copies the regular file src, of mode mode, to dst with opt's Preserve (for the mode
// only), Replace and Sync.
func CopyFile(src, dst string, mode fs.FileMode, opt CopyOptions) error {
	c := &Copier{CopyOptions: opt}
	if err := c.clear(dst, false); err != nil {
		return err
	}
	return c.writeFile(src, dst, mode, time.Time{})
}

// writeFile copies one regular file's content into a new file dst; a zero mtime is not set.
func (c *Copier) writeFile(src, dst string, mode fs.FileMode, mtime time.Time) error {
	perm := mode.Perm()
	if !c.Preserve {
		perm = 0o644
		if mode&0o111 != 0 {
			perm = 0o755
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err != nil {
		err = fmt.Errorf("%s: %w", src, err)
	}
	if err == nil {
		err = out.Chmod(perm)
	}
	if err == nil && c.Sync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && c.Preserve && !mtime.IsZero() {
		err = os.Chtimes(dst, mtime, mtime)
	}
	return err
}
