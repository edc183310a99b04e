package driver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// gitIn runs git in dir with a fixed identity; file:// submodules are allowed (git refuses them
// by default since 2.38).
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "protocol.file.allow=always"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeIn(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	assert.NilError(t, os.WriteFile(p, []byte(content), 0o644))
}

// standinWithSubmodule is the OSv stand-in checkout with a submodule "sub" (one file, a.txt)
// committed, and the repository the submodule comes from.
func standinWithSubmodule(t *testing.T) (osv, subRepo string) {
	subRepo = filepath.Join(t.TempDir(), "subrepo")
	assert.NilError(t, os.MkdirAll(subRepo, 0o755))
	gitIn(t, subRepo, "init", "-q", "-b", "master")
	writeIn(t, subRepo, "a.txt", "a\n")
	gitIn(t, subRepo, "add", "a.txt")
	gitIn(t, subRepo, "commit", "-q", "--no-gpg-sign", "-m", "one")
	osv = testutil.StandinOSv(t)
	writeIn(t, osv, ".gitignore", "*.o\n")
	gitIn(t, osv, "submodule", "add", "-q", subRepo, "sub")
	gitIn(t, osv, "add", ".gitignore")
	gitIn(t, osv, "commit", "-q", "--no-gpg-sign", "-m", "sub")
	return osv, subRepo
}

// TestDirtySource covers how a local checkout can differ from its commit: each is refused by
// default with the difference named (exit status 2), and built with --allow-dirty, the
// untracked files included, as <commit>-dirty.
func TestDirtySource(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	tests := []struct {
		name      string
		change    func(t *testing.T, osv, subRepo string)
		want      []string // in the refusal, in this order
		untracked []string // sent along with --allow-dirty
	}{
		{name: "clean", change: func(*testing.T, string, string) {}},
		{name: "ignored file and build output are not changes", change: func(t *testing.T, osv, _ string) {
			writeIn(t, osv, "kernel/x.o", "object")
			writeIn(t, osv, "build/release.x64/loader.img", "image")
		}},
		{name: "modified file", change: func(t *testing.T, osv, _ string) {
			writeIn(t, osv, "kernel/kernel.c", "/* patched */\n")
		}, want: []string{"modified: kernel/kernel.c"}},
		{name: "staged new file", change: func(t *testing.T, osv, _ string) {
			writeIn(t, osv, "kernel/new.c", "int x;\n")
			gitIn(t, osv, "add", "kernel/new.c")
		}, want: []string{"added: kernel/new.c"}},
		{name: "deleted file", change: func(t *testing.T, osv, _ string) {
			assert.NilError(t, os.Remove(filepath.Join(osv, "kernel", "kernel.ld")))
		}, want: []string{"deleted: kernel/kernel.ld"}},
		{name: "untracked files", change: func(t *testing.T, osv, _ string) {
			writeIn(t, osv, "notes.txt", "mine\n")
			writeIn(t, osv, "extra/deep/file.c", "int y;\n")
		}, want: []string{"untracked: extra/deep/file.c", "untracked: notes.txt"}, untracked: []string{"extra/deep/file.c", "notes.txt"}},
		{name: "file changed inside a submodule", change: func(t *testing.T, osv, _ string) {
			writeIn(t, osv, "sub/a.txt", "changed\n")
			writeIn(t, osv, "sub/new.txt", "new\n")
		}, want: []string{"modified: sub/a.txt", "untracked: sub/new.txt"}, untracked: []string{"sub/new.txt"}},
		{name: "submodule at another commit", change: func(t *testing.T, osv, _ string) {
			sub := filepath.Join(osv, "sub")
			writeIn(t, sub, "b.txt", "b\n")
			gitIn(t, sub, "add", "b.txt")
			gitIn(t, sub, "commit", "-q", "--no-gpg-sign", "-m", "two")
		}, want: []string{"submodule sub: checked out at another commit than recorded"}},
		{name: "submodule not initialised", change: func(t *testing.T, osv, _ string) {
			gitIn(t, osv, "submodule", "deinit", "-q", "-f", "sub")
		}, want: []string{"submodule sub is not initialised: run git -C", "submodule update --init sub"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			osv, subRepo := standinWithSubmodule(t)
			head := gitIn(t, osv, "rev-parse", "HEAD")
			tc.change(t, osv, subRepo)

			src, err := localSource(context.Background(), osv, false)
			if len(tc.want) == 0 {
				assert.NilError(t, err)
				assert.Check(t, !src.Dirty())
				assert.Equal(t, src.LabelCommit(), head)
				return
			}
			var dirty *DirtySourceError
			assert.Assert(t, errors.As(err, &dirty), "err = %v", err)
			assert.Check(t, errors.Is(err, ErrUsage))
			msg := err.Error()
			assert.Check(t, is.Contains(msg, "--allow-dirty"))
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				assert.Check(t, i >= 0, "%q not in (or out of order in) %s", w, msg)
				at += max(i, 0)
			}

			src, err = localSource(context.Background(), osv, true)
			assert.NilError(t, err)
			assert.Check(t, src.Dirty())
			assert.Equal(t, src.LabelCommit(), head+"-dirty")
			for _, u := range tc.untracked {
				assert.Check(t, slices.Contains(src.Files, u), "untracked %s not sent: %v", u, src.Files)
			}
			for _, f := range src.Files {
				assert.Check(t, f != "build" && !strings.HasPrefix(f, "build/"), "build output sent: %s", f)
			}
		})
	}
}

// TestSubmoduleNotCheckedOut is a checkout cloned without --recurse-submodules: the submodule
// is registered in the index, its directory is empty and it is not in .git/config.
func TestSubmoduleNotCheckedOut(t *testing.T) {
	t.Parallel()
	osv, _ := standinWithSubmodule(t)
	clone := filepath.Join(t.TempDir(), "clone")
	gitIn(t, filepath.Dir(clone), "clone", "-q", osv, clone)
	entries, err := os.ReadDir(filepath.Join(clone, "sub"))
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 0, "the submodule's directory should be empty")

	_, err = localSource(context.Background(), clone, false)
	var dirty *DirtySourceError
	assert.Assert(t, errors.As(err, &dirty), "err = %v", err)
	assert.DeepEqual(t, dirty.Missing, []string{"sub"})
	assert.Check(t, is.Contains(err.Error(), "git -C "+clone+" submodule update --init sub"))
}

func TestDirtyErrorListIsBounded(t *testing.T) {
	t.Parallel()
	e := &DirtySourceError{Dir: "/osv", Commit: "0123456789abcdef"}
	for i := range 1000 {
		e.Changes = append(e.Changes, "untracked: f"+strings.Repeat("x", i%7))
	}
	msg := e.Error()
	assert.Check(t, is.Contains(msg, "... and 975 more"))
	assert.Check(t, is.Contains(msg, "0123456-dirty"))
	assert.Check(t, len(strings.Split(msg, "\n")) < maxListedChanges+5)
}

// A submodule git cannot describe (a gitlink without a .gitmodules entry) is a usage error
// naming the checkout, not a build that fails later.
func TestSubmoduleWithoutMapping(t *testing.T) {
	t.Parallel()
	osv := testutil.StandinOSv(t)
	gitIn(t, osv, "update-index", "--add", "--cacheinfo", "160000,"+gitIn(t, osv, "rev-parse", "HEAD")+",lost")
	gitIn(t, osv, "commit", "-q", "--no-gpg-sign", "-m", "a gitlink without .gitmodules")
	_, err := localSource(context.Background(), osv, true)
	assert.Check(t, errors.Is(err, ErrUsage), "%v", err)
	assert.Check(t, is.Contains(err.Error(), "--osv-src "+osv))
	assert.Check(t, is.Contains(err.Error(), "lost"))
}
