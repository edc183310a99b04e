package packager

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// ExtractOptions tunes Extract.
type ExtractOptions struct {
	// StripComponents drops this many leading name components from every
	// entry (and from hard-link targets), like tar --strip-components;
	// entries left with no name are skipped. Docker's copy API puts
	// everything under the copied directory's base name, so 1 unwraps it.
	StripComponents int
	// MaxSize limits the total size of extracted file content, in bytes;
	// 0 means unlimited. Crossing it is a *LimitError.
	MaxSize int64
	// PackageRooted accepts Capstan's .mpm naming, where one leading "/"
	// stands for the package root ("/" is the root, "/lib/x.so" is
	// lib/x.so). Without it a leading "/" is refused as an absolute path.
	PackageRooted bool
}

// Extract unpacks the tar (plain or gzip-compressed) read from r into dest,
// which must be an existing, empty directory. The archive is untrusted:
//
//   - names must be relative and free of ".." components;
//   - nothing is ever written through a symlink, not even one the archive
//     created earlier pointing inside dest: every parent directory is checked
//     with Lstat, files are created with O_EXCL|O_NOFOLLOW, and all access
//     goes through an os.Root that cannot leave dest;
//   - symlinks are created with their target as given (absolute targets are
//     fine; they are data) and never followed;
//   - hard links may only point at regular files this archive already
//     extracted;
//   - devices, fifos and any other type are refused;
//   - modes are normalised: directories 0755, files 0755 when the archive
//     gives any execute bit and 0644 otherwise (no setuid, setgid or sticky).
//
// Refused input is an *UnsafeEntryError naming the entry. Memory use does not
// depend on the archive's size.
func Extract(ctx context.Context, r io.Reader, dest string, opt ExtractOptions) error {
	if opt.StripComponents < 0 {
		return fmt.Errorf("extract: negative StripComponents %d", opt.StripComponents)
	}
	if err := checkEmptyDir(dest); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer root.Close()

	src, closeSrc, err := archiveStream(r)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	defer closeSrc()

	x := &extractor{
		ctx:   ctx,
		root:  root,
		opt:   opt,
		dirs:  map[string]bool{".": true},
		files: map[string]bool{},
		buf:   make([]byte, 256<<10),
	}
	tr := tar.NewReader(src)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("extract: reading archive: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// checkEmptyDir insists that dir exists, is a directory and has no entries.
func checkEmptyDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}

// extractor holds the state of one Extract.
type extractor struct {
	ctx   context.Context
	root  *os.Root
	opt   ExtractOptions
	total int64
	buf   []byte
	// dirs are directories known to be real directories (not symlinks)
	// inside the tree. Nothing can later replace them: every creation below
	// refuses an existing path.
	dirs map[string]bool
	// files are regular files this archive extracted; hard links may only
	// point at them.
	files map[string]bool
}

// entry extracts one archive member.
func (x *extractor) entry(hdr *tar.Header, content io.Reader) error {
	target, ok, err := x.targetName(hdr.Name)
	if err != nil || !ok {
		return err
	}
	unsafe := func(format string, args ...any) error {
		return &UnsafeEntryError{Entry: hdr.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if target == "." {
		if hdr.Typeflag != tar.TypeDir {
			return unsafe("a %s cannot replace the destination directory", typeName(hdr.Typeflag))
		}
		return nil
	}

	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(hdr.Name, target)
	case tar.TypeReg: // the reader turns the old TypeRegA into TypeReg
		return x.file(hdr, target, content)
	case tar.TypeSymlink:
		if hdr.Linkname == "" || strings.ContainsRune(hdr.Linkname, 0) {
			return unsafe("symlink with an empty or invalid target")
		}
		if err := x.parents(hdr.Name, target); err != nil {
			return err
		}
		if err := x.root.Symlink(hdr.Linkname, target); err != nil {
			return x.createErr(hdr.Name, err)
		}
		return nil
	case tar.TypeLink:
		return x.hardLink(hdr, target)
	default:
		return unsafe("%s not allowed", typeName(hdr.Typeflag))
	}
}

// targetName checks an entry name and applies StripComponents. ok is false
// when stripping leaves nothing, and the entry is then skipped.
func (x *extractor) targetName(name string) (target string, ok bool, err error) {
	rel := name
	if x.opt.PackageRooted {
		rel = strings.TrimPrefix(name, "/")
		if name == "/" {
			rel = "."
		}
	}
	clean, err := cleanEntryName(rel)
	if err != nil {
		return "", false, &UnsafeEntryError{Entry: name, Reason: err.Error()}
	}
	parts := splitName(clean)
	if x.opt.StripComponents == 0 {
		return clean, true, nil
	}
	if len(parts) <= x.opt.StripComponents {
		return "", false, nil
	}
	return path.Join(parts[x.opt.StripComponents:]...), true, nil
}

// parents makes sure every parent directory of target exists as a real
// directory, creating missing ones with mode 0755 and refusing symlinks.
func (x *extractor) parents(entry, target string) error {
	parts := splitName(target)
	for i := 1; i < len(parts); i++ {
		p := path.Join(parts[:i]...)
		if x.dirs[p] {
			continue
		}
		fi, err := x.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := x.mkdir(p); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("extract %q: %w", entry, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return &UnsafeEntryError{Entry: entry,
				Reason: fmt.Sprintf("parent %q is a symlink; refusing to write through it", p)}
		case !fi.IsDir():
			return &UnsafeEntryError{Entry: entry, Reason: fmt.Sprintf("parent %q is not a directory", p)}
		}
		x.dirs[p] = true
	}
	return nil
}

// mkdir creates one directory with the normalised mode (whatever the umask).
func (x *extractor) mkdir(p string) error {
	if err := x.root.Mkdir(p, 0o755); err != nil {
		return fmt.Errorf("extract: creating %q: %w", p, err)
	}
	if err := x.root.Chmod(p, 0o755); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// dir extracts a directory entry.
func (x *extractor) dir(entry, target string) error {
	if err := x.parents(entry, target); err != nil {
		return err
	}
	if x.dirs[target] {
		return nil
	}
	fi, err := x.root.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := x.mkdir(target); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("extract %q: %w", entry, err)
	case !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeEntryError{Entry: entry, Reason: "a directory entry clashes with an earlier entry of another type"}
	}
	x.dirs[target] = true
	return nil
}

// file extracts a regular file, streaming its content.
func (x *extractor) file(hdr *tar.Header, target string, content io.Reader) error {
	if err := x.parents(hdr.Name, target); err != nil {
		return err
	}
	if x.opt.MaxSize > 0 && x.total+hdr.Size > x.opt.MaxSize {
		return &LimitError{What: "extracted content", Size: x.total + hdr.Size, Limit: x.opt.MaxSize, Path: hdr.Name}
	}
	x.total += hdr.Size
	perm := fs.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		perm = 0o755
	}
	f, err := x.root.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, perm)
	if err != nil {
		return x.createErr(hdr.Name, err)
	}
	_, err = copyWithContext(x.ctx, f, content, x.buf)
	if err == nil {
		err = f.Chmod(perm) // the umask may have cleared bits
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extract %q: %w", hdr.Name, err)
	}
	x.files[target] = true
	return nil
}

// hardLink extracts a hard link to a regular file extracted earlier.
func (x *extractor) hardLink(hdr *tar.Header, target string) error {
	old, ok, err := x.targetName(hdr.Linkname)
	if err != nil {
		reason := err.Error()
		var ue *UnsafeEntryError
		if errors.As(err, &ue) {
			reason = ue.Reason
		}
		return &UnsafeEntryError{Entry: hdr.Name, Reason: fmt.Sprintf("hard link target %q: %s", hdr.Linkname, reason)}
	}
	if !ok || !x.files[old] {
		return &UnsafeEntryError{Entry: hdr.Name,
			Reason: fmt.Sprintf("hard link target %q is not a regular file extracted earlier", hdr.Linkname)}
	}
	if err := x.parents(hdr.Name, target); err != nil {
		return err
	}
	if err := x.root.Link(old, target); err != nil {
		return x.createErr(hdr.Name, err)
	}
	x.files[target] = true
	return nil
}

// createErr words a failure to create an entry; an existing path means the
// archive repeats or overlaps names, which is refused as unsafe.
func (x *extractor) createErr(entry string, err error) error {
	if errors.Is(err, fs.ErrExist) {
		return &UnsafeEntryError{Entry: entry, Reason: "path already exists (repeated or overlapping entry)"}
	}
	return fmt.Errorf("extract %q: %w", entry, err)
}
