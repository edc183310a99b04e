package packager

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// Difference is one entry that differs between two package archives.
type Difference struct {
	// Entry is the entry's name as the archive spells it (Capstan's start with "/").
	Entry  string `json:"entry"`
	Reason string `json:"reason"`
}

// CompareFiles lists what differs between the package archives at a (the delivered package) and
// b (its rebuild), entry by entry: presence, file type, content, link target, mode and
// modification time. Both are read as ReadMPM reads them, so an unsafe archive is an error.
// Two archives with the same entries whose bytes still differ (order, headers, compression)
// give one Difference naming a's file. The result is nil when they are byte-identical, and
// sorted by entry.
func CompareFiles(a, b string) ([]Difference, error) {
	ea, err := digestEntries(a)
	if err != nil {
		return nil, err
	}
	eb, err := digestEntries(b)
	if err != nil {
		return nil, err
	}
	var diffs []Difference
	for name, x := range ea {
		y, ok := eb[name]
		if !ok {
			diffs = append(diffs, Difference{x.raw, "only in the delivered package"})
		} else if reason := x.differs(y); reason != "" {
			diffs = append(diffs, Difference{x.raw, reason})
		}
	}
	for name, y := range eb {
		if _, ok := ea[name]; !ok {
			diffs = append(diffs, Difference{y.raw, "only in the rebuild"})
		}
	}
	slices.SortFunc(diffs, func(p, q Difference) int { return strings.Compare(p.Entry, q.Entry) })
	if len(diffs) > 0 {
		return diffs, nil
	}
	sa, err := fsutil.SHA256File(a)
	if err != nil {
		return nil, err
	}
	sb, err := fsutil.SHA256File(b)
	if err != nil {
		return nil, err
	}
	if sa != sb {
		return []Difference{{filepath.Base(a), "same entries, but the archive bytes differ"}}, nil
	}
	return nil, nil
}

// entryDigest is what identifies an entry's bytes in a package.
type entryDigest struct {
	Entry
	raw   string // the name as the archive spells it
	mtime int64
	sum   string
}

// differs says how y differs from x, or "".
func (x entryDigest) differs(y entryDigest) string {
	switch {
	case x.Type != y.Type:
		return "file type differs"
	case x.sum != y.sum:
		return "content differs"
	case x.Linkname != y.Linkname:
		return fmt.Sprintf("link target differs: %s vs %s", x.Linkname, y.Linkname)
	case x.Mode != y.Mode:
		return fmt.Sprintf("mode differs: %o vs %o", x.Mode, y.Mode)
	case x.mtime != y.mtime:
		return "modification time differs"
	}
	return ""
}

// digestEntries reads the package archive at path into its entries, by name.
func digestEntries(path string) (map[string]entryDigest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, closeSrc, err := archiveStream(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer closeSrc()
	entries := map[string]entryDigest{}
	err = eachEntry(src, func(e Entry, hdr *tar.Header, content io.Reader) error {
		h := sha256.New()
		if _, err := io.Copy(h, content); err != nil {
			return err
		}
		entries[e.Name] = entryDigest{Entry: e, raw: hdr.Name, mtime: hdr.ModTime.Unix(), sum: hex.EncodeToString(h.Sum(nil))}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}
