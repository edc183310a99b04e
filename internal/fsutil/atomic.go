package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// AtomicFile is a file being written under a temporary name beside its destination; Commit
// makes it appear under the final name in one rename, so readers never see a half-written file.
type AtomicFile struct {
	*os.File
	dest string
	perm fs.FileMode
	done bool
}

// CreateAtomic starts writing dest. Call Commit to publish it, or Abort (always safe, also after
// Commit) to discard it. The temporary file lies in dest's directory (a rename never crosses a
// file system) and is named "."+base(dest)+".tmp-*".
func CreateAtomic(dest string, perm fs.FileMode) (*AtomicFile, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file for %s: %w", dest, err)
	}
	return &AtomicFile{File: f, dest: dest, perm: perm}, nil
}

// Commit gives the file its mode, flushes it to disk, renames it to its destination and syncs the
// directory, so that after a crash dest holds either its old content or the whole new one.
func (a *AtomicFile) Commit() error {
	if a.done {
		return errors.New("atomic file already committed or aborted")
	}
	a.done = true
	tmp := a.Name()
	err := a.Chmod(a.perm)
	if err == nil {
		err = a.Sync()
	}
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.dest)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", a.dest, err)
	}
	if err := SyncDir(filepath.Dir(a.dest)); err != nil {
		return fmt.Errorf("writing %s: %w", a.dest, err)
	}
	return nil
}

// Abort discards the temporary file unless it was committed.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	_ = a.Close()
	_ = os.Remove(a.Name())
}

// WriteFileAtomic writes data to path with mode perm through CreateAtomic: the file and its
// directory are synced, and no reader (nor a crash) ever sees a partial file.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := CreateAtomic(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// SyncDir flushes dir's entries to disk, which makes a rename or a new file inside it durable.
// A file system that cannot sync a directory (EINVAL, or an unsupported operation) is no error:
// there the rename is as durable as it can be made.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}
