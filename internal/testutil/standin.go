package testutil

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// StandinVersion is the tag the stand-in checkout gets; its kernel prints "OSv " + this.
const StandinVersion = "v0.0.1-standin"

// StandinCommitTime is the fixed commit time of the stand-in checkout (2024-01-02 03:04:05 UTC),
// so the checkout, and with it the toolchain image's inputs, are the same in every test.
const StandinCommitTime = 1704164645

// StandinOSv copies testdata/osv-standin into a temporary directory and makes it a git
// checkout with one commit and a tag, like an OSv clone. The commit is the same every time.
func StandinOSv(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "osv")
	CopyDir(t, filepath.Join(RepoRoot(), "testdata", "osv-standin"), dir)
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME=pkgdriver-tests", "GIT_AUTHOR_EMAIL=tests@pkgdriver.invalid",
		"GIT_COMMITTER_NAME=pkgdriver-tests", "GIT_COMMITTER_EMAIL=tests@pkgdriver.invalid",
		"GIT_AUTHOR_DATE=@1704164645 +0000", "GIT_COMMITTER_DATE=@1704164645 +0000",
	)
	for _, args := range [][]string{
		{"init", "-q", "-b", "master"},
		{"add", "-A"},
		{"commit", "-q", "--no-gpg-sign", "-m", "OSv stand-in"},
		{"tag", StandinVersion},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// CopyDir copies a tree of regular files, directories and symlinks, keeping modes.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := fsutil.CopyTree(context.Background(), src, dst, fsutil.CopyOptions{Preserve: true}); err != nil {
		t.Fatal(err)
	}
}
