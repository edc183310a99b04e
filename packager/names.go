package packager

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// cleanEntryName checks a tar entry name that must stay inside the tree it
// is extracted to and returns it cleaned, slash-separated, without leading or
// trailing slashes; the tree's root is ".". A name with a ".." component, a
// NUL byte or (after the caller removed any slash it allows) a leading slash
// is refused with the reason.
func cleanEntryName(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("empty name")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("name contains a NUL byte")
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("absolute path")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("path has a %q component", "..")
		}
	}
	return path.Clean(name), nil
}

// splitName returns the components of a cleaned name; the root has none.
func splitName(clean string) []string {
	if clean == "." {
		return nil
	}
	return strings.Split(clean, "/")
}

// archiveStream returns a reader of the tar inside r, which may be gzip
// compressed (an .mpm) or plain (what Docker's copy API returns). close
// releases the decompressor.
func archiveStream(r io.Reader) (tarStream io.Reader, close func() error, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("reading archive: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading archive: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() error { return nil }, nil
}

// typeName names a tar entry type for messages.
func typeName(t byte) string {
	switch t {
	case tar.TypeReg: // the reader turns the old TypeRegA into TypeReg
		return "regular file"
	case tar.TypeDir:
		return "directory"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe (fifo)"
	default:
		return fmt.Sprintf("entry of type %q", t)
	}
}
