package packager

import (
	"archive/tar"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
)

// FileDigest is one regular file of a package archive with the digests an SBOM states.
type FileDigest struct {
	// Name is relative to the package root, without a leading "/".
	Name string
	Size int64
	// SHA256, SHA1 and MD5 are lowercase hex. SPDX 2.3 requires SHA-1 for files; MD5 is what
	// Debian's package database records, so a file can be traced to the package it came from.
	SHA256, SHA1, MD5 string
}

// ArchiveDigests is what FileDigests found in an archive.
type ArchiveDigests struct {
	// SHA256 and Size are of the archive's own bytes.
	SHA256 string
	Size   int64
	// Files are the regular files, sorted by name.
	Files []FileDigest
}

// FileDigests reads a package archive (as ReadMPM checks it: the same names and entry types
// are refused) and returns the digests of the archive and of every regular file in it.
func FileDigests(r io.Reader) (*ArchiveDigests, error) {
	outer := sha256.New()
	counter := &countingWriter{}
	src, closeSrc, err := archiveStream(io.TeeReader(r, io.MultiWriter(outer, counter)))
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	a := &ArchiveDigests{}
	buf := make([]byte, 256<<10)
	err = eachEntry(src, func(e Entry, _ *tar.Header, content io.Reader) error {
		if e.Type != tar.TypeReg {
			return nil
		}
		h256, h1, h5 := sha256.New(), sha1.New(), md5.New()
		n, err := io.CopyBuffer(io.MultiWriter(h256, h1, h5), content, buf)
		if err != nil {
			return fmt.Errorf("reading archive: %s: %w", e.Name, err)
		}
		a.Files = append(a.Files, FileDigest{Name: e.Name, Size: n,
			SHA256: hex.EncodeToString(h256.Sum(nil)), SHA1: hex.EncodeToString(h1.Sum(nil)),
			MD5: hex.EncodeToString(h5.Sum(nil))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// To the end of the input, so the gzip trailer is checked and the archive digest is whole.
	if _, err := io.CopyBuffer(io.Discard, src, buf); err != nil {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	sort.Slice(a.Files, func(i, j int) bool { return a.Files[i].Name < a.Files[j].Name })
	a.SHA256, a.Size = hex.EncodeToString(outer.Sum(nil)), counter.n
	return a, nil
}

// FileDigestsOf opens the archive at path and reads it with FileDigests.
func FileDigestsOf(path string) (*ArchiveDigests, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := FileDigests(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
