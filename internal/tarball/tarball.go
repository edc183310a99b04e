// Package tarball writes host files into the tar streams the engine takes: files copied into
// containers and image build contexts (one flow for every image pkgdriver builds).
package tarball

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// Writer writes host files into a tar stream for the engine: owned by root, one fixed mtime,
// modes kept, symlinks kept as links and never followed.
type Writer struct {
	tw    *tar.Writer
	mtime time.Time
	dirs  map[string]bool
	// links, when set, maps files with several hard links to the first name they were written
	// under, so later names become hard-link entries instead of second copies.
	links map[fsutil.FileID]string
}

// KeepHardLinks makes files that are hard links of each other go into the stream once, the
// other names as hard-link entries.
func (t *Writer) KeepHardLinks() *Writer {
	t.links = map[fsutil.FileID]string{}
	return t
}

func NewWriter(w io.Writer) *Writer {
	return &Writer{tw: tar.NewWriter(w), mtime: time.Unix(0, 0), dirs: map[string]bool{}}
}

func (t *Writer) Close() error { return t.tw.Close() }

// Dir writes a directory entry and any missing parents.
func (t *Writer) Dir(name string, mode fs.FileMode) error {
	if name == "." || name == "/" || name == "" || t.dirs[name] {
		return nil
	}
	if err := t.Dir(path.Dir(name), 0o755); err != nil {
		return err
	}
	t.dirs[name] = true
	return t.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(mode.Perm()), ModTime: t.mtime, Format: tar.FormatPAX,
	})
}

// Bytes writes a regular file with the given content.
func (t *Writer) Bytes(name string, data []byte, mode fs.FileMode) error {
	if err := t.Dir(path.Dir(name), 0o755); err != nil {
		return err
	}
	if err := t.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: name, Mode: int64(mode.Perm()), Size: int64(len(data)), ModTime: t.mtime, Format: tar.FormatPAX,
	}); err != nil {
		return err
	}
	_, err := t.tw.Write(data)
	return err
}

// File writes the host file src (lstat'ed, so a symlink stays a symlink) as name.
func (t *Writer) File(ctx context.Context, src, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return t.Dir(name, fi.Mode())
	case fi.Mode().IsRegular():
		if id, ok := fsutil.HardLinked(fi); ok && t.links != nil {
			if first, seen := t.links[id]; seen {
				if err := t.Dir(path.Dir(name), 0o755); err != nil {
					return err
				}
				return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: first,
					Mode: int64(fi.Mode().Perm()), ModTime: t.mtime, Format: tar.FormatPAX})
			}
			t.links[id] = name
		}
		return t.regular(name, src, fi.Mode(), fi.Size())
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := t.Dir(path.Dir(name), 0o755); err != nil {
			return err
		}
		return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target,
			Mode: int64(fi.Mode().Perm()), ModTime: t.mtime, Format: tar.FormatPAX})
	default:
		return fmt.Errorf("%s: unsupported file type %s", src, fi.Mode().Type())
	}
}

// regular writes exactly size bytes of the host file src as name.
func (t *Writer) regular(name, src string, mode fs.FileMode, size int64) error {
	if err := t.Dir(path.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: int64(mode.Perm()),
		Size: size, ModTime: t.mtime, Format: tar.FormatPAX}); err != nil {
		return err
	}
	// A file that changes size while being sent would corrupt the stream; CopyN keeps it exact.
	if _, err := io.CopyN(t.tw, f, size); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}

// RecipeTree writes a recipe or common tree under prefix exactly as recipe.Hash sees it (one
// walker for both): symlinks inside the recipes directory become what they point to, any other
// link stops the stream with the walker's error, naming the path.
func (t *Writer) RecipeTree(ctx context.Context, tr recipe.Tree, prefix string) error {
	return tr.Walk(ctx, func(e recipe.TreeEntry) error {
		name := path.Join(prefix, e.Rel)
		if e.Mode.IsDir() {
			return t.Dir(name, e.Mode)
		}
		return t.regular(name, e.Path, e.Mode, e.Size)
	})
}

// Tree writes every file under root as prefix/<relative path>, in sorted order.
func (t *Writer) Tree(ctx context.Context, root, prefix string) error {
	var names []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, rel := range names {
		if err := t.File(ctx, filepath.Join(root, rel), path.Join(prefix, filepath.ToSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}
