package recipe

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// hashVersion starts every hashed stream; change it whenever the stream's
// layout changes so old and new hashes can never be confused.
const hashVersion = "pkgdriver recipe hash v1"

// Record tags in the hashed stream.
const (
	tagRoot    = 'r'
	tagDir     = 'd'
	tagFile    = 'f'
	tagSymlink = 'l'
	tagEnd     = 'e'
)

// hashedMode is the part of a file mode that can change a build: the
// permission bits and setuid, setgid and sticky.
const hashedMode = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Hash fingerprints everything a build of r can read from its inputs: the
// recipe's name and every entry under its directory and under each common
// directory. It returns a hex SHA-256.
//
// Each entry contributes its path relative to its root, its type, and its
// mode bits and size and content (files), mode bits (directories) or target
// (symlinks, which are never followed). Modification times, owners and the absolute location of
// the trees do not count, so a fresh checkout hashes the same. Every
// variable-length field is length-prefixed and every record tagged, so two
// different trees cannot produce the same stream by concatenation.
//
// A symlinked recipe or common directory is followed once, at its root.
// Devices, sockets and pipes give an error wrapping ErrUnsupportedFile.
func Hash(ctx context.Context, r *Recipe, commonDirs []string) (string, error) {
	h := sha256.New()
	w := &streamWriter{h: h}
	w.str(hashVersion)
	w.str(r.Name)
	roots := append([]string{r.Dir}, commonDirs...)
	for i, root := range roots {
		w.tag(tagRoot)
		w.num(uint64(i))
		if err := hashTree(ctx, w, root); err != nil {
			return "", fmt.Errorf("hashing recipe %q: %w", r.Name, err)
		}
	}
	w.tag(tagEnd)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree streams root's entries in lexical walk order, which is the same
// on every machine.
func hashTree(ctx context.Context, w *streamWriter, root string) error {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	return filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(real, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return hashEntry(w, path, filepath.ToSlash(rel), info)
	})
}

func hashEntry(w *streamWriter, path, rel string, info fs.FileInfo) error {
	mode := info.Mode()
	switch {
	case mode.IsDir():
		w.tag(tagDir)
		w.str(rel)
		w.num(uint64(mode & hashedMode))
	case mode.IsRegular():
		w.tag(tagFile)
		w.str(rel)
		w.num(uint64(mode & hashedMode))
		w.num(uint64(info.Size()))
		return w.content(path, info.Size())
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		// A symlink's own mode bits mean nothing on Linux and depend on the
		// umask on macOS, so only its target counts.
		w.tag(tagSymlink)
		w.str(rel)
		w.str(target)
	default:
		return fmt.Errorf("%s: %w (%s)", path, ErrUnsupportedFile, kind(mode))
	}
	return nil
}

// streamWriter frames values onto a hash. Writes to a hash.Hash never fail.
type streamWriter struct {
	h hash.Hash
}

func (w *streamWriter) tag(t byte) { w.h.Write([]byte{t}) }

func (w *streamWriter) num(n uint64) {
	w.h.Write(binary.BigEndian.AppendUint64(nil, n))
}

func (w *streamWriter) str(s string) {
	w.num(uint64(len(s)))
	io.WriteString(w.h, s)
}

// content appends exactly size bytes of the file, the size already written
// in front, and fails if the file changed length in the meantime: a
// fingerprint of a file being edited would be of neither version.
func (w *streamWriter) content(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(w.h, f, size); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: file shrank while being hashed", path)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return fmt.Errorf("%s: file grew while being hashed", path)
	}
	return nil
}
