package fsutil

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ConfinedError is a refused read of a file inside a confined root: a symlink on the way, a file
// that is not regular, one too large, or a name that leaves the root.
type ConfinedError struct {
	Name   string // as given, relative to the root
	Reason string
}

func (e *ConfinedError) Error() string { return e.Name + ": " + e.Reason }

// ReadConfined reads the regular file name (slash-separated, relative) inside dir, for content
// that recipes produced and the host must read: package.yaml, run.yaml, a package's descriptor.
// Nothing outside dir is ever opened (see OpenConfined), and at most limit bytes are read. A
// missing file gives an error that matches fs.ErrNotExist.
func ReadConfined(dir, name string, limit int64) ([]byte, error) {
	f, err := OpenConfined(dir, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, &ConfinedError{Name: name, Reason: fmt.Sprintf("%d bytes, more than the %d allowed", fi.Size(), limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &ConfinedError{Name: name, Reason: fmt.Sprintf("more than the %d bytes allowed", limit)}
	}
	return data, nil
}

// OpenConfined opens the regular file name (slash-separated, relative) inside dir for reading.
// Nothing outside dir is ever opened: the name may not leave dir, and no component of it may be
// a symlink (not even one pointing inside dir: what is read must be what a tree holds at that
// path). Only a regular file is opened, and the open cannot block: a FIFO or device is refused
// before it is opened, and opened non-blocking should one replace the file meanwhile. A missing
// file gives an error that matches fs.ErrNotExist.
func OpenConfined(dir, name string) (*os.File, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if !filepath.IsLocal(clean) {
		return nil, &ConfinedError{Name: name, Reason: "the name leaves its directory"}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fi, err := lstatEach(root, clean, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &ConfinedError{Name: name, Reason: "a " + Kind(fi.Mode()) + ", not a regular file"}
	}
	f, err := root.OpenFile(clean, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return nil, err
	}
	opened, err := f.Stat()
	if err == nil && (!os.SameFile(fi, opened) || !opened.Mode().IsRegular()) {
		err = &ConfinedError{Name: name, Reason: "changed while being opened"}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lstatEach checks every component of clean inside root, refusing symlinks, and returns the last
// one's information.
func lstatEach(root *os.Root, clean, name string) (fs.FileInfo, error) {
	parts := strings.Split(clean, string(filepath.Separator))
	var fi fs.FileInfo
	for i := range parts {
		prefix := filepath.Join(parts[:i+1]...)
		var err error
		fi, err = root.Lstat(prefix)
		if err != nil {
			return nil, err
		}
		last := i == len(parts)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0 && last:
			return nil, &ConfinedError{Name: name, Reason: "a symlink, not a regular file (links in recipe output are never followed on the host)"}
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, &ConfinedError{Name: name, Reason: filepath.ToSlash(prefix) + " is a symlink (links in recipe output are never followed on the host)"}
		case !last && !fi.IsDir():
			return nil, &ConfinedError{Name: name, Reason: filepath.ToSlash(prefix) + " is not a directory"}
		}
	}
	return fi, nil
}

// Kind names a file type for messages: "regular file", "directory", "symlink", "named pipe
// (fifo)", "socket", "character device", "block device".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (fifo)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	default:
		return "file of mode " + m.String()
	}
}
