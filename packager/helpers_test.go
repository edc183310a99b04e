package packager

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// validPackageYAML is a minimal descriptor Capstan accepts.
const validPackageYAML = "name: demo\ntitle: Demo\nauthor: Tester\n"

// fixedTime is the mtime tests pack with.
var fixedTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// node describes one path of a test tree; exactly one of the kinds is set.
type node struct {
	path    string
	content string // regular file
	mode    os.FileMode
	dir     bool
	link    string // symlink target
}

// writeTree creates nodes under dir in the given order.
func writeTree(t *testing.T, dir string, nodes []node) {
	t.Helper()
	for _, n := range nodes {
		p := filepath.Join(dir, filepath.FromSlash(n.path))
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		switch {
		case n.dir:
			assert.NilError(t, os.MkdirAll(p, 0o755))
			if n.mode != 0 {
				assert.NilError(t, os.Chmod(p, n.mode))
			}
		case n.link != "":
			assert.NilError(t, os.Symlink(n.link, p))
		default:
			mode := n.mode
			if mode == 0 {
				mode = 0o644
			}
			assert.NilError(t, os.WriteFile(p, []byte(n.content), mode))
			assert.NilError(t, os.Chmod(p, mode))
		}
	}
}

// packageTree creates a package directory holding meta/package.yaml and nodes.
func packageTree(t *testing.T, nodes ...node) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, append([]node{{path: "meta/package.yaml", content: validPackageYAML}}, nodes...))
	return dir
}

// packBytes packs dir in memory.
func packBytes(t *testing.T, dir string, opt PackOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, Pack(t.Context(), dir, &buf, opt))
	return buf.Bytes()
}

// listing renders every header of a gzip-compressed tar, one line each, in
// archive order, for golden comparisons.
func listing(t *testing.T, mpm []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(mpm))
	assert.NilError(t, err)
	tr := tar.NewReader(zr)
	var sb strings.Builder
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		assert.NilError(t, err)
		fmt.Fprintf(&sb, "%s type=%c mode=%04o uid=%d gid=%d uname=%q gname=%q mtime=%d size=%d link=%q\n",
			h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.Unix(), h.Size, h.Linkname)
	}
	return sb.String()
}

// names lists the entry names of a gzip-compressed tar in order.
func names(t *testing.T, mpm []byte) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(listing(t, mpm)), "\n") {
		out = append(out, strings.SplitN(line, " ", 2)[0])
	}
	return out
}

// tarEntry describes one member of a hand-made test archive.
type tarEntry struct {
	name     string
	typ      byte
	mode     int64
	content  string
	linkname string
}

// makeTar builds a plain tar from entries.
func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.linkname, ModTime: fixedTime}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.content))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("writing test tar header %q: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := io.WriteString(tw, e.content); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBytes compresses b.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// asUnsafe asserts err is an *UnsafeEntryError and returns it.
func asUnsafe(t *testing.T, err error) *UnsafeEntryError {
	t.Helper()
	var ue *UnsafeEntryError
	assert.Assert(t, errors.As(err, &ue), "want *UnsafeEntryError, got %T: %v", err, err)
	return ue
}
