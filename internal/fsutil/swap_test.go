package fsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

func TestSwapDir(t *testing.T) {
	t.Parallel()
	unsupported := func(a, b string) error { return fsutil.ErrExchangeUnsupported }
	failing := func(a, b string) error { return errors.New("exchange failed") }
	tests := []struct {
		name     string
		exchange func(a, b string) error
		target   map[string]string // nil: no target
		wantErr  string
		// what target and tmp hold afterwards; nil: does not exist
		wantTarget, wantTmp []string
	}{
		{
			name: "no target", exchange: fsutil.ExchangeDirs,
			wantTarget: []string{`f -rw-r--r-- "new"`},
		},
		{
			name: "exchange", exchange: fsutil.ExchangeDirs, target: map[string]string{"f": "old", "g": "x"},
			wantTarget: []string{`f -rw-r--r-- "new"`},
			wantTmp:    []string{`f -rw-r--r-- "old"`, `g -rw-r--r-- "x"`},
		},
		{
			name: "fallback without an exchange", exchange: unsupported, target: map[string]string{"f": "old"},
			wantTarget: []string{`f -rw-r--r-- "new"`},
			wantTmp:    []string{`f -rw-r--r-- "old"`},
		},
		{
			name: "a failed exchange changes nothing", exchange: failing, target: map[string]string{"f": "old"},
			wantErr:    "exchange failed",
			wantTarget: []string{`f -rw-r--r-- "old"`},
			wantTmp:    []string{`f -rw-r--r-- "new"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			tmp, target := filepath.Join(base, ".repo.new"), filepath.Join(base, "repo")
			writeTree(t, tmp, map[string]string{"f": "new"})
			if tc.target != nil {
				writeTree(t, target, tc.target)
			}
			err := fsutil.SwapDirWith(tc.exchange, tmp, target)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
			} else {
				assert.NilError(t, err)
			}
			assert.DeepEqual(t, listTree(t, target), tc.wantTarget)
			if tc.wantTmp == nil {
				assert.Assert(t, !exists(tmp), "tmp is still there")
			} else {
				assert.DeepEqual(t, listTree(t, tmp), tc.wantTmp)
			}
			assert.Assert(t, !exists(tmp+".old"), "the aside directory is still there")
		})
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
