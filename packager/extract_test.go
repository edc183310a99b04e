package packager

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// extractSetup returns an empty destination and a sibling directory that
// must never be written to.
func extractSetup(t *testing.T) (dest, outside string) {
	t.Helper()
	base := t.TempDir()
	dest = filepath.Join(base, "dest")
	outside = filepath.Join(base, "outside")
	assert.NilError(t, os.Mkdir(dest, 0o755))
	assert.NilError(t, os.Mkdir(outside, 0o755))
	return dest, outside
}

// tree lists every path under dir with its kind and, for files, mode.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		default:
			out = append(out, rel+" "+fi.Mode().String())
		}
		return nil
	})
	assert.NilError(t, err)
	sort.Strings(out)
	return out
}

func TestExtractRefusesUnsafeEntries(t *testing.T) {
	tests := []struct {
		name      string
		entries   []tarEntry
		strip     int
		wantEntry string
		wantIn    string // substring of the reason
	}{
		{name: "dot-dot", entries: []tarEntry{{name: "../escaped", content: "x"}}, wantEntry: "../escaped"},
		{name: "dot-dot deep", entries: []tarEntry{{name: "a/b/../../../escaped", content: "x"}}, wantEntry: "a/b/../../../escaped"},
		{name: "absolute", entries: []tarEntry{{name: "/etc/passwd", content: "x"}}, wantEntry: "/etc/passwd", wantIn: "absolute"},
		{
			name:      "write through symlink to /etc",
			entries:   []tarEntry{{name: "link", typ: tar.TypeSymlink, linkname: "/etc"}, {name: "link/passwd", content: "root::0:0::/:/bin/sh\n"}},
			wantEntry: "link/passwd", wantIn: "symlink",
		},
		{
			name:      "write through symlink to a sibling",
			entries:   []tarEntry{{name: "link", typ: tar.TypeSymlink, linkname: "../outside"}, {name: "link/planted", content: "x"}},
			wantEntry: "link/planted", wantIn: "symlink",
		},
		{
			name:      "write through symlink inside the tree",
			entries:   []tarEntry{{name: "real/", typ: tar.TypeDir}, {name: "link", typ: tar.TypeSymlink, linkname: "real"}, {name: "link/x", content: "x"}},
			wantEntry: "link/x", wantIn: "symlink",
		},
		{
			name:      "directory through symlink",
			entries:   []tarEntry{{name: "link", typ: tar.TypeSymlink, linkname: "../outside"}, {name: "link/d/", typ: tar.TypeDir}},
			wantEntry: "link/d/",
		},
		{
			name:      "file replacing a symlink",
			entries:   []tarEntry{{name: "link", typ: tar.TypeSymlink, linkname: "../outside/planted"}, {name: "link", content: "x"}},
			wantEntry: "link", wantIn: "already exists",
		},
		{name: "hard link out of the tree", entries: []tarEntry{{name: "h", typ: tar.TypeLink, linkname: "../outside/secret"}}, wantEntry: "h"},
		{name: "hard link to an absolute path", entries: []tarEntry{{name: "h", typ: tar.TypeLink, linkname: "/etc/passwd"}}, wantEntry: "h"},
		{name: "hard link to nothing extracted", entries: []tarEntry{{name: "h", typ: tar.TypeLink, linkname: "missing"}}, wantEntry: "h"},
		{
			name:      "hard link to a symlink",
			entries:   []tarEntry{{name: "s", typ: tar.TypeSymlink, linkname: "/etc/passwd"}, {name: "h", typ: tar.TypeLink, linkname: "s"}},
			wantEntry: "h",
		},
		{name: "hard link to a directory", entries: []tarEntry{{name: "d/", typ: tar.TypeDir}, {name: "h", typ: tar.TypeLink, linkname: "d"}}, wantEntry: "h"},
		{name: "char device", entries: []tarEntry{{name: "null", typ: tar.TypeChar}}, wantEntry: "null", wantIn: "character device"},
		{name: "block device", entries: []tarEntry{{name: "sda", typ: tar.TypeBlock}}, wantEntry: "sda", wantIn: "block device"},
		{name: "fifo", entries: []tarEntry{{name: "pipe", typ: tar.TypeFifo}}, wantEntry: "pipe", wantIn: "fifo"},
		{name: "repeated file", entries: []tarEntry{{name: "a", content: "1"}, {name: "a", content: "2"}}, wantEntry: "a"},
		{name: "file under a file", entries: []tarEntry{{name: "a", content: "1"}, {name: "a/b", content: "2"}}, wantEntry: "a/b"},
		{name: "symlink as the root", entries: []tarEntry{{name: ".", typ: tar.TypeSymlink, linkname: "/"}}, wantEntry: ".", wantIn: "destination"},
		{name: "dot-dot hidden by strip", entries: []tarEntry{{name: "../x/y", content: "x"}}, strip: 1, wantEntry: "../x/y"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest, outside := extractSetup(t)
			err := Extract(t.Context(), bytes.NewReader(makeTar(t, tc.entries...)), dest, ExtractOptions{StripComponents: tc.strip})
			ue := asUnsafe(t, err)
			assert.Equal(t, ue.Entry, tc.wantEntry)
			assert.Check(t, is.Contains(ue.Reason, tc.wantIn))
			assert.Check(t, is.Len(tree(t, outside), 0), "something was written outside dest")
			assert.Check(t, !bytes.Contains(mustRead(t, "/etc/passwd"), []byte("root::0:0::/:/bin/sh")))
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return b
}

func TestExtract(t *testing.T) {
	dest, _ := extractSetup(t)
	archive := makeTar(t,
		tarEntry{name: "result/", typ: tar.TypeDir, mode: 0o777},
		tarEntry{name: "result/secret/", typ: tar.TypeDir, mode: 0o700},
		tarEntry{name: "result/bin/app.so", content: "app", mode: 0o700},
		tarEntry{name: "result/bin/tool", content: "tool", mode: 0o6777},
		tarEntry{name: "result/lib/libx.so", content: "libx", mode: 0o600},
		tarEntry{name: "result/lib/libx.so.1", typ: tar.TypeSymlink, linkname: "libx.so"},
		tarEntry{name: "result/etc-passwd", typ: tar.TypeSymlink, linkname: "/etc/passwd"},
		tarEntry{name: "result/dangling", typ: tar.TypeSymlink, linkname: "../../nowhere"},
		tarEntry{name: "result/lib/hard.so", typ: tar.TypeLink, linkname: "result/lib/libx.so"},
		tarEntry{name: "result/./meta//package.yaml", content: validPackageYAML, mode: 0o664},
		tarEntry{name: "result/sticky/", typ: tar.TypeDir, mode: 0o1777},
	)
	assert.NilError(t, Extract(t.Context(), bytes.NewReader(archive), dest, ExtractOptions{StripComponents: 1}))
	assert.DeepEqual(t, tree(t, dest), []string{
		"bin drwxr-xr-x",
		"bin/app.so -rwxr-xr-x",
		"bin/tool -rwxr-xr-x",
		"dangling -> ../../nowhere",
		"etc-passwd -> /etc/passwd",
		"lib drwxr-xr-x",
		"lib/hard.so -rw-r--r--",
		"lib/libx.so -rw-r--r--",
		"lib/libx.so.1 -> libx.so",
		"meta drwxr-xr-x",
		"meta/package.yaml -rw-r--r--",
		"secret drwxr-xr-x",
		"sticky drwxr-xr-x",
	})
	a, err := os.Stat(filepath.Join(dest, "lib/libx.so"))
	assert.NilError(t, err)
	b, err := os.Stat(filepath.Join(dest, "lib/hard.so"))
	assert.NilError(t, err)
	assert.Assert(t, os.SameFile(a, b), "hard link inside the tree should share the file")
	assert.DeepEqual(t, mustRead(t, filepath.Join(dest, "bin/tool")), []byte("tool"))
}

func TestExtractWithoutStrip(t *testing.T) {
	dest, _ := extractSetup(t)
	archive := gzipBytes(t, makeTar(t,
		tarEntry{name: "./", typ: tar.TypeDir},
		tarEntry{name: "top/a", content: "a"},
	))
	assert.NilError(t, Extract(t.Context(), bytes.NewReader(archive), dest, ExtractOptions{}))
	assert.DeepEqual(t, tree(t, dest), []string{"top drwxr-xr-x", "top/a -rw-r--r--"})
}

func TestExtractSizeLimit(t *testing.T) {
	dest, _ := extractSetup(t)
	archive := makeTar(t,
		tarEntry{name: "a", content: strings.Repeat("a", 600)},
		tarEntry{name: "b", content: strings.Repeat("b", 600)},
	)
	err := Extract(t.Context(), bytes.NewReader(archive), dest, ExtractOptions{MaxSize: 1000})
	var le *LimitError
	assert.Assert(t, errors.As(err, &le), "got %v", err)
	assert.ErrorContains(t, err, "limit of 1000 bytes")
	assert.Equal(t, le.Path, "b")

	dest2, _ := extractSetup(t)
	assert.NilError(t, Extract(t.Context(), bytes.NewReader(archive), dest2, ExtractOptions{MaxSize: 1200}))
}

func TestExtractDestination(t *testing.T) {
	archive := makeTar(t, tarEntry{name: "a", content: strings.Repeat("a", 600)})
	t.Run("not empty", func(t *testing.T) {
		dest, _ := extractSetup(t)
		writeTree(t, dest, []node{{path: "old", content: "x"}})
		assert.ErrorContains(t, Extract(t.Context(), bytes.NewReader(archive), dest, ExtractOptions{}), "not empty")
	})
	t.Run("missing", func(t *testing.T) {
		err := Extract(t.Context(), bytes.NewReader(archive), filepath.Join(t.TempDir(), "nope"), ExtractOptions{})
		assert.Assert(t, errors.Is(err, os.ErrNotExist), "got %v", err)
	})
	t.Run("cancelled", func(t *testing.T) {
		dest, _ := extractSetup(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := Extract(ctx, bytes.NewReader(archive), dest, ExtractOptions{})
		assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
	})
	t.Run("truncated archive is an I/O error, not unsafe", func(t *testing.T) {
		dest, _ := extractSetup(t)
		err := Extract(t.Context(), bytes.NewReader(archive[:700]), dest, ExtractOptions{})
		assert.Assert(t, err != nil)
		var ue *UnsafeEntryError
		assert.Assert(t, !errors.As(err, &ue), "got %v", err)
	})
}

func TestExtractPackRoundTrip(t *testing.T) {
	// An extracted result tree packs like the original.
	src := goldenTree(t)
	mpm := packBytes(t, src, PackOptions{ModTime: fixedTime})
	dest, _ := extractSetup(t)
	err := Extract(t.Context(), bytes.NewReader(mpm), dest, ExtractOptions{})
	assert.Equal(t, asUnsafe(t, err).Entry, "/", "a leading slash is absolute unless PackageRooted")
	dest, _ = extractSetup(t)
	assert.NilError(t, Extract(t.Context(), bytes.NewReader(mpm), dest, ExtractOptions{PackageRooted: true}))
	_, err = os.Lstat(filepath.Join(dest, "outside"))
	assert.NilError(t, err)
	target, err := os.Readlink(filepath.Join(dest, "usr/lib/libnode.so"))
	assert.NilError(t, err)
	assert.Equal(t, target, "/bin/libnode.so")
	a, err := ReadMPM(bytes.NewReader(packBytes(t, dest, PackOptions{ModTime: fixedTime})))
	assert.NilError(t, err)
	b, err := ReadMPM(bytes.NewReader(mpm))
	assert.NilError(t, err)
	assert.Equal(t, len(a.Entries), len(b.Entries))
}
