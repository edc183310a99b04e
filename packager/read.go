package packager

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// RunFile is where a package keeps its boot configuration, relative to its
// root.
const RunFile = "meta/run.yaml"

// MaxMetaSize bounds a meta file (package.yaml, run.yaml) that is read into memory to parse.
const MaxMetaSize = 1 << 20

// Entry is one archive member as listed by ReadMPM.
type Entry struct {
	// Name is relative to the package root, without the leading "/" or a
	// directory's trailing "/"; the root itself is ".".
	Name string
	// Type is the tar type flag (tar.TypeReg, tar.TypeDir, tar.TypeSymlink).
	Type     byte
	Mode     int64
	Size     int64
	Linkname string
}

// Archive is what ReadMPM found in a package archive.
type Archive struct {
	// Entries are in archive order.
	Entries []Entry
	// Package is the parsed meta/package.yaml.
	Package *Package
	// RunConfig is the parsed meta/run.yaml, nil when the package has none.
	RunConfig *RunConfig
}

// ReadMPM reads a whole package archive (gzip-compressed or plain tar),
// checking every entry as Capstan would use it: names may carry a leading "/"
// or not; a name that stays absolute or has a ".." component, a repeated
// name, and any entry other than a regular file, directory or symlink is an
// *UnsafeEntryError (Capstan turns hard links into empty files and fails on
// devices). Symlinks are listed, never followed; their targets are data for
// the unikernel's file system, so absolute targets are normal.
// meta/package.yaml must be present and valid; meta/run.yaml, when present,
// must be valid too. Reading to the end also verifies the gzip checksum.
func ReadMPM(r io.Reader) (*Archive, error) {
	src, closeSrc, err := archiveStream(r)
	if err != nil {
		return nil, err
	}
	defer closeSrc()

	a := &Archive{}
	err = eachEntry(src, func(e Entry, hdr *tar.Header, content io.Reader) error {
		a.Entries = append(a.Entries, e)
		if e.Type != tar.TypeReg {
			return nil
		}
		var err error
		switch e.Name {
		case PackageFile:
			data, rerr := readMeta(content, hdr)
			if rerr != nil {
				return rerr
			}
			a.Package, err = ParsePackage(data, PackageFile)
		case RunFile:
			data, rerr := readMeta(content, hdr)
			if rerr != nil {
				return rerr
			}
			a.RunConfig, err = ParseRunConfig(data, RunFile)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Drain what follows the tar's end marker so the gzip reader reaches its
	// trailer and checks the CRC.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, fmt.Errorf("reading archive: %w", err)
	}
	if a.Package == nil {
		return nil, fmt.Errorf("archive has no %s", PackageFile)
	}
	return a, nil
}

// VerifyFile opens the package archive at path and reads it with ReadMPM.
func VerifyFile(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verifying package: %w", err)
	}
	defer f.Close()
	a, err := ReadMPM(f)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", path, err)
	}
	return a, nil
}

// eachEntry reads a package's tar stream, checks every header with mpmEntry and refuses a
// repeated name, and calls fn with each entry and its content.
func eachEntry(src io.Reader, fn func(e Entry, hdr *tar.Header, content io.Reader) error) error {
	seen := map[string]bool{}
	tr := tar.NewReader(src)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading archive: %w", err)
		}
		e, err := mpmEntry(hdr)
		if err != nil {
			return err
		}
		if seen[e.Name] {
			return &UnsafeEntryError{Entry: hdr.Name, Reason: "appears twice in the archive"}
		}
		seen[e.Name] = true
		if err := fn(e, hdr, tr); err != nil {
			return err
		}
	}
}

// mpmEntry checks one header of a package archive and lists it.
func mpmEntry(hdr *tar.Header) (Entry, error) {
	// Capstan names the root "/", and every other entry from it.
	rel := strings.TrimPrefix(hdr.Name, "/")
	if hdr.Name == "/" {
		rel = "."
	}
	name, err := cleanEntryName(rel)
	if err != nil {
		return Entry{}, &UnsafeEntryError{Entry: hdr.Name, Reason: err.Error()}
	}
	typ := hdr.Typeflag
	switch typ {
	case tar.TypeReg: // the reader turns the old TypeRegA into TypeReg
		typ = tar.TypeReg
	case tar.TypeDir:
	case tar.TypeSymlink:
		if hdr.Linkname == "" {
			return Entry{}, &UnsafeEntryError{Entry: hdr.Name, Reason: "symlink without a target"}
		}
	default:
		return Entry{}, &UnsafeEntryError{Entry: hdr.Name,
			Reason: typeName(typ) + " cannot be in a package (only regular files, directories and symlinks)"}
	}
	if name == "." && typ != tar.TypeDir {
		return Entry{}, &UnsafeEntryError{Entry: hdr.Name, Reason: "the package root must be a directory"}
	}
	return Entry{Name: name, Type: typ, Mode: hdr.Mode, Size: hdr.Size, Linkname: hdr.Linkname}, nil
}

// readMeta reads a small meta file's content from the archive.
func readMeta(r io.Reader, hdr *tar.Header) ([]byte, error) {
	if hdr.Size > MaxMetaSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a descriptor may have", hdr.Name, hdr.Size, MaxMetaSize)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxMetaSize))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", hdr.Name, err)
	}
	return data, nil
}
