// Package recipes holds pkgdriver's built-in recipes as data, embedded in the binary so that it
// alone is enough on a build host. Materialize writes them out with the modes recipes need.
package recipes

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// files holds every recipe directory below this one (and common/).
//
//go:embed all:*
var files embed.FS

// Materialize writes the built-in recipes under cacheDir/builtin-recipes-<hash> (once per content)
// and returns that directory. Embedded files carry no modes: scripts (files starting with "#!")
// become 0755, everything else 0644.
func Materialize(cacheDir string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		fmt.Fprintf(h, "%q %d\n", p, len(data))
		h.Write(data)
		return err
	})
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "builtin-recipes-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(cacheDir, ".builtin-recipes-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." || p == "embed.go" {
			return err
		}
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.Mkdir(target, 0o755)
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if bytes.HasPrefix(data, []byte("#!")) {
			mode = 0o755
		}
		return os.WriteFile(target, data, mode)
	})
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		if _, serr := os.Stat(dir); serr != nil { // another process won the race: fine
			return "", err
		}
	}
	return dir, nil
}
