package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/report"
)

// osvSource is where the toolchain's OSv tree comes from: a local checkout (Dir set) or a
// repository cloned inside the build.
type osvSource struct {
	Dir string
	// Files are the tracked files of the local checkout and, when it is dirty, its untracked
	// ones (never ignored files, never build/ output).
	Files      []string
	Repo, Ref  string
	Commit     string
	CommitTime time.Time
	Describe   string
	// Changes say how the local checkout differs from Commit (see checkoutChanges); a source
	// with changes is only built with --allow-dirty, and is then labelled <commit>-dirty.
	Changes []string
}

// Dirty reports whether the tree sent is not exactly the commit's.
func (s *osvSource) Dirty() bool { return len(s.Changes) > 0 }

// LabelCommit is the commit as labels, tags and reports name it.
func (s *osvSource) LabelCommit() string {
	if s.Dirty() {
		return s.Commit + dirtySuffix
	}
	return s.Commit
}

// dirtySuffix marks a commit built from a tree that differs from it.
const dirtySuffix = report.DirtySuffix

var fullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// resolveSource finds out what the image will be built from. A local checkout is read with git:
// its commit, commit time and `git describe` (OSv's build takes its version from there, and
// the tree is sent without .git). A repository ref is resolved to a commit first, so an
// unreachable repository fails at once with a hint instead of deep inside the build.
func resolveSource(ctx context.Context, cfg ImageConfig) (*osvSource, error) {
	if cfg.OSVSrc != "" {
		return localSource(ctx, cfg.OSVSrc, cfg.AllowDirty)
	}
	src := &osvSource{Repo: cfg.OSVRepo, Ref: cfg.OSVRef}
	if fullCommit.MatchString(cfg.OSVRef) {
		src.Commit = cfg.OSVRef
		return src, nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return src, nil // the build resolves the ref itself
	}
	lctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	out, err := git(lctx, "", "ls-remote", "--", cfg.OSVRepo, cfg.OSVRef, cfg.OSVRef+"^{}")
	if err != nil {
		return nil, usageError(fmt.Errorf("cannot reach the OSv repository %s (%v); build from a local checkout with --osv-src DIR", cfg.OSVRepo, err))
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			src.Commit = f[0] // a peeled tag (^{}) comes last and wins
		}
	}
	if src.Commit == "" {
		return nil, usageError(fmt.Errorf("OSv repository %s has no ref %q", cfg.OSVRepo, cfg.OSVRef))
	}
	return src, nil
}

func localSource(ctx context.Context, dir string, allowDirty bool) (*osvSource, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, "scripts", "build")); err != nil {
		return nil, usageError(fmt.Errorf("--osv-src %s: not an OSv tree (no scripts/build)", dir))
	}
	commit, err := git(ctx, abs, "rev-parse", "HEAD")
	if err != nil {
		return nil, usageError(fmt.Errorf("--osv-src %s: not a git checkout with a commit (%v)", dir, err))
	}
	ct, err := git(ctx, abs, "log", "-1", "--format=%ct")
	if err != nil {
		return nil, fmt.Errorf("--osv-src %s: %w", dir, err)
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(ct), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("--osv-src %s: commit time %q: %w", dir, ct, err)
	}
	describe, _ := git(ctx, abs, "describe", "--tags", "--match", "v*")
	list, err := git(ctx, abs, "ls-files", "-z", "--recurse-submodules")
	if err != nil {
		return nil, fmt.Errorf("--osv-src %s: list tracked files: %w", dir, err)
	}
	var files []string
	for _, f := range strings.Split(list, "\x00") {
		if f == "" || f == "build" || strings.HasPrefix(f, "build/") {
			continue
		}
		files = append(files, f)
	}
	src := &osvSource{
		Dir: abs, Files: files, Commit: strings.TrimSpace(commit),
		CommitTime: time.Unix(secs, 0).UTC(), Describe: strings.TrimSpace(describe),
	}
	ch, err := checkoutChanges(ctx, abs)
	if err != nil {
		return nil, usageError(fmt.Errorf("--osv-src %s: %w", dir, err))
	}
	if ch.dirty() && !allowDirty {
		return nil, &DirtySourceError{Dir: dir, Commit: src.Commit, Changes: ch.files, Missing: ch.missing}
	}
	src.Changes = ch.list()
	// What the user sees in the tree is what gets built: untracked files go along.
	src.Files = append(src.Files, ch.untracked...)
	return src, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	// Never prompt for credentials: a nightly run has nobody to answer. Never write to the
	// checkout either (git status would otherwise refresh its index).
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
