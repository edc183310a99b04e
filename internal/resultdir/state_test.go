package resultdir

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
)

func TestState(t *testing.T) {
	t.Parallel()
	type record struct {
		ImageID string `json:"image_id"`
		N       int    `json:"n"`
	}
	tests := []struct {
		name string
		file string // what the state file holds before; "-" for none
		ok   bool
		want record
	}{
		{name: "missing", file: "-"},
		{name: "damaged", file: "{not json"},
		{name: "wrong type", file: `{"n": "x"}`},
		{name: "a record", file: `{"image_id": "sha256:1", "n": 2}`, ok: true, want: record{"sha256:1", 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := Layout{Root: t.TempDir()}
			if tc.file != "-" {
				assert.NilError(t, os.MkdirAll(l.State(), 0o755))
				assert.NilError(t, os.WriteFile(l.AccelRecord(), []byte(tc.file), 0o644))
			}
			var got record
			assert.Equal(t, ReadState(l.AccelRecord(), &got), tc.ok)
			if tc.ok {
				assert.Equal(t, got, tc.want)
			}
		})
	}
}

// TestWriteState writes state files into directories that do not exist yet and reads them back.
func TestWriteState(t *testing.T) {
	t.Parallel()
	l := Layout{Root: filepath.Join(t.TempDir(), "result")}
	for _, path := range []string{l.CacheFile("zlib"), l.Durations(), l.AccelRecord(), l.LoaderRecord(),
		l.ToolchainInput(), l.DebianIndex("sha256:abc")} {
		assert.NilError(t, WriteState(path, map[string]int{"a": 1}))
		var got map[string]int
		assert.Assert(t, ReadState(path, &got), path)
		assert.DeepEqual(t, got, map[string]int{"a": 1})
		fi, err := os.Stat(path)
		assert.NilError(t, err)
		assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))
		entries, err := os.ReadDir(filepath.Dir(path))
		assert.NilError(t, err)
		for _, e := range entries {
			assert.Check(t, e.Name()[0] != '.', "temporary file %s left in %s", e.Name(), filepath.Dir(path))
		}
	}
	assert.Equal(t, l.DebianIndex("sha256:abc"), filepath.Join(l.Root, ".pkgdriver", "dpkg", "sha256-abc.json"))
	assert.ErrorContains(t, WriteState(filepath.Join(l.Root, "x.json"), func() {}), "unsupported type")
}
