package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// cacheEntry records what produced a delivered package, so an unchanged recipe is not rebuilt.
type cacheEntry struct {
	Key     string    `json:"key"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Built   time.Time `json:"built"`
	RunID   string    `json:"run_id"`
	Seconds float64   `json:"build_seconds"`
	// TestedKey is the key the package's demo last passed with.
	TestedKey string `json:"tested_key,omitempty"`
}

// readCache is the cache entry of package name, or nil.
func readCache(l resultdir.Layout, name string) *cacheEntry {
	var e cacheEntry
	if !resultdir.ReadState(l.CacheFile(name), &e) {
		return nil
	}
	return &e
}

// cacheKey covers everything that can change a recipe's output: its files, modes and links and
// the common files (recipe.Hash), the toolchain image (which holds the OSv tree, its built
// kernel and this pkgdriver as capstan), the OSv commit, the container's environment and the
// flags that shape the build, and pkgdriver's version.
func (b *recipeBuild) cacheKey(ctx context.Context) (string, error) {
	r := b.run
	content, err := b.contentHash(ctx)
	if err != nil {
		return "", err
	}
	spec := b.spec()
	env := append([]string(nil), spec.Env...)
	sort.Strings(env)
	h := sha256.New()
	fmt.Fprintf(h, "pkgdriver %s\nrecipe %s\nimage %s\nosv %s\nenv %s\nshared %t\nprivileged %t\naccel %s\n",
		r.Config.Version, content, r.Toolchain.ID, r.Toolchain.Commit, strings.Join(env, "\x00"),
		r.Config.ShareOSVDir, r.Config.Privileged, r.Accel)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cached reports whether the package in packages/ came from the same key and is intact.
func (b *recipeBuild) cached(key string) (*cacheEntry, bool) {
	l := b.run.Layout
	e := readCache(l, b.recipe.Name)
	if e == nil || e.Key != key {
		return nil, false
	}
	sum, err := fsutil.SHA256File(l.MPM(b.recipe.Name))
	if err != nil || sum != e.SHA256 {
		return nil, false
	}
	if _, err := os.Stat(l.Descriptor(b.recipe.Name)); err != nil {
		return nil, false
	}
	return e, true
}
