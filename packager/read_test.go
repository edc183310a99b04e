package packager

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestReadMPMRoundTrip(t *testing.T) {
	dir := goldenTree(t)
	mpm := packBytes(t, dir, PackOptions{ModTime: fixedTime})
	a, err := ReadMPM(bytes.NewReader(mpm))
	assert.NilError(t, err)
	assert.DeepEqual(t, a.Package, &Package{Name: "demo", Title: "Demo", Author: "Tester"})
	assert.Assert(t, a.RunConfig != nil)
	assert.Equal(t, a.RunConfig.ConfigSets["default"].Bootcmd, "/bin/app.so")

	byName := map[string]Entry{}
	for _, e := range a.Entries {
		byName[e.Name] = e
	}
	assert.Equal(t, a.Entries[0], Entry{Name: ".", Type: tar.TypeDir, Mode: 0o755})
	assert.DeepEqual(t, byName["bin/app.so"], Entry{Name: "bin/app.so", Type: tar.TypeReg, Mode: 0o755, Size: 8})
	assert.DeepEqual(t, byName["usr/lib/libnode.so"], Entry{Name: "usr/lib/libnode.so", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "/bin/libnode.so"})
	assert.DeepEqual(t, byName["lib"], Entry{Name: "lib", Type: tar.TypeDir, Mode: 0o755})
	_, hasOld := byName["demo.mpm"]
	assert.Assert(t, !hasOld)

	// The same through a file.
	path := filepath.Join(t.TempDir(), "demo.mpm")
	assert.NilError(t, os.WriteFile(path, mpm, 0o644))
	b, err := VerifyFile(path)
	assert.NilError(t, err)
	assert.DeepEqual(t, a, b)
}

func TestReadMPM(t *testing.T) {
	pkg := tarEntry{name: "/meta/package.yaml", content: validPackageYAML}
	tests := []struct {
		name      string
		entries   []tarEntry
		plain     bool // not gzip-compressed
		want      []string
		wantErr   string
		wantEntry string // expected *UnsafeEntryError entry
	}{
		{
			name:    "leading slashes",
			entries: []tarEntry{{name: "/", typ: tar.TypeDir}, {name: "/meta/", typ: tar.TypeDir}, pkg},
			want:    []string{".", "meta", "meta/package.yaml"},
		},
		{
			name:    "no leading slashes",
			entries: []tarEntry{{name: "meta/", typ: tar.TypeDir}, {name: "meta/package.yaml", content: validPackageYAML}, {name: "./lib/x.so", content: "x"}},
			want:    []string{"meta", "meta/package.yaml", "lib/x.so"},
		},
		{
			name:    "plain tar",
			plain:   true,
			entries: []tarEntry{pkg},
			want:    []string{"meta/package.yaml"},
		},
		{name: "dot-dot", entries: []tarEntry{pkg, {name: "/../etc/passwd", content: "x"}}, wantEntry: "/../etc/passwd"},
		{name: "dot-dot inside", entries: []tarEntry{pkg, {name: "lib/../../x", content: "x"}}, wantEntry: "lib/../../x"},
		{name: "absolute after the slash", entries: []tarEntry{pkg, {name: "//etc/passwd", content: "x"}}, wantEntry: "//etc/passwd"},
		{name: "hard link", entries: []tarEntry{pkg, {name: "/a", typ: tar.TypeLink, linkname: "/meta/package.yaml"}}, wantEntry: "/a"},
		{name: "char device", entries: []tarEntry{pkg, {name: "/dev/null", typ: tar.TypeChar}}, wantEntry: "/dev/null"},
		{name: "fifo", entries: []tarEntry{pkg, {name: "/pipe", typ: tar.TypeFifo}}, wantEntry: "/pipe"},
		{name: "repeated name", entries: []tarEntry{pkg, {name: "/a", content: "1"}, {name: "a", content: "2"}}, wantEntry: "a"},
		{name: "root as a symlink", entries: []tarEntry{{name: ".", typ: tar.TypeSymlink, linkname: "/"}, pkg}, wantEntry: "."},
		{name: "missing package.yaml", entries: []tarEntry{{name: "/lib/x.so", content: "x"}}, wantErr: "archive has no meta/package.yaml"},
		{name: "invalid package.yaml", entries: []tarEntry{{name: "/meta/package.yaml", content: "name: x\n"}}, wantErr: `field "title": missing`},
		{name: "invalid run.yaml", entries: []tarEntry{pkg, {name: "/meta/run.yaml", content: "runtime: native\n"}}, wantErr: `meta/run.yaml: field "config_set"`},
		{name: "package.yaml as a symlink", entries: []tarEntry{{name: "/meta/package.yaml", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, wantErr: "archive has no meta/package.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := makeTar(t, tc.entries...)
			if !tc.plain {
				data = gzipBytes(t, data)
			}
			a, err := ReadMPM(bytes.NewReader(data))
			switch {
			case tc.wantEntry != "":
				assert.Equal(t, asUnsafe(t, err).Entry, tc.wantEntry)
			case tc.wantErr != "":
				assert.ErrorContains(t, err, tc.wantErr)
			default:
				assert.NilError(t, err)
				var got []string
				for _, e := range a.Entries {
					got = append(got, e.Name)
				}
				assert.DeepEqual(t, got, tc.want)
			}
		})
	}
}

func TestReadMPMDetectsCorruption(t *testing.T) {
	mpm := packBytes(t, packageTree(t, node{path: "data", content: strings.Repeat("payload ", 1000)}), PackOptions{})
	// Flip a byte of the CRC in the gzip trailer.
	bad := append([]byte(nil), mpm...)
	bad[len(bad)-6] ^= 0xff
	_, err := ReadMPM(bytes.NewReader(bad))
	assert.ErrorContains(t, err, "checksum")

	_, err = ReadMPM(bytes.NewReader(mpm[:len(mpm)/2]))
	assert.Assert(t, err != nil)
}
