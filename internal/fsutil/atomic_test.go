package fsutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		old     string // content before, "" for none
		path    string
		perm    os.FileMode
		wantErr string
	}{
		{name: "replaces a file and its mode", old: "old", path: "f.json", perm: 0o644},
		{name: "makes a new file", path: "new.json", perm: 0o600},
		{name: "executable", path: "run.sh", perm: 0o755},
		{name: "missing directory", path: "missing/f.json", perm: 0o644, wantErr: "no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, filepath.FromSlash(tc.path))
			if tc.old != "" {
				assert.NilError(t, os.WriteFile(p, []byte(tc.old), 0o600))
			}
			err := fsutil.WriteFileAtomic(p, []byte("new"), tc.perm)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				assert.Check(t, is.Len(listTree(t, dir), 0))
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, readString(t, p), "new")
			fi, err := os.Stat(p)
			assert.NilError(t, err)
			assert.Equal(t, fi.Mode().Perm(), tc.perm)
			entries, err := os.ReadDir(dir)
			assert.NilError(t, err)
			assert.Equal(t, len(entries), 1, "a temporary file was left behind")
		})
	}
}

func TestCreateAtomic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		commit bool
		want   []string
	}{
		{name: "commit", commit: true, want: []string{`out.mpm -rw-r--r-- "data"`}},
		{name: "abort", want: []string{`out.mpm -rw------- "old"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dest := filepath.Join(dir, "out.mpm")
			assert.NilError(t, os.WriteFile(dest, []byte("old"), 0o600))
			f, err := fsutil.CreateAtomic(dest, 0o644)
			assert.NilError(t, err)
			defer f.Abort()
			assert.Check(t, strings.HasPrefix(filepath.Base(f.Name()), ".out.mpm.tmp-"), f.Name())
			_, err = f.WriteString("data")
			assert.NilError(t, err)
			assert.Equal(t, readString(t, dest), "old", "visible before Commit")
			if tc.commit {
				assert.NilError(t, f.Commit())
				assert.ErrorContains(t, f.Commit(), "already committed")
			}
			f.Abort()
			assert.DeepEqual(t, listTree(t, dir), tc.want)
		})
	}
}

func TestSyncDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, dir, wantErr string
	}{
		{name: "a directory", dir: "."},
		{name: "missing", dir: "nope", wantErr: "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fsutil.SyncDir(filepath.Join(t.TempDir(), tc.dir))
			if tc.wantErr == "" {
				assert.NilError(t, err)
			} else {
				assert.Check(t, is.ErrorContains(err, tc.wantErr))
			}
		})
	}
}
