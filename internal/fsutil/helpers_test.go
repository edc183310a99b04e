package fsutil_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// writeTree makes files under root: a name ending in "/" is a directory, "-> x" a symlink to x.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case name[len(name)-1] == '/':
			err = os.MkdirAll(p, 0o755)
		case len(content) > 3 && content[:3] == "-> ":
			err = os.Symlink(content[3:], p)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// listTree is what root holds (not root itself), one sorted line a path (testutil.Snapshot).
func listTree(t *testing.T, root string) []string {
	t.Helper()
	return testutil.Snapshot(t, root)[1:]
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
