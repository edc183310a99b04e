package packager

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

var testIndex = LoaderIndex{Version: "d9a8771", Created: "2024-01-02 03:04", Platform: "Debian-12"}

func TestWriteLoader(t *testing.T) {
	img := bytes.Repeat([]byte("OSv kernel "), 10000)
	dir := filepath.Join(t.TempDir(), "mike", "osv-loader")
	assert.NilError(t, WriteLoader(t.Context(), dir, bytes.NewReader(img), testIndex))

	raw, err := os.ReadFile(filepath.Join(dir, LoaderImageFile))
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(raw, img))

	gz, err := os.ReadFile(filepath.Join(dir, LoaderGzipFile))
	assert.NilError(t, err)
	assert.DeepEqual(t, gz[3:8], []byte{0, 0, 0, 0, 0}) // no name, zero mtime
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	assert.NilError(t, err)
	unpacked, err := io.ReadAll(zr)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(unpacked, img))

	index, err := os.ReadFile(filepath.Join(dir, LoaderIndexFile))
	assert.NilError(t, err)
	assert.Equal(t, string(index), `description: OSv Bootloader
format_version: 1
version: d9a8771
created: 2024-01-02 03:04
platform: Debian-12
`)

	for _, name := range []string{LoaderImageFile, LoaderGzipFile, LoaderIndexFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		assert.NilError(t, err)
		assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644), name)
	}
	fi, err := os.Stat(dir)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o755))

	// Rewriting replaces the directory whole and gives the same bytes.
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "stale"), []byte("x"), 0o644))
	assert.NilError(t, WriteLoader(t.Context(), dir, bytes.NewReader(img), testIndex))
	gz2, err := os.ReadFile(filepath.Join(dir, LoaderGzipFile))
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(gz, gz2))
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 3))
	siblings, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	assert.Check(t, is.Len(siblings, 1), "temporary directories left behind")
}

func TestWriteLoaderValidates(t *testing.T) {
	tests := []struct {
		name  string
		idx   LoaderIndex
		field string
	}{
		{"no version", LoaderIndex{Created: "2024-01-02 03:04", Platform: "p"}, "version"},
		{"RFC 3339 created", LoaderIndex{Version: "v", Created: "2024-01-02T03:04:05Z", Platform: "p"}, "created"},
		{"no platform", LoaderIndex{Version: "v", Created: "2024-01-02 03:04"}, "platform"},
		{"format 2", LoaderIndex{FormatVersion: 2, Version: "v", Created: "2024-01-02 03:04", Platform: "p"}, "format_version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "osv-loader")
			err := WriteLoader(t.Context(), dir, strings.NewReader("img"), tc.idx)
			var fe *FieldError
			assert.Assert(t, errors.As(err, &fe), "got %v", err)
			assert.Equal(t, fe.Field, tc.field)
			_, err = os.Stat(dir)
			assert.Assert(t, errors.Is(err, os.ErrNotExist))
		})
	}
}

func TestWriteLoaderFailureKeepsOldImage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "osv-loader")
	assert.NilError(t, WriteLoader(t.Context(), dir, strings.NewReader("old"), testIndex))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := WriteLoader(ctx, dir, strings.NewReader("new"), testIndex)
	assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
	raw, err := os.ReadFile(filepath.Join(dir, LoaderImageFile))
	assert.NilError(t, err)
	assert.Equal(t, string(raw), "old")
	siblings, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	assert.Check(t, is.Len(siblings, 1), "temporary directories left behind")
}
