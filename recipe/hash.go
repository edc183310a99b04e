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
)

// hashVersion starts every hashed stream; change it whenever the stream's
// layout changes so old and new hashes can never be confused. v2: symlinks are
// hashed as what they resolve to, as they are sent to the build.
const hashVersion = "pkgdriver recipe hash v2"

// Record tags in the hashed stream.
const (
	tagRoot = 'r'
	tagDir  = 'd'
	tagFile = 'f'
	tagEnd  = 'e'
)

// hashedMode is the part of a file mode that can change a build: the
// permission bits and setuid, setgid and sticky.
const hashedMode = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Hash fingerprints everything a build of r can read from its inputs: the
// recipe's name and every entry of Trees(r, commonDirs), walked exactly as the
// build receives them (Tree.Walk). It returns a hex SHA-256.
//
// Each entry contributes its path relative to its root, its type, and its
// mode bits and size and content (files) or mode bits (directories). A
// symlink counts as what it resolves to, because that is what the build gets;
// a link the build could not be given (outside the recipes directory,
// dangling, a cycle) is an error wrapping a *LinkError. Modification times,
// owners and the absolute location of the trees do not count, so a fresh
// checkout hashes the same. Every variable-length field is length-prefixed and
// every record tagged, so two different trees cannot produce the same stream
// by concatenation. Devices, sockets and pipes give an error wrapping
// ErrUnsupportedFile.
func Hash(ctx context.Context, r *Recipe, commonDirs []string) (string, error) {
	h := sha256.New()
	w := &streamWriter{h: h}
	w.str(hashVersion)
	w.str(r.Name)
	for i, t := range Trees(r, commonDirs) {
		w.tag(tagRoot)
		w.num(uint64(i))
		if err := t.Walk(ctx, w.entry); err != nil {
			return "", fmt.Errorf("hashing recipe %q: %w", r.Name, err)
		}
	}
	w.tag(tagEnd)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (w *streamWriter) entry(e TreeEntry) error {
	if e.Mode.IsDir() {
		w.tag(tagDir)
		w.str(e.Rel)
		w.num(uint64(e.Mode & hashedMode))
		return nil
	}
	w.tag(tagFile)
	w.str(e.Rel)
	w.num(uint64(e.Mode & hashedMode))
	w.num(uint64(e.Size))
	return w.content(e.Path, e.Size)
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
