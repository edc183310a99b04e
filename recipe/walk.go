package recipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Tree is one directory tree a build of a recipe receives: the recipe's own directory or a
// common directory. Walk is the only way pkgdriver reads one, so the cache hash (Hash) and what
// is sent to the build container always cover the same entries.
type Tree struct {
	// Root is the tree's directory; it may itself be a symlink.
	Root string
	// Within is the recipes directory that holds Root. Every symlink in the tree, Root
	// included, must resolve to a place inside it.
	Within string
	// Common marks a common directory ($COMMON_DIR) rather than the recipe's own.
	Common bool
}

// Trees lists what a build of r receives: its own directory first, then each common directory
// in order, each bounded by the recipes directory that holds it.
func Trees(r *Recipe, commonDirs []string) []Tree {
	within := r.Source
	if within == "" {
		within = filepath.Dir(r.Dir)
	}
	out := []Tree{{Root: r.Dir, Within: within}}
	for _, c := range commonDirs {
		out = append(out, Tree{Root: c, Within: filepath.Dir(c), Common: true})
	}
	return out
}

// TreeEntry is one entry of a tree as a build sees it: a directory or a regular file. Symlinks
// never appear as such: a link is replaced by what it resolves to.
type TreeEntry struct {
	// Rel is the slash-separated path below the tree's root; "." is the root.
	Rel string
	// Path is the host directory or file that holds the entry's content: the resolved target
	// when the entry is a link, with no symlink left in it.
	Path string
	// Mode holds the type (directory or regular file) and permission bits of Path.
	Mode fs.FileMode
	// Size is a regular file's size.
	Size int64
	// Link is the symlink's own target, as written, when the entry is a link; else "".
	Link string
}

// LinkError is a symlink in a recipe tree that a build cannot be given: it leads outside the
// recipes directory, nowhere, or into a directory that holds the link (a cycle).
type LinkError struct {
	// Path is the link, slash-separated, relative to the tree's root ("." for the root).
	Path string
	// Target is what the link says (os.Readlink).
	Target string
	// Resolved is the absolute path the link leads to, when there is one.
	Resolved string
	// Within is the recipes directory the link had to stay in.
	Within string
	// Err is ErrLinkOutside, ErrBrokenLink or ErrLinkCycle.
	Err error
}

func (e *LinkError) Error() string {
	msg := fmt.Sprintf("symlink to %q", e.Target)
	if e.Resolved != "" && e.Resolved != e.Target {
		msg += fmt.Sprintf(" (%q)", e.Resolved)
	}
	if errors.Is(e.Err, ErrLinkOutside) {
		return fmt.Sprintf("%s: %v %q", msg, e.Err, e.Within)
	}
	return fmt.Sprintf("%s: %v", msg, e.Err)
}

// Unwrap returns the cause.
func (e *LinkError) Unwrap() error { return e.Err }

// TreeError is a problem at one path of a tree while walking it.
type TreeError struct {
	// Path is slash-separated, relative to the tree's root ("." for the root).
	Path string
	Err  error
}

func (e *TreeError) Error() string { return displayPath(e.Path) + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TreeError) Unwrap() error { return e.Err }

// Walk calls fn for every entry of the tree, parents before their children, siblings in byte
// order of their names, which is the same on every machine.
//
// A symlink anywhere in the tree (the root included) whose resolved target lies inside Within is
// walked as what it points to: a file's content, a directory's whole tree. Any other link (one
// leading outside Within, a dangling one, one leading into a directory that holds it) stops the
// walk with a *TreeError wrapping a *LinkError, before fn sees anything of it. Devices, sockets
// and pipes stop it with ErrUnsupportedFile. Errors of fn are returned as they are.
func (t Tree) Walk(ctx context.Context, fn func(TreeEntry) error) error {
	bound, err := filepath.EvalSymlinks(t.Within)
	if err != nil {
		return fmt.Errorf("recipes directory: %w", err)
	}
	w := &treeWalker{ctx: ctx, within: t.Within, bound: bound, fn: fn}
	return w.visit(".", t.Root, nil)
}

type treeWalker struct {
	ctx    context.Context
	within string // as given, for messages
	bound  string // resolved
	fn     func(TreeEntry) error
}

// visit walks the entry at host path p. ancestors are the resolved directories above it.
func (w *treeWalker) visit(rel, p string, ancestors []string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return &TreeError{Path: rel, Err: err}
	}
	e := TreeEntry{Rel: rel, Path: p}
	if fi.Mode()&fs.ModeSymlink != 0 || rel == "." {
		// The root is resolved even when it is not a link itself: one of its parents may be.
		e.Path, fi, err = resolveLink(p, w.bound, ancestors)
		if err != nil {
			var le *LinkError
			if errors.As(err, &le) {
				le.Path, le.Within = rel, w.within
			}
			return &TreeError{Path: rel, Err: err}
		}
		if link, err := os.Readlink(p); err == nil {
			e.Link = link
		}
	}
	e.Mode = fi.Mode()
	switch {
	case fi.Mode().IsRegular():
		e.Size = fi.Size()
		return w.fn(e)
	case fi.IsDir():
		if err := w.fn(e); err != nil {
			return err
		}
		entries, err := os.ReadDir(e.Path)
		if err != nil {
			return &TreeError{Path: rel, Err: err}
		}
		ancestors = append(ancestors, e.Path)
		for _, d := range entries {
			if err := w.visit(path.Join(rel, d.Name()), filepath.Join(e.Path, d.Name()), ancestors); err != nil {
				return err
			}
		}
		return nil
	default:
		return &TreeError{Path: rel, Err: fmt.Errorf("%w (%s)", ErrUnsupportedFile, kind(fi.Mode()))}
	}
}

// resolveLink resolves p (a symlink, or a path with a symlink in it) and checks the one rule
// for links in recipe trees: the target exists, lies inside the resolved recipes directory
// bound, and, when it is a directory, holds none of ancestors (which would make a cycle). It
// returns the resolved path and its info; a refused link is a *LinkError.
func resolveLink(p, bound string, ancestors []string) (string, fs.FileInfo, error) {
	link, _ := os.Readlink(p)
	if link == "" {
		link = p // not a link itself: a parent was one
	}
	target, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, &LinkError{Target: link, Err: ErrBrokenLink}
	}
	if err != nil { // too many links: a link to itself, or a cycle of links
		return "", nil, &LinkError{Target: link, Err: fmt.Errorf("%w: a loop of links (%v)", ErrLinkCycle, err)}
	}
	if !inside(bound, target) {
		return "", nil, &LinkError{Target: link, Resolved: target, Err: ErrLinkOutside}
	}
	fi, err := os.Stat(target)
	if err != nil {
		return "", nil, err
	}
	if fi.IsDir() {
		for _, a := range ancestors {
			if inside(target, a) {
				return "", nil, &LinkError{Target: link, Resolved: target,
					Err: fmt.Errorf("%w: it leads into a directory that holds it", ErrLinkCycle)}
			}
		}
	}
	return target, fi, nil
}

// inside reports whether p is dir or lies below it; both are clean absolute paths.
func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
