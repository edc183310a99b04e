package packager

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// gzipLevel is gzip's default level (-6), the level `tar -czf` uses.
const gzipLevel = 6

// collectDir is the directory `capstan package compose` collects a package's
// content in, inside the package itself; `capstan package build` leaves it out.
const collectDir = "mpm-pkg"

// PackOptions tunes Pack.
type PackOptions struct {
	// Name is the package name; <Name>.mpm at the package root is left out
	// (Capstan writes the archive into the package directory). Empty means
	// the name in meta/package.yaml.
	Name string
	// ModTime is the one modification time every entry gets, so that the
	// archive does not depend on when files were written. Callers pass
	// SOURCE_DATE_EPOCH or the package's created time. The zero value means
	// the Unix epoch. Sub-second parts are dropped.
	ModTime time.Time
	// MaxSize limits the total size of the files' content, in bytes;
	// 0 means unlimited. Crossing it is a *LimitError.
	MaxSize int64
}

// Digest identifies a written archive.
type Digest struct {
	// SHA256 is the lowercase hex SHA-256 of the archive's bytes.
	SHA256 string
	Size   int64
}

// Pack writes the package rooted at dir to w as a Capstan .mpm: a gzip
// (level 6) compressed tar holding every regular file, directory and symlink
// under dir. Entries come in walk order (each directory's names sorted
// bytewise, parents before children), named from the package root with a
// leading "/", directories ending in "/" and the root itself as "/". Every
// entry has uid/gid 0, no user or group name, opt.ModTime and only its
// permission bits; symlinks are stored as links with their target unchanged
// and never followed; hard-linked files are stored as regular files.
// <name>.mpm and mpm-pkg/ at the root are left out, as `capstan package build`
// leaves them out. dir must hold a valid meta/package.yaml. Any other file
// type (fifo, socket, device) is an *UnsupportedFileError naming its path.
func Pack(ctx context.Context, dir string, w io.Writer, opt PackOptions) error {
	return pack(ctx, dir, w, opt, nil)
}

// PackFile packs dir into dest (see Pack), writing a temporary file in dest's
// directory that is synced and renamed into place only when complete. dest may
// lie inside dir: the temporary file is then left out of the archive.
func PackFile(ctx context.Context, dir, dest string, opt PackOptions) (Digest, error) {
	out, err := fsutil.CreateAtomic(dest, 0o644)
	if err != nil {
		return Digest{}, err
	}
	defer out.Abort()

	skip, err := skipInside(dir, out.Name(), dest)
	if err != nil {
		return Digest{}, err
	}
	h := sha256.New()
	cw := &countingWriter{}
	if err := pack(ctx, dir, io.MultiWriter(out, h, cw), opt, skip); err != nil {
		return Digest{}, err
	}
	if err := out.Commit(); err != nil {
		return Digest{}, err
	}
	return Digest{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n}, nil
}

// WriteDescriptor writes the <name>.yaml that a Capstan repository keeps
// beside <name>.mpm: the package descriptor, validated and re-rendered in
// Capstan's field order (Capstan's own import re-marshals it the same way).
// The write is atomic and the file mode 0644.
func WriteDescriptor(dest string, p *Package) error {
	return WritePackage(dest, p)
}

// skipInside returns the package-relative paths of the given files when they
// lie inside the package tree at dir, so that packing does not swallow its
// own output.
func skipInside(dir string, files ...string) (map[string]bool, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", dir, err)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("packing %s: %w", dir, err)
	}
	skip := map[string]bool{}
	for _, f := range files {
		parent, err := filepath.EvalSymlinks(filepath.Dir(f))
		if err != nil {
			continue
		}
		if parent, err = filepath.Abs(parent); err != nil {
			continue
		}
		rel, err := filepath.Rel(root, filepath.Join(parent, filepath.Base(f)))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		skip[filepath.ToSlash(rel)] = true
	}
	return skip, nil
}

// pack is Pack with extra package-relative paths to leave out.
func pack(ctx context.Context, dir string, w io.Writer, opt PackOptions, skip map[string]bool) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	pkg, err := treePackage(root)
	if err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	name := opt.Name
	if name == "" {
		name = pkg.Name
	}
	excluded := map[string]bool{name + ".mpm": true, collectDir: true}
	for k := range skip {
		excluded[k] = true
	}

	mtime := time.Unix(0, 0)
	if !opt.ModTime.IsZero() {
		mtime = time.Unix(opt.ModTime.Unix(), 0)
	}

	bw := bufio.NewWriterSize(w, copyBufferSize)
	gz, err := gzip.NewWriterLevel(bw, gzipLevel)
	if err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	p := &packer{
		ctx:      ctx,
		root:     root,
		tw:       tar.NewWriter(gz),
		buf:      make([]byte, copyBufferSize),
		modTime:  mtime,
		maxSize:  opt.MaxSize,
		excluded: excluded,
	}
	if err := filepath.WalkDir(root, p.visit); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := p.tw.Close(); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("packing %s: %w", dir, err)
	}
	return nil
}

// treePackage loads the package descriptor of the tree at root. It is read confined to the tree:
// a symlink on its path (meta/ itself included) could point anywhere on the host.
func treePackage(root string) (*Package, error) {
	data, err := fsutil.ReadConfined(root, PackageFile, MaxMetaSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("a package needs %s: %w", PackageFile, err)
	}
	if err != nil {
		return nil, err
	}
	return ParsePackage(data, PackageFile)
}

// packer holds the state of one Pack walk.
type packer struct {
	ctx      context.Context
	root     string
	tw       *tar.Writer
	buf      []byte
	modTime  time.Time
	maxSize  int64
	total    int64
	excluded map[string]bool
}

// visit is the WalkDir callback: one tar entry per path.
func (p *packer) visit(path string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	rel, err := filepath.Rel(p.root, path)
	if err != nil {
		return err
	}
	rel = filepath.ToSlash(rel)
	if p.excluded[rel] {
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	name := "/"
	if rel != "." {
		name = "/" + rel
	}

	info, err := d.Info()
	if err != nil {
		return err
	}
	switch mode := info.Mode(); {
	case mode.IsDir():
		if name != "/" {
			name += "/"
		}
		return p.tw.WriteHeader(p.header(name, tar.TypeDir, mode, 0, ""))
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		return p.tw.WriteHeader(p.header(name, tar.TypeSymlink, mode, 0, target))
	case mode.IsRegular():
		return p.file(path, rel, name)
	default:
		return &UnsupportedFileError{Path: rel, Mode: mode}
	}
}

// header builds the normalised header every entry shares.
func (p *packer) header(name string, typ byte, mode fs.FileMode, size int64, link string) *tar.Header {
	return &tar.Header{
		Typeflag: typ,
		Name:     name,
		Linkname: link,
		Size:     size,
		Mode:     int64(mode.Perm()),
		ModTime:  p.modTime,
		Format:   tar.FormatPAX,
	}
}

// file writes one regular file. It opens without following symlinks and
// takes the size from the open file, so a file swapped or changed after the
// directory was read cannot smuggle other content in.
func (p *packer) file(path, rel, name string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%q changed type while packing", rel)
	}
	size := fi.Size()
	if p.maxSize > 0 && p.total+size > p.maxSize {
		return &LimitError{What: "package content", Size: p.total + size, Limit: p.maxSize, Path: rel}
	}
	p.total += size
	if err := p.tw.WriteHeader(p.header(name, tar.TypeReg, fi.Mode(), size, "")); err != nil {
		return err
	}
	n, err := copyWithContext(p.ctx, p.tw, io.LimitReader(f, size), p.buf)
	if err != nil {
		return fmt.Errorf("copying %q: %w", rel, err)
	}
	if n != size {
		return fmt.Errorf("%q shrank from %d to %d bytes while packing", rel, size, n)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}
