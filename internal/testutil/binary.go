package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// builds caches the pkgdriver binary per test process: every test of a package shares one.
var builds struct {
	once sync.Once
	path string
	err  error
}

// RepoRoot is the module's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Pkgdriver builds the pkgdriver binary, static as the toolchain image needs it, once per test
// process, and returns its path.
func Pkgdriver(t testing.TB) string {
	t.Helper()
	builds.once.Do(func() {
		dir, err := os.MkdirTemp("", "pkgdriver-bin-")
		if err != nil {
			builds.err = err
			return
		}
		builds.path = filepath.Join(dir, "pkgdriver")
		cmd := exec.Command("go", "build", "-trimpath", "-o", builds.path, ".")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			builds.err = &buildError{out: string(out), err: err}
		}
	})
	if builds.err != nil {
		t.Fatalf("build pkgdriver: %v", builds.err)
	}
	return builds.path
}

// Main runs a package's tests and then removes the binary Pkgdriver built for them, so no test
// run leaves a temporary directory behind. A package whose tests call Pkgdriver has
// func TestMain(m *testing.M) { os.Exit(testutil.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if builds.path != "" {
		os.RemoveAll(filepath.Dir(builds.path))
	}
	return code
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
