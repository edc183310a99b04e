package packager

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestCapstanImagePath(t *testing.T) {
	// As Capstan's Repo.ImagePath("qemu", name) forms them under CAPSTAN_ROOT.
	for name, want := range map[string]string{
		LoaderImageName:     "/root/.capstan/repository/osv-loader/osv-loader.qemu",
		OldLoaderImageName:  "/root/.capstan/repository/mike/osv-loader/osv-loader.qemu",
		ZFSBuilderImageName: "/root/.capstan/repository/osv-zfs-builder/osv-zfs-builder.qemu",
	} {
		assert.Check(t, is.Equal(CapstanImagePath("/root/.capstan", name), want), name)
	}
}

func TestWriteImage(t *testing.T) {
	src := t.TempDir()
	kernel := filepath.Join(src, "loader.img")
	assert.NilError(t, os.WriteFile(kernel, []byte("kernel"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(src, "vmlinuz.bin"), []byte("vmlinuz"), 0o600))
	dir := filepath.Join(t.TempDir(), "repository", "osv-loader")
	files := map[string]string{LoaderImageFile: kernel, VmlinuzFile: filepath.Join(src, "vmlinuz.bin")}
	assert.NilError(t, WriteImage(t.Context(), dir, testIndex, files))

	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		assert.NilError(t, err)
		assert.Check(t, is.Equal(fi.Mode().Perm(), os.FileMode(0o644)), e.Name())
	}
	assert.DeepEqual(t, names, []string{LoaderIndexFile, LoaderImageFile, VmlinuzFile})
	a, err := os.Stat(kernel)
	assert.NilError(t, err)
	b, err := os.Stat(filepath.Join(dir, LoaderImageFile))
	assert.NilError(t, err)
	assert.Check(t, os.SameFile(a, b), "a hard link on the same file system")
	index, err := os.ReadFile(filepath.Join(dir, LoaderIndexFile))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(index), "version: d9a8771\n"))

	// Written again with fewer files: the directory is replaced whole.
	zidx := testIndex
	zidx.Description = ZFSBuilderDescription
	assert.NilError(t, WriteImage(t.Context(), dir, zidx, map[string]string{LoaderImageFile: kernel}))
	entries, err = os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 2))
	index, err = os.ReadFile(filepath.Join(dir, LoaderIndexFile))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(index), "description: OSv ZFS builder\n"))
	siblings, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	assert.Check(t, is.Len(siblings, 1), "temporary directories left behind")
}

func TestWriteImageErrors(t *testing.T) {
	src := t.TempDir()
	assert.NilError(t, os.Symlink("elsewhere", filepath.Join(src, "link")))
	tests := []struct {
		name  string
		idx   LoaderIndex
		files map[string]string
		err   string
	}{
		{"missing source", testIndex, map[string]string{"a.qemu": filepath.Join(src, "nope")}, "no such file"},
		{"symlink source", testIndex, map[string]string{"a.qemu": filepath.Join(src, "link")}, "not a regular file"},
		{"directory source", testIndex, map[string]string{"a.qemu": src}, "not a regular file"},
		{"name with a slash", testIndex, map[string]string{"x/a.qemu": src}, "not a file name of its own"},
		{"index.yaml given", testIndex, map[string]string{LoaderIndexFile: src}, "not a file name of its own"},
		{"bad index", LoaderIndex{Created: "now"}, nil, "version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "img")
			assert.NilError(t, os.MkdirAll(dir, 0o755))
			assert.NilError(t, os.WriteFile(filepath.Join(dir, "old"), []byte("kept"), 0o644))
			err := WriteImage(t.Context(), dir, tc.idx, tc.files)
			assert.ErrorContains(t, err, tc.err)
			assert.ErrorContains(t, err, "writing image img")
			data, rerr := os.ReadFile(filepath.Join(dir, "old"))
			assert.NilError(t, rerr)
			assert.Check(t, is.Equal(string(data), "kept"), "the previous directory is unchanged")
			siblings, rerr := os.ReadDir(filepath.Dir(dir))
			assert.NilError(t, rerr)
			assert.Check(t, is.Len(siblings, 1), "temporary directories left behind")
		})
	}
}

// TestWriteImageCopiesAcrossFileSystems: where a hard link is impossible the file is copied.
func TestWriteImageCopiesAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "pkgdriver-test-")
	if err != nil {
		t.Skip("no /dev/shm to put the source on another file system")
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	kernel := filepath.Join(other, "loader.img")
	assert.NilError(t, os.WriteFile(kernel, []byte("kernel on another file system"), 0o644))
	dir := filepath.Join(t.TempDir(), "osv-loader")
	assert.NilError(t, WriteImage(t.Context(), dir, testIndex, map[string]string{LoaderImageFile: kernel}))
	a, err := os.Stat(kernel)
	assert.NilError(t, err)
	b, err := os.Stat(filepath.Join(dir, LoaderImageFile))
	assert.NilError(t, err)
	if os.SameFile(a, b) {
		t.Skip("/dev/shm is on the same file system here")
	}
	data, err := os.ReadFile(filepath.Join(dir, LoaderImageFile))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(data), "kernel on another file system"))
}
