package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// inspect validates one recipe directory. It collects every problem rather
// than stopping at the first, so a user fixes a recipe in one round.
func inspect(name, dir, source string, builtin bool, opts DiscoverOptions) *Recipe {
	r := &Recipe{Name: name, Dir: dir, Source: source, Builtin: builtin}
	v := &validator{r: r, opts: opts}
	badName := ValidateName(name)
	if badName != nil {
		v.fail("", badName)
	}
	v.buildScript()
	v.meta()
	v.demo()
	v.knownBroken()
	v.tree()
	if badName != nil {
		r.Demo = nil // never booted: its test log would be a file named after it
	}
	switch len(v.errs) {
	case 0:
	case 1:
		r.Err = v.errs[0]
	default:
		r.Err = errors.Join(v.errs...)
	}
	return r
}

type validator struct {
	r    *Recipe
	opts DiscoverOptions
	errs []error
}

func (v *validator) fail(file string, err error) {
	v.errs = append(v.errs, &Error{Recipe: v.r.Name, File: file, Err: err})
}

func (v *validator) abs(rel string) string {
	return filepath.Join(v.r.Dir, filepath.FromSlash(rel))
}

func (v *validator) buildScript() {
	fi, err := v.regularFile(BuildScript)
	if err != nil {
		v.fail(BuildScript, err)
		return
	}
	if fi.Mode().Perm()&0o100 == 0 {
		v.fail(BuildScript, ErrNotExecutable)
	}
	crlf, err := shebangHasCR(v.abs(BuildScript))
	if err != nil {
		v.fail(BuildScript, err)
	} else if crlf {
		v.fail(BuildScript, ErrCRLF)
	}
}

func (v *validator) meta() {
	present, err := directory(v.r.Dir, MetaDir)
	if err != nil {
		v.fail(MetaDir, err)
	}
	if !present || err != nil {
		return
	}
	v.r.HasMeta = true
	if _, err := v.regularFile(MetaRunYAML); err == nil {
		v.runYAML(MetaRunYAML)
	} else if !errors.Is(err, ErrMissing) {
		v.fail(MetaRunYAML, err)
	}
	if _, err := v.regularFile(MetaPackageYAML); err != nil && !errors.Is(err, ErrMissing) {
		v.fail(MetaPackageYAML, err)
	}
}

func (v *validator) demo() {
	present, err := directory(v.r.Dir, DemoDir)
	if err != nil {
		v.fail(DemoDir, err)
	}
	if !present || err != nil {
		return
	}
	before := len(v.errs)
	for _, f := range []string{DemoPackageTemplate, DemoRunYAML, DemoExpectedStdout} {
		if _, err := v.regularFile(f); err != nil {
			v.fail(f, err)
		}
	}
	if len(v.errs) > before {
		return
	}
	v.expectedStdout()
	v.runYAML(DemoRunYAML)
	if len(v.errs) > before {
		return
	}
	v.r.Demo = &Demo{
		Dir:             v.abs(DemoDir),
		PackageTemplate: v.abs(DemoPackageTemplate),
		RunYAML:         v.abs(DemoRunYAML),
		ExpectedStdout:  v.abs(DemoExpectedStdout),
	}
}

func (v *validator) expectedStdout() {
	data, err := os.ReadFile(v.abs(DemoExpectedStdout))
	if err != nil {
		v.fail(DemoExpectedStdout, err)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		v.fail(DemoExpectedStdout, ErrEmptyExpected)
		return
	}
	if err := checkUTF8(data); err != nil {
		v.fail(DemoExpectedStdout, err)
	}
}

// ErrNotUTF8 means a recipe file pkgdriver reads as text is not UTF-8: expected-stdout.txt (the
// console is matched as text, and invalid bytes cannot be matched nor shown in a report) or
// known-broken (its reason is printed).
var ErrNotUTF8 = errors.New("not valid UTF-8 text")

// checkUTF8 returns nil for UTF-8 text, or an error wrapping ErrNotUTF8 that names the first
// invalid byte and its offset.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	bad := 0
	for len(data[bad:]) > 0 {
		r, size := utf8.DecodeRune(data[bad:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		bad += size
	}
	return fmt.Errorf("%w (byte 0x%02x at offset %d)", ErrNotUTF8, data[bad], bad)
}

func (v *validator) runYAML(rel string) {
	if v.opts.ValidateRunYAML == nil {
		return
	}
	path := v.abs(rel)
	data, err := os.ReadFile(path)
	if err != nil {
		v.fail(rel, err)
		return
	}
	if err := v.opts.ValidateRunYAML(data, path); err != nil {
		v.fail(rel, fmt.Errorf("%w: %w", ErrInvalidConfig, err))
	}
}

// regularFile checks that rel is a regular file, or a symlink to one inside
// the recipes directory (the rule of Tree.Walk, which decides what the build
// container gets), and returns the file's own (followed) info.
func (v *validator) regularFile(rel string) (fs.FileInfo, error) {
	path := v.abs(rel)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMissing
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		bound, err := filepath.EvalSymlinks(v.within())
		if err != nil {
			return nil, err
		}
		if _, fi, err = resolveLink(path, bound, nil); err != nil {
			var le *LinkError
			if errors.As(err, &le) {
				le.Path, le.Within = rel, v.within()
			}
			return nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (it is %s)", ErrNotRegular, kind(fi.Mode()))
	}
	return fi, nil
}

// within is the recipes directory that bounds the recipe's links.
func (v *validator) within() string { return Trees(v.r, nil)[0].Within }

// tree walks the whole recipe as a build would receive it, so that a link it
// cannot be given, or a device, socket or pipe, fails the recipe before
// anything runs, naming the path. Only the first such problem is reported:
// the walk cannot go on past it; a file already reported is not reported twice.
func (v *validator) tree() {
	err := Trees(v.r, nil)[0].Walk(context.Background(), func(TreeEntry) error { return nil })
	if err == nil {
		return
	}
	file := ""
	var te *TreeError
	if errors.As(err, &te) {
		err = te.Err
		if te.Path != "." {
			file = te.Path
		}
	}
	for _, e := range v.errs {
		if re, ok := e.(*Error); ok && re.File == file && file != "" {
			return
		}
	}
	v.fail(file, err)
}

// directory reports whether rel exists, and an error when it exists as
// something other than a real directory. A symlinked meta/ or demo/ is
// refused: meta/ is copied as-is, and a link would be copied as a link.
func directory(dir, rel string) (bool, error) {
	fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return true, fmt.Errorf("%w (it is a symlink: pkgdriver copies it on the host, where links are not followed)", ErrNotDir)
	}
	if !fi.IsDir() {
		return true, fmt.Errorf("%w (it is %s)", ErrNotDir, kind(fi.Mode()))
	}
	return true, nil
}

// kind names a file type with its article, for messages ("a symlink", "a named pipe (fifo)").
func kind(m fs.FileMode) string { return "a " + fsutil.Kind(m) }

// shebangHasCR reports whether the file starts with "#!" and its first line
// ends in "\r": a file saved with CRLF line endings, whose interpreter the
// kernel would look up as e.g. "/bin/bash\r" and fail with a baffling
// "No such file or directory".
func shebangHasCR(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	// The kernel reads at most a few hundred bytes of a #! line.
	buf := make([]byte, 4096)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	head := buf[:n]
	if !bytes.HasPrefix(head, []byte("#!")) {
		return false, nil
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return bytes.HasSuffix(head, []byte("\r")), nil
}
