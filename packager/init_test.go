package packager

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func TestInit(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		pkg  Package
		want string
	}{
		{
			name: "flags as recipes pass them",
			pkg:  Package{Name: "osv.nfs", Title: "NFS", Author: "Someone", Version: "0.1", Platform: "Debian-12"},
			want: "name: osv.nfs\ntitle: NFS\nauthor: Someone\nversion: \"0.1\"\ncreated: \"2024-05-06T05:08:09Z\"\nplatform: Debian-12\n",
		},
		{
			name: "repeated require",
			pkg:  Package{Name: "app", Title: "App", Author: "A", Require: []string{"osv.bootstrap", "osv.libz"}},
			want: "name: app\ntitle: App\nauthor: A\nrequire:\n  - osv.bootstrap\n  - osv.libz\ncreated: \"2024-05-06T05:08:09Z\"\n",
		},
		{
			name: "created kept when given",
			pkg:  Package{Name: "app", Title: "App", Author: "A", Created: "2020-01-01T00:00:00Z"},
			want: "name: app\ntitle: App\nauthor: A\ncreated: \"2020-01-01T00:00:00Z\"\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			assert.NilError(t, initAt(dir, tc.pkg, now))
			got, err := os.ReadFile(filepath.Join(dir, "meta", "package.yaml"))
			assert.NilError(t, err)
			assert.Equal(t, string(got), tc.want)
			fi, err := os.Stat(filepath.Join(dir, "meta"))
			assert.NilError(t, err)
			assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o755))
		})
	}
}

func TestInitOverwritesLikeCapstan(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []node{{path: "meta/package.yaml", content: "name: old\ntitle: Old\nauthor: Old\n"}, {path: "meta/run.yaml", content: "keep"}})
	assert.NilError(t, Init(dir, Package{Name: "new", Title: "New", Author: "New"}))
	p, err := LoadPackage(filepath.Join(dir, "meta", "package.yaml"))
	assert.NilError(t, err)
	assert.Equal(t, p.Name, "new")
	_, err = time.Parse(CreatedLayout, p.Created)
	assert.NilError(t, err, "created %q", p.Created)
	run, err := os.ReadFile(filepath.Join(dir, "meta", "run.yaml"))
	assert.NilError(t, err)
	assert.Equal(t, string(run), "keep")
}

func TestInitRefusesIncompletePackage(t *testing.T) {
	dir := t.TempDir()
	err := Init(dir, Package{Name: "n", Title: "t"})
	var fe *FieldError
	assert.Assert(t, errors.As(err, &fe), "got %v", err)
	assert.Equal(t, fe.Field, "author")
	_, err = os.Stat(filepath.Join(dir, "meta", "package.yaml"))
	assert.Assert(t, errors.Is(err, os.ErrNotExist))
}
