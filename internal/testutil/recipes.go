package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// Recipe writes a recipe directory: build.sh (executable) plus any other files, by relative path.
// A file whose content starts with "#!" is made executable.
func Recipe(t testing.TB, recipesDir, name, buildSh string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(recipesDir, name)
	all := map[string]string{"build.sh": buildSh}
	for k, v := range files {
		all[k] = v
	}
	for rel, content := range all {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if len(content) > 1 && content[:2] == "#!" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
