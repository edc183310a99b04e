package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// packageInit ends every bench recipe the way the old recipes end: capstan writes
// meta/package.yaml into the result directory.
const packageInit = `cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "bench $PACKAGE_NAME" --author bench --version 1.0 --platform "$PLATFORM"`

// recipeNames are n recipe names: bench-<kind>-01, bench-<kind>-02, ...
func recipeNames(kind string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%s-%02d", kind, i+1)
	}
	return names
}

// writeRecipes writes one recipe per name into dir: build.sh runs body, then capstan package
// init.
func writeRecipes(dir string, names []string, body string) error {
	for _, name := range names {
		script := "#!/bin/sh\nset -e\n" + body + "\n" + packageInit + "\n"
		p := filepath.Join(dir, name, "build.sh")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}
