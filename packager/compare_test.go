package packager

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
)

func TestCompareFiles(t *testing.T) {
	t.Parallel()
	meta := tarEntry{name: "/meta/package.yaml", content: "name: a\ntitle: A\nversion: \"1\"\n"}
	base := []tarEntry{{name: "/", typ: tar.TypeDir, mode: 0o755}, {name: "/meta/", typ: tar.TypeDir, mode: 0o755}, meta,
		{name: "/bin/", typ: tar.TypeDir, mode: 0o755}, {name: "/bin/tool", content: "x", mode: 0o755},
		{name: "/lib", typ: tar.TypeSymlink, linkname: "usr/lib"}}
	with := func(change func(es []tarEntry) []tarEntry) []tarEntry {
		return change(append([]tarEntry(nil), base...))
	}
	tests := []struct {
		name    string
		rebuild []tarEntry
		plain   bool // the rebuild not gzip-compressed: same entries, other bytes
		want    []Difference
		wantErr string
	}{
		{name: "identical", rebuild: base},
		{name: "content", rebuild: with(func(es []tarEntry) []tarEntry { es[4].content = "y"; return es }),
			want: []Difference{{"/bin/tool", "content differs"}}},
		{name: "mode", rebuild: with(func(es []tarEntry) []tarEntry { es[4].mode = 0o700; return es }),
			want: []Difference{{"/bin/tool", "mode differs: 755 vs 700"}}},
		{name: "link target", rebuild: with(func(es []tarEntry) []tarEntry { es[5].linkname = "lib64"; return es }),
			want: []Difference{{"/lib", "link target differs: usr/lib vs lib64"}}},
		{name: "file type", rebuild: with(func(es []tarEntry) []tarEntry {
			es[5] = tarEntry{name: "/lib/", typ: tar.TypeDir, mode: 0o755}
			return es
		}), want: []Difference{{"/lib", "file type differs"}}},
		{name: "added and removed", rebuild: with(func(es []tarEntry) []tarEntry {
			return append(es[:4], tarEntry{name: "/bin/new", content: "n"}, es[5])
		}), want: []Difference{{"/bin/new", "only in the rebuild"}, {"/bin/tool", "only in the delivered package"}}},
		{name: "same entries, other bytes", rebuild: base, plain: true,
			want: []Difference{{"a.mpm", "same entries, but the archive bytes differ"}}},
		{name: "unsafe rebuild", rebuild: with(func(es []tarEntry) []tarEntry {
			return append(es, tarEntry{name: "/../escape", content: "x"})
		}), wantErr: "b.mpm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.mpm"), filepath.Join(dir, "b.mpm")
			assert.NilError(t, os.WriteFile(a, gzipBytes(t, makeTar(t, base...)), 0o644))
			rebuilt := makeTar(t, tc.rebuild...)
			if !tc.plain {
				rebuilt = gzipBytes(t, rebuilt)
			}
			assert.NilError(t, os.WriteFile(b, rebuilt, 0o644))
			got, err := CompareFiles(a, b)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
		})
	}
	_, err := CompareFiles(filepath.Join(t.TempDir(), "missing.mpm"), filepath.Join(t.TempDir(), "b.mpm"))
	assert.ErrorContains(t, err, "no such file or directory")
}
