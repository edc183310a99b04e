package driver

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
)

// tarWriter writes host files into a tar stream for the engine: owned by root, one fixed mtime,
// modes kept, symlinks kept as links and never followed.
type tarWriter struct {
	tw    *tar.Writer
	mtime time.Time
	dirs  map[string]bool
	// links, when set, maps files with several hard links to the first name they were written
	// under, so later names become hard-link entries instead of second copies.
	links map[fileID]string
}

// keepHardLinks makes files that are hard links of each other go into the stream once, the
// other names as hard-link entries.
func (t *tarWriter) keepHardLinks() *tarWriter {
	t.links = map[fileID]string{}
	return t
}

func newTarWriter(w io.Writer) *tarWriter {
	return &tarWriter{tw: tar.NewWriter(w), mtime: time.Unix(0, 0), dirs: map[string]bool{}}
}

func (t *tarWriter) Close() error { return t.tw.Close() }

// dir writes a directory entry and any missing parents.
func (t *tarWriter) dir(name string, mode fs.FileMode) error {
	if name == "." || name == "/" || name == "" || t.dirs[name] {
		return nil
	}
	if err := t.dir(path.Dir(name), 0o755); err != nil {
		return err
	}
	t.dirs[name] = true
	return t.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeDir, Name: name + "/", Mode: int64(mode.Perm()), ModTime: t.mtime, Format: tar.FormatPAX,
	})
}

// bytes writes a regular file with the given content.
func (t *tarWriter) bytes(name string, data []byte, mode fs.FileMode) error {
	if err := t.dir(path.Dir(name), 0o755); err != nil {
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

// file writes the host file src (lstat'ed, so a symlink stays a symlink) as name.
func (t *tarWriter) file(ctx context.Context, src, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return t.dir(name, fi.Mode())
	}
	if err := t.dir(path.Dir(name), 0o755); err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), ModTime: t.mtime, Format: tar.FormatPAX}
	switch {
	case fi.Mode().IsRegular():
		hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		if id, ok := hardLinked(fi); ok && t.links != nil {
			if first, seen := t.links[id]; seen {
				hdr.Typeflag, hdr.Size, hdr.Linkname = tar.TypeLink, 0, first
				break
			}
			t.links[id] = name
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	default:
		return fmt.Errorf("%s: unsupported file type %s", src, fi.Mode().Type())
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	// A file that changes size while being sent would corrupt the stream; CopyN keeps it exact.
	if _, err := io.CopyN(t.tw, f, hdr.Size); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	return nil
}

// tree writes every file under root as prefix/<relative path>, in sorted order.
func (t *tarWriter) tree(ctx context.Context, root, prefix string) error {
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
		if err := t.file(ctx, filepath.Join(root, rel), path.Join(prefix, filepath.ToSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}
