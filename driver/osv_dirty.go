package driver

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pkgdriver/pkgdriver/report"
)

// changes is how a local checkout differs from its commit: what `git status` reports (staged,
// modified, deleted, renamed files, submodules at another commit or with changes inside, and
// untracked files; never ignored files or build/ output), and the submodules that are not there
// at all.
type changes struct {
	files []string // "modified: path", "untracked: path", "submodule path: ...", sorted as git gives them
	// untracked are the untracked files' paths: sent with --allow-dirty.
	untracked []string
	// missing are submodules registered in the index but not initialised or not checked out.
	missing []string
}

func (c *changes) dirty() bool { return len(c.files) > 0 || len(c.missing) > 0 }

// list is every difference, the missing submodules first.
func (c *changes) list() []string {
	var out []string
	for _, m := range c.missing {
		out = append(out, "submodule "+m+": not initialised")
	}
	return append(out, c.files...)
}

// checkoutChanges asks git how the checkout at dir differs from its HEAD, descending into
// submodules that have changes of their own.
func checkoutChanges(ctx context.Context, dir string) (*changes, error) {
	c := &changes{}
	if err := c.status(ctx, dir, ""); err != nil {
		return nil, err
	}
	missing, err := missingSubmodules(ctx, dir)
	if err != nil {
		return nil, err
	}
	c.missing = missing
	return c, nil
}

// status adds what `git status` says about the repository at dir, whose paths are prefixed
// with prefix (a submodule's path in the top checkout).
func (c *changes) status(ctx context.Context, dir, prefix string) error {
	out, err := git(ctx, dir, "status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return fmt.Errorf("git status: %w", err)
	}
	fields := strings.Split(out, "\x00")
	for i := 0; i < len(fields); i++ {
		e := fields[i]
		if e == "" {
			continue
		}
		var xy, sub, p string
		switch e[0] {
		case '?':
			p = prefix + e[2:]
			if p == "build" || strings.HasPrefix(p, "build/") {
				continue // OSv's own build output, never sent
			}
			c.files = append(c.files, "untracked: "+p)
			c.untracked = append(c.untracked, p)
			continue
		case '1': // 1 XY sub mH mI mW hH hI path
			f := strings.SplitN(e, " ", 9)
			if len(f) < 9 {
				return fmt.Errorf("git status: cannot read %q", e)
			}
			xy, sub, p = f[1], f[2], f[8]
		case '2': // 2 XY sub mH mI mW hH hI Xscore path, then the original path
			f := strings.SplitN(e, " ", 10)
			if len(f) < 10 {
				return fmt.Errorf("git status: cannot read %q", e)
			}
			xy, sub, p = f[1], f[2], f[9]
			i++ // the original path
		case 'u': // u XY sub m1 m2 m3 mW h1 h2 h3 path
			f := strings.SplitN(e, " ", 11)
			if len(f) < 11 {
				return fmt.Errorf("git status: cannot read %q", e)
			}
			c.files = append(c.files, "unmerged: "+prefix+f[10])
			continue
		default:
			continue // ignored files and headers are not asked for
		}
		p = prefix + p
		if sub[0] != 'S' {
			c.files = append(c.files, changeWord(xy)+": "+p)
			continue
		}
		// A submodule: S<commit changed><tracked changes><untracked files>.
		if sub[1] == 'C' {
			c.files = append(c.files, "submodule "+p+": checked out at another commit than recorded")
		}
		if xy[0] != '.' && sub[1] != 'C' {
			c.files = append(c.files, "submodule "+p+": "+changeWord(xy))
		}
		if sub[2] == 'M' || sub[3] == 'U' {
			if err := c.status(ctx, filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, prefix))), p+"/"); err != nil {
				return err
			}
		}
	}
	return nil
}

// changeWord names a porcelain XY status (index, work tree).
func changeWord(xy string) string {
	switch {
	case strings.ContainsRune(xy, 'D'):
		return "deleted"
	case strings.ContainsRune(xy, 'A'):
		return "added"
	case strings.ContainsRune(xy, 'R'):
		return "renamed"
	case strings.ContainsRune(xy, 'T'):
		return "type changed"
	}
	return "modified"
}

// missingSubmodules lists the submodules (recursively) that are registered in the index but not
// initialised in .git/config or not checked out: the build would get an empty directory.
func missingSubmodules(ctx context.Context, dir string) ([]string, error) {
	out, err := git(ctx, dir, "submodule", "status", "--recursive")
	if err != nil {
		return nil, fmt.Errorf("git submodule status: %w", err)
	}
	var missing []string
	for _, line := range strings.Split(out, "\n") {
		// -<commit> <path>: not initialised; a populated one starts with ' ', '+' or 'U'.
		if rest, ok := strings.CutPrefix(line, "-"); ok {
			if _, p, ok := strings.Cut(rest, " "); ok {
				missing = append(missing, p)
			}
		}
	}
	return missing, nil
}

// DirtySourceError refuses a --osv-src checkout that is not exactly its commit.
type DirtySourceError struct {
	Dir, Commit string
	Changes     []string // what git status lists
	Missing     []string // submodules that are not initialised
}

// maxListedChanges bounds the list in the message; the count says how many there are.
const maxListedChanges = 25

func (e *DirtySourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--osv-src %s differs from its commit %s", e.Dir, report.ShortCommit(e.Commit))
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "\n  submodule %s is not initialised: run git -C %s submodule update --init %s", m, e.Dir, m)
	}
	for i, c := range e.Changes {
		if i == maxListedChanges {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Changes)-i)
			break
		}
		b.WriteString("\n  " + c)
	}
	fix := "commit or stash the changes"
	if len(e.Missing) > 0 {
		fix = "initialise the submodules"
		if len(e.Changes) > 0 {
			fix += ", commit or stash the changes"
		}
	}
	fmt.Fprintf(&b, "\n%s, or build the tree as it is with --allow-dirty (then labelled and tagged %s%s)",
		fix, report.ShortCommit(e.Commit), dirtySuffix)
	return b.String()
}

// Unwrap makes the refusal a usage error (exit status 2).
func (e *DirtySourceError) Unwrap() error { return ErrUsage }
