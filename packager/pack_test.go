package packager

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// goldenTree exercises every kind of entry Pack handles.
func goldenTree(t *testing.T) string {
	dir := packageTree(t,
		node{path: "meta/run.yaml", content: "runtime: native\nconfig_set:\n  default:\n    bootcmd: /bin/app.so\n"},
		node{path: "bin/app.so", content: "\x7fELF app", mode: 0o755},
		node{path: "bin/suid.so", content: "suid", mode: 0o4755},
		node{path: "lib/libx.so", content: "libx"},
		node{path: "lib/libx.so.1", link: "libx.so"},
		node{path: "usr/lib/libnode.so", link: "/bin/libnode.so"},
		node{path: "dangling", link: "does/not/exist"},
		node{path: "outside", link: "../../../etc"},
		node{path: "a/z", content: "z"},
		node{path: "a-b", content: "dash sorts before slash"},
		node{path: "empty", dir: true, mode: 0o700},
		node{path: "demo.mpm", content: "old archive, left out"},
		node{path: "mpm-pkg/collected", content: "compose leftovers, left out"},
		node{path: "sub/demo.mpm", content: "kept: only the root one is left out"},
		node{path: strings.Repeat("long-directory-name/", 8) + "file-with-a-long-name.txt", content: "long"},
	)
	// Directory modes must not depend on the umask or on t.TempDir.
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && fi.Name() != "empty" {
			err = os.Chmod(p, 0o755)
		}
		return err
	})
	assert.NilError(t, err)
	// A hard link is stored as a second regular file.
	assert.NilError(t, os.Link(filepath.Join(dir, "lib/libx.so"), filepath.Join(dir, "lib/hard.so")))
	return dir
}

func TestPackGoldenListing(t *testing.T) {
	dir := goldenTree(t)
	mpm := packBytes(t, dir, PackOptions{ModTime: fixedTime})
	golden.Assert(t, listing(t, mpm), "pack-listing.golden")
}

func TestPackGzipHeaderIsDeterministic(t *testing.T) {
	mpm := packBytes(t, packageTree(t), PackOptions{ModTime: fixedTime})
	assert.Assert(t, len(mpm) > 10)
	assert.DeepEqual(t, mpm[:2], []byte{0x1f, 0x8b})
	assert.Equal(t, mpm[3], byte(0), "no FNAME/FCOMMENT/FEXTRA flags")
	assert.DeepEqual(t, mpm[4:8], []byte{0, 0, 0, 0}) // MTIME
}

func TestPackIsReproducible(t *testing.T) {
	files := []node{
		{path: "meta/package.yaml", content: validPackageYAML},
		{path: "bin/app.so", content: "app", mode: 0o755},
		{path: "lib/a.so", content: "a"},
		{path: "lib/b.so", content: "b"},
		{path: "lib/link", link: "a.so"},
		{path: "share/doc/readme", content: "read me"},
	}
	first := t.TempDir()
	writeTree(t, first, files)

	// The same tree written in reverse order, with other timestamps and,
	// when we can, another owner.
	second := t.TempDir()
	for i := len(files) - 1; i >= 0; i-- {
		writeTree(t, second, files[i:i+1])
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)
	err := filepath.Walk(second, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		if os.Geteuid() == 0 {
			_ = os.Lchown(p, 1234, 5678)
		}
		return os.Chtimes(p, old, old)
	})
	assert.NilError(t, err)

	opt := PackOptions{ModTime: fixedTime.Add(999 * time.Millisecond)}
	a := packBytes(t, first, opt)
	b := packBytes(t, second, opt)
	assert.Assert(t, bytes.Equal(a, b), "two packings of one tree differ")
	assert.Assert(t, bytes.Equal(a, packBytes(t, first, opt)), "packing twice differs")
}

func TestPackSymlinksAreNeverFollowed(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, []node{{path: "secret", content: "host secret"}})
	dir := packageTree(t,
		node{path: "abs", link: "/bin/libnode.so"},
		node{path: "rel", link: "meta/package.yaml"},
		node{path: "dangling", link: "nowhere"},
		node{path: "out", link: outside},
		node{path: "outfile", link: filepath.Join(outside, "secret")},
	)
	a, err := ReadMPM(bytes.NewReader(packBytes(t, dir, PackOptions{})))
	assert.NilError(t, err)
	links := map[string]string{}
	for _, e := range a.Entries {
		assert.Assert(t, !strings.HasPrefix(e.Name, "out/"), "followed a symlink: %s", e.Name)
		if e.Type == '2' {
			links[e.Name] = e.Linkname
			assert.Equal(t, e.Size, int64(0))
		}
	}
	assert.DeepEqual(t, links, map[string]string{
		"abs": "/bin/libnode.so", "rel": "meta/package.yaml", "dangling": "nowhere",
		"out": outside, "outfile": filepath.Join(outside, "secret"),
	})
}

func TestPackExclusions(t *testing.T) {
	dir := packageTree(t,
		node{path: "demo.mpm", content: "x"},
		node{path: "other.mpm", content: "x"},
		node{path: "mpm-pkg/a", content: "x"},
		node{path: "lib/mpm-pkg/a", content: "x"},
		node{path: "lib/demo.mpm", content: "x"},
	)
	tests := []struct {
		name string
		opt  PackOptions
		want []string
	}{
		{"name from package.yaml", PackOptions{},
			[]string{"/", "/lib/", "/lib/demo.mpm", "/lib/mpm-pkg/", "/lib/mpm-pkg/a", "/meta/", "/meta/package.yaml", "/other.mpm"}},
		{"name from options", PackOptions{Name: "other"},
			[]string{"/", "/demo.mpm", "/lib/", "/lib/demo.mpm", "/lib/mpm-pkg/", "/lib/mpm-pkg/a", "/meta/", "/meta/package.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.DeepEqual(t, names(t, packBytes(t, dir, tc.opt)), tc.want)
		})
	}
}

func TestPackMaxSize(t *testing.T) {
	dir := packageTree(t,
		node{path: "a", content: strings.Repeat("a", 600)},
		node{path: "b", content: strings.Repeat("b", 600)},
	)
	var buf bytes.Buffer
	err := Pack(t.Context(), dir, &buf, PackOptions{MaxSize: 1000})
	var le *LimitError
	assert.Assert(t, errors.As(err, &le), "got %v", err)
	assert.Equal(t, le.Limit, int64(1000))
	assert.ErrorContains(t, err, "over the limit of 1000 bytes")
	assert.ErrorContains(t, err, `"b"`)

	packBytes(t, dir, PackOptions{MaxSize: 10000})
}

func TestPackNeedsValidDescriptor(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		err := Pack(t.Context(), t.TempDir(), &bytes.Buffer{}, PackOptions{})
		assert.Assert(t, errors.Is(err, os.ErrNotExist), "got %v", err)
	})
	t.Run("invalid", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, []node{{path: "meta/package.yaml", content: "name: x\n"}})
		err := Pack(t.Context(), dir, &bytes.Buffer{}, PackOptions{})
		var fe *FieldError
		assert.Assert(t, errors.As(err, &fe), "got %v", err)
	})
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, []node{{path: "real.yaml", content: validPackageYAML}, {path: "meta/package.yaml", link: "../real.yaml"}})
		err := Pack(t.Context(), dir, &bytes.Buffer{}, PackOptions{})
		assert.ErrorContains(t, err, "not a regular file")
	})
}

func TestPackCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Pack(ctx, packageTree(t), &bytes.Buffer{}, PackOptions{})
	assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestPackFile(t *testing.T) {
	dir := packageTree(t, node{path: "lib/x.so", content: "x"})

	// Written inside the package, as capstan package build does: neither the
	// temporary file nor the result end up in the archive.
	dest := filepath.Join(dir, "demo.mpm")
	d1, err := PackFile(t.Context(), dir, dest, PackOptions{ModTime: fixedTime})
	assert.NilError(t, err)
	data, err := os.ReadFile(dest)
	assert.NilError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, d1.SHA256, hex.EncodeToString(sum[:]))
	assert.Equal(t, d1.Size, int64(len(data)))
	assert.DeepEqual(t, names(t, data), []string{"/", "/lib/", "/lib/x.so", "/meta/", "/meta/package.yaml"})
	fi, err := os.Stat(dest)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))

	// Packed again under another name elsewhere: same bytes.
	out := filepath.Join(t.TempDir(), "copy.mpm")
	d2, err := PackFile(t.Context(), dir, out, PackOptions{ModTime: fixedTime})
	assert.NilError(t, err)
	assert.DeepEqual(t, d1, d2)

	// A failure leaves no file behind.
	_, err = PackFile(t.Context(), t.TempDir(), filepath.Join(filepath.Dir(out), "bad.mpm"), PackOptions{})
	assert.Assert(t, err != nil)
	entries, err := os.ReadDir(filepath.Dir(out))
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 1))
}

func TestWriteDescriptor(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "demo.yaml")
	p := &Package{Name: "demo", Title: "Demo", Author: "T", Require: []string{"osv.bootstrap"}, Created: "2024-01-02T03:04:05Z"}
	assert.NilError(t, WriteDescriptor(dest, p))
	got, err := LoadPackage(dest)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, p)
}

func BenchmarkPack(b *testing.B) {
	dir := b.TempDir()
	assert.NilError(b, os.MkdirAll(filepath.Join(dir, "meta"), 0o755))
	assert.NilError(b, os.WriteFile(filepath.Join(dir, "meta", "package.yaml"), []byte(validPackageYAML), 0o644))
	// Compressible but not trivial content.
	chunk := bytes.Repeat([]byte("OSv unikernel package content 0123456789 "), 1<<12)
	for i := range 16 {
		assert.NilError(b, os.WriteFile(filepath.Join(dir, "f"+strings.Repeat("x", i)), chunk, 0o644))
	}
	b.SetBytes(int64(16 * len(chunk)))
	for b.Loop() {
		if err := Pack(b.Context(), dir, discard{}, PackOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
