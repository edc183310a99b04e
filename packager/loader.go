package packager

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"gopkg.in/yaml.v3"
)

// Names of the files of a Capstan base image such as mike/osv-loader.
const (
	LoaderImageFile = "osv-loader.qemu"
	LoaderGzipFile  = "osv-loader.qemu.gz"
	LoaderIndexFile = "index.yaml"
)

// LoaderDescription is the description Capstan's OSv loader image carries.
const LoaderDescription = "OSv Bootloader"

// LoaderCreatedLayout is the layout of index.yaml's created field (UTC),
// Capstan's "friendly" time format.
const LoaderCreatedLayout = "2006-01-02 15:04"

// LoaderIndex is the index.yaml of a Capstan base image.
type LoaderIndex struct {
	Description   string `yaml:"description"`
	FormatVersion int    `yaml:"format_version"`
	// Version is the OSv short commit the kernel was built from.
	Version string `yaml:"version"`
	// Created is UTC in LoaderCreatedLayout.
	Created  string `yaml:"created"`
	Platform string `yaml:"platform"`
}

// Validate fills the fixed fields when left zero (Description
// "OSv Bootloader", FormatVersion 1) and checks the others.
func (idx *LoaderIndex) Validate() error {
	if idx.Description == "" {
		idx.Description = LoaderDescription
	}
	if idx.FormatVersion == 0 {
		idx.FormatVersion = 1
	}
	if idx.FormatVersion != 1 {
		return &FieldError{File: LoaderIndexFile, Field: "format_version", Reason: fmt.Sprintf("%d; Capstan reads format 1", idx.FormatVersion)}
	}
	if idx.Version == "" {
		return &FieldError{File: LoaderIndexFile, Field: "version", Reason: "missing (the OSv short commit)"}
	}
	if _, err := time.Parse(LoaderCreatedLayout, idx.Created); err != nil {
		return &FieldError{File: LoaderIndexFile, Field: "created",
			Reason: fmt.Sprintf("%q is not UTC %q", idx.Created, LoaderCreatedLayout)}
	}
	if idx.Platform == "" {
		return &FieldError{File: LoaderIndexFile, Field: "platform", Reason: "missing"}
	}
	return nil
}

// WriteLoader writes the OSv kernel as a Capstan base image into dir:
// osv-loader.qemu (the kernel's loader.img, read from loaderImg),
// osv-loader.qemu.gz (gzip with no name and zero mtime, so deterministic) and
// index.yaml. Everything is written into a temporary directory beside dir
// that then replaces dir in one rename (an atomic exchange where the system
// offers it), so dir never holds a partial image.
func WriteLoader(ctx context.Context, dir string, loaderImg io.Reader, idx LoaderIndex) error {
	index, err := idx.marshal()
	if err != nil {
		return fmt.Errorf("writing loader: %w", err)
	}
	err = writeDirAtomic(dir, func(tmp string) error {
		return writeLoaderFiles(ctx, tmp, loaderImg, index)
	})
	if err != nil {
		return fmt.Errorf("writing loader: %w", err)
	}
	return nil
}

// marshal validates idx and renders it as index.yaml.
func (idx LoaderIndex) marshal() ([]byte, error) {
	if err := idx.Validate(); err != nil {
		return nil, err
	}
	return yaml.Marshal(&idx)
}

// writeDirAtomic makes dir a directory (mode 0755) filled by fill: fill
// writes into a temporary directory beside dir, which then takes dir's place
// in one rename. On any failure the temporary directory is removed and dir
// is left as it was.
func writeDirAtomic(dir string, fill func(tmp string) error) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	// After the swap tmp holds the previous directory; either way it goes.
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := fsutil.SwapDir(tmp, dir); err != nil {
		return err
	}
	return fsutil.SyncDir(parent)
}

// writeLoaderFiles writes the three files into dir, reading the image once
// and compressing it on the way.
func writeLoaderFiles(ctx context.Context, dir string, img io.Reader, index []byte) error {
	raw, err := os.OpenFile(filepath.Join(dir, LoaderImageFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer raw.Close()
	gzf, err := os.OpenFile(filepath.Join(dir, LoaderGzipFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer gzf.Close()
	zw, err := gzip.NewWriterLevel(gzf, gzipLevel)
	if err != nil {
		return err
	}
	if _, err := copyWithContext(ctx, io.MultiWriter(raw, zw), img, make([]byte, copyBufferSize)); err != nil {
		return fmt.Errorf("copying loader image: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	for _, f := range []*os.File{raw, gzf} {
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return writeSynced(filepath.Join(dir, LoaderIndexFile), index)
}

// writeSynced writes a new file and flushes it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
