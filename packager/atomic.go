package packager

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// atomicFile is a file being written under a temporary name beside its
// destination; Commit makes it appear under the final name in one rename, so
// readers never see a half-written file.
type atomicFile struct {
	*os.File
	dest string
	perm fs.FileMode
	done bool
}

// createAtomic starts writing dest. Call Commit to publish or Abort (always
// safe, also after Commit) to discard.
func createAtomic(dest string, perm fs.FileMode) (*atomicFile, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", dest, err)
	}
	return &atomicFile{File: f, dest: dest, perm: perm}, nil
}

// Commit flushes the file to disk, gives it its mode and renames it to dest.
func (a *atomicFile) Commit() error {
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
	syncDir(filepath.Dir(a.dest))
	return nil
}

// Abort discards the temporary file unless it was committed.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	_ = a.Close()
	_ = os.Remove(a.Name())
}

// writeFileAtomic writes data to path through createAtomic.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := createAtomic(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// syncDir makes a rename inside dir durable. It is best effort: some file
// systems refuse fsync on directories, and the rename itself already
// happened.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
