package driver

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// Difference is one entry that differs between a delivered package and its rebuild.
type Difference struct {
	Entry  string `json:"entry"`
	Reason string `json:"reason"`
}

// Reproduction is the verdict for one recipe.
type Reproduction struct {
	Recipe       string       `json:"recipe"`
	Reproducible bool         `json:"reproducible"`
	Error        string       `json:"error,omitempty"`
	Differences  []Difference `json:"differences,omitempty"`
}

// VerifyReproducible rebuilds the named recipes once more, from scratch, into a scratch result
// directory, and compares each new package with the one in cfg's packages/, entry by entry.
func VerifyReproducible(ctx context.Context, cfg *Config, eng engine.Engine, names []string) ([]Reproduction, error) {
	if err := CheckOverlap(cfg.ResultDir, cfg.RecipeDirs); err != nil {
		return nil, err
	}
	l := Layout{Root: cfg.ResultDir}
	for _, n := range names {
		if _, err := os.Stat(l.MPM(n)); err != nil {
			return nil, usageError(fmt.Errorf("recipe %s: no %s to compare with; run pkgdriver run first", n, l.MPM(n)))
		}
	}
	if err := os.MkdirAll(l.State(), 0o755); err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp(l.State(), "reproduce-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)

	again := *cfg
	again.ResultDir, again.Recipes, again.NoCache, again.SkipTests = scratch, recipe.Selection{Names: names}, true, true
	again.KeepRecipes, again.Silent, again.Publish = true, true, nil
	again.RunID = cfg.RunID + "-reproduce"
	rep, err := Execute(ctx, &again, eng)
	if err != nil {
		return nil, err
	}
	var out []Reproduction
	for _, res := range rep.Recipes {
		v := Reproduction{Recipe: res.Name}
		if !res.Status.OK() {
			v.Error = fmt.Sprintf("the rebuild %s: %s", res.Status, res.Error)
		} else if v.Differences, err = compareMPM(l.MPM(res.Name), Layout{Root: scratch}.MPM(res.Name)); err != nil {
			v.Error = err.Error()
		}
		v.Reproducible = v.Error == "" && len(v.Differences) == 0
		out = append(out, v)
	}
	return out, nil
}

// mpmEntry is what identifies an entry's bytes in a package.
type mpmEntry struct {
	kind     byte
	mode     int64
	mtime    int64
	linkname string
	sum      string
}

func readEntries(path string) (map[string]mpmEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(zr)
	entries := map[string]mpmEntry{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, tr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		entries[hdr.Name] = mpmEntry{kind: hdr.Typeflag, mode: hdr.Mode, mtime: hdr.ModTime.Unix(),
			linkname: hdr.Linkname, sum: hex.EncodeToString(h.Sum(nil))}
	}
}

// compareMPM lists the entries that differ between two packages (nil when they are the same).
func compareMPM(a, b string) ([]Difference, error) {
	ea, err := readEntries(a)
	if err != nil {
		return nil, err
	}
	eb, err := readEntries(b)
	if err != nil {
		return nil, err
	}
	var diffs []Difference
	for name, x := range ea {
		y, ok := eb[name]
		switch {
		case !ok:
			diffs = append(diffs, Difference{name, "only in the delivered package"})
		case x.kind != y.kind:
			diffs = append(diffs, Difference{name, "file type differs"})
		case x.sum != y.sum:
			diffs = append(diffs, Difference{name, "content differs"})
		case x.linkname != y.linkname:
			diffs = append(diffs, Difference{name, fmt.Sprintf("link target differs: %s vs %s", x.linkname, y.linkname)})
		case x.mode != y.mode:
			diffs = append(diffs, Difference{name, fmt.Sprintf("mode differs: %o vs %o", x.mode, y.mode)})
		case x.mtime != y.mtime:
			diffs = append(diffs, Difference{name, "modification time differs"})
		}
	}
	for name := range eb {
		if _, ok := ea[name]; !ok {
			diffs = append(diffs, Difference{name, "only in the rebuild"})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Entry < diffs[j].Entry })
	if len(diffs) == 0 {
		// Same entries, different bytes: the archive itself (order, headers, compression).
		sa, _ := fsutil.SHA256File(a)
		sb, _ := fsutil.SHA256File(b)
		if sa != sb {
			diffs = append(diffs, Difference{filepath.Base(a), "same entries, but the archive bytes differ"})
		}
	}
	return diffs, nil
}
