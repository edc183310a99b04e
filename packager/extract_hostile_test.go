package packager

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestHostileResultTar feeds the extractor the tars a real container cannot produce (the engine
// writes the tar of $PACKAGE_RESULT_DIR, so these names never come out of `docker cp`), with the
// options the build's gather step uses. Every one is refused, and nothing outside the
// destination changes: not a temporary directory standing for the host, not /etc.
func TestHostileResultTar(t *testing.T) {
	passwd, err := os.ReadFile("/etc/passwd")
	assert.NilError(t, err)
	dir := func(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeDir, mode: 0o755} }
	file := func(name, body string) tarEntry { return tarEntry{name: name, typ: tar.TypeReg, content: body} }
	symlink := func(name, target string) tarEntry {
		return tarEntry{name: name, typ: tar.TypeSymlink, linkname: target}
	}
	hardlink := func(name, target string) tarEntry { return tarEntry{name: name, typ: tar.TypeLink, linkname: target} }

	tests := []struct {
		name    string
		entries func(outside string) []tarEntry
		entry   string // the refused entry
		reason  string
	}{
		{name: "dot-dot escapes the result", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), file("r/../escape", "x")}
		}, entry: "r/../escape", reason: `".."`},
		{name: "dot-dot at the start", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), file("../../etc/pkgdriver-probe", "x")}
		}, entry: "../../etc/pkgdriver-probe", reason: `".."`},
		{name: "absolute name", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), file("/etc/pkgdriver-probe", "x")}
		}, entry: "/etc/pkgdriver-probe", reason: "absolute"},
		{name: "symlink to /etc, then thatlink/passwd", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), symlink("r/thatlink", "/etc"), file("r/thatlink/passwd", "pwned\n")}
		}, entry: "r/thatlink/passwd", reason: "symlink"},
		{name: "symlink to a host directory, then a file below it", entries: func(outside string) []tarEntry {
			return []tarEntry{dir("r/"), symlink("r/out", outside), file("r/out/planted", "pwned\n")}
		}, entry: "r/out/planted", reason: "symlink"},
		{name: "relative symlink out, then a directory below it", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), symlink("r/up", "../.."), dir("r/up/planted/")}
		}, entry: "r/up/planted/", reason: "symlink"},
		{name: "symlink inside the tree is not written through either", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), dir("r/d/"), symlink("r/l", "d"), file("r/l/f", "x")}
		}, entry: "r/l/f", reason: "symlink"},
		{name: "a file replacing a symlink", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), symlink("r/passwd", "/etc/passwd"), file("r/passwd", "pwned\n")}
		}, entry: "r/passwd", reason: "already exists"},
		{name: "hard link to an absolute host file", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), hardlink("r/h", "/etc/passwd")}
		}, entry: "r/h", reason: "hard link target"},
		{name: "hard link out of the tree with dot-dot", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), hardlink("r/h", "r/../../etc/passwd")}
		}, entry: "r/h", reason: "hard link target"},
		{name: "hard link to a symlink pointing out", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), symlink("r/l", "/etc/passwd"), hardlink("r/h", "r/l")}
		}, entry: "r/h", reason: "not a regular file extracted earlier"},
		{name: "hard link to a file not in the archive", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), hardlink("r/h", "r/missing")}
		}, entry: "r/h", reason: "not a regular file extracted earlier"},
		{name: "character device", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), {name: "r/null", typ: tar.TypeChar}}
		}, entry: "r/null", reason: "character device not allowed"},
		{name: "block device", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), {name: "r/sda", typ: tar.TypeBlock}}
		}, entry: "r/sda", reason: "block device not allowed"},
		{name: "fifo", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), {name: "r/pipe", typ: tar.TypeFifo}}
		}, entry: "r/pipe", reason: "fifo"},
		{name: "the same name twice", entries: func(string) []tarEntry {
			return []tarEntry{dir("r/"), file("r/f", "one"), file("r/f", "two")}
		}, entry: "r/f", reason: "already exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outside := t.TempDir()
			dest := t.TempDir()
			data := makeTar(t, tc.entries(outside)...)
			err := Extract(context.Background(), bytes.NewReader(data), dest, ExtractOptions{MaxSize: 1 << 20})
			var unsafe *UnsafeEntryError
			assert.Assert(t, errors.As(err, &unsafe), "not refused: %v", err)
			assert.Check(t, is.Equal(unsafe.Entry, tc.entry))
			assert.Check(t, is.Contains(unsafe.Reason, tc.reason))
			left, err := os.ReadDir(outside)
			assert.NilError(t, err)
			assert.Check(t, is.Len(left, 0), "written outside the destination")
			_, err = os.Lstat(filepath.Join(filepath.Dir(dest), "escape"))
			assert.Check(t, errors.Is(err, os.ErrNotExist))
		})
	}
	_, err = os.Lstat("/etc/pkgdriver-probe")
	assert.Check(t, errors.Is(err, os.ErrNotExist), "a file was written into /etc")
	now, err := os.ReadFile("/etc/passwd")
	assert.NilError(t, err)
	assert.Check(t, bytes.Equal(now, passwd), "/etc/passwd changed")
}

// TestHostileLinksKeptAsLinks: a symlink to /etc/passwd in a result is extracted as a link and
// packed as a link; neither step reads the host file it names. Setuid bits are dropped.
func TestHostileLinksKeptAsLinks(t *testing.T) {
	dest := t.TempDir()
	data := makeTar(t,
		tarEntry{name: "r/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "r/meta/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "r/meta/package.yaml", typ: tar.TypeReg, content: "name: r\ntitle: T\nauthor: A\n"},
		tarEntry{name: "r/passwd", typ: tar.TypeSymlink, linkname: "/etc/passwd"},
		tarEntry{name: "r/etc", typ: tar.TypeSymlink, linkname: "/etc"},
		tarEntry{name: "r/tool", typ: tar.TypeReg, mode: 0o6777, content: "#!/bin/sh\n"},
		tarEntry{name: "r/copy", typ: tar.TypeLink, linkname: "r/tool"},
	)
	assert.NilError(t, Extract(context.Background(), bytes.NewReader(data), dest, ExtractOptions{MaxSize: 1 << 20}))
	tree := filepath.Join(dest, "r")
	for link, target := range map[string]string{"passwd": "/etc/passwd", "etc": "/etc"} {
		got, err := os.Readlink(filepath.Join(tree, link))
		assert.NilError(t, err)
		assert.Check(t, is.Equal(got, target))
	}
	fi, err := os.Stat(filepath.Join(tree, "tool"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(fi.Mode(), os.FileMode(0o755)))

	mpm := filepath.Join(t.TempDir(), "r.mpm")
	_, err = PackFile(context.Background(), tree, mpm, PackOptions{Name: "r", ModTime: time.Unix(0, 0), MaxSize: 1 << 20})
	assert.NilError(t, err)
	arch, err := VerifyFile(mpm)
	assert.NilError(t, err)
	seen := map[string]Entry{}
	for _, e := range arch.Entries {
		seen[e.Name] = e
	}
	assert.Check(t, is.Equal(seen["passwd"].Type, byte(tar.TypeSymlink)))
	assert.Check(t, is.Equal(seen["passwd"].Linkname, "/etc/passwd"))
	assert.Check(t, is.Equal(seen["passwd"].Size, int64(0)), "the host's /etc/passwd was read into the package")
	assert.Check(t, is.Equal(seen["etc"].Linkname, "/etc"))
	for name := range seen {
		assert.Check(t, !bytes.HasPrefix([]byte(name), []byte("etc/")), "the /etc link was followed: %s", name)
	}
	assert.Check(t, is.Equal(seen["tool"].Mode&0o7777, int64(0o755)))
}

// TestResultOverMaxSize: the size limit stops extraction at the limit, whatever the archive
// claims later.
func TestResultOverMaxSize(t *testing.T) {
	big := string(make([]byte, 600<<10))
	data := makeTar(t,
		tarEntry{name: "r/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "r/a", typ: tar.TypeReg, content: big},
		tarEntry{name: "r/b", typ: tar.TypeReg, content: big},
	)
	err := Extract(context.Background(), bytes.NewReader(data), t.TempDir(), ExtractOptions{MaxSize: 1 << 20})
	var limit *LimitError
	assert.Assert(t, errors.As(err, &limit), "%v", err)
	assert.Check(t, is.Equal(limit.Path, "r/b"))
	assert.Check(t, is.Equal(limit.Limit, int64(1<<20)))
}
