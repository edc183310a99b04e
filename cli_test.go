package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
)

// These tests run one after another, never in parallel: urfave/cli keeps its help and version
// flags in package variables and writes to them on every run, so two runCLI calls at once race.
// pkgdriver runs one command line per process, where that does not matter.

// cliResult is what one command line did.
type cliResult struct {
	code           int
	stdout, stderr string
	dir            string // the working directory, for runBinary
}

// runArgs runs the command line args (args[0] is the program, which picks pkgdriver or capstan)
// the way main does, with no stdin.
func runArgs(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCLI(t.Context(), args, strings.NewReader(""), &stdout, &stderr, func() {})
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func pkgdriver(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runArgs(t, append([]string{"pkgdriver"}, args...)...)
}

func capstan(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runArgs(t, append([]string{"/usr/local/bin/capstan"}, args...)...)
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// TestExitStatus covers command lines that end before any work: the version, and usage errors.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name       string
		args       []string // after the program name
		capstan    bool     // run as capstan
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "version", args: []string{"--version"}, wantCode: exitOK, wantStdout: "pkgdriver version " + versionString()},
		{name: "capstan version", capstan: true, args: []string{"--version"}, wantCode: exitOK, wantStdout: "capstan version " + versionString()},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStdout: "COMMANDS"},
		{name: "unknown global flag", args: []string{"--bogus"}, wantCode: exitUsage, wantStderr: "bogus"},
		{name: "unknown run flag", args: []string{"run", "--bogus"}, wantCode: exitUsage, wantStderr: "bogus"},
		{name: "unknown list flag", args: []string{"list", "--bogus"}, wantCode: exitUsage, wantStderr: "bogus"},
		{name: "bad --jobs value", args: []string{"run", "--jobs", "many"}, wantCode: exitUsage, wantStderr: "many"},
		{name: "verify without a file", args: []string{"package", "verify"}, wantCode: exitUsage, wantStderr: "package verify needs <file.mpm>"},
		{name: "capstan unknown flag", capstan: true, args: []string{"package", "init", "--bogus"}, wantCode: exitUsage, wantStderr: "bogus"},
		{
			name: "unknown command", args: []string{"bogus"}, wantCode: exitUsage, wantStderr: "bogus",
		},
		{
			name: "unknown package subcommand", args: []string{"package", "bogus"}, wantCode: exitUsage, wantStderr: "bogus",
		},
		{
			name: "capstan unknown command", capstan: true, args: []string{"compose"}, wantCode: exitUsage, wantStderr: "compose",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := pkgdriver
			if tc.capstan {
				run = capstan
			}
			res := run(t, tc.args...)
			assert.Equal(t, res.code, tc.wantCode, res)
			assert.Check(t, is.Contains(res.stdout, tc.wantStdout))
			assert.Check(t, is.Contains(res.stderr, tc.wantStderr))
		})
	}
}

// TestRunValidation checks that a bad run configuration ends with status 2 before the engine
// is contacted and before anything is written: DOCKER_HOST names a socket that does not exist,
// so contacting it ends with the engine's error and a report instead. Environment variables
// make it sequential.
func TestRunValidation(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	t.Setenv("PKGDRIVER_CACHE_DIR", t.TempDir())
	for _, env := range []string{"RECIPES", "TEST_RECIPES", "SKIP_TESTS", "SHARE_OSV_DIR", "KEEP_RECIPES", "SILENT",
		"PKGDRIVER_RECIPES_DIRS", "PKGDRIVER_BUILTIN_RECIPES", "PKGDRIVER_RESULT_DIR", "PKGDRIVER_OSV_SRC",
		"PKGDRIVER_LOG_LEVEL", "PKGDRIVER_ALLOW_DIRTY", "PKGDRIVER_ENGINE_TIMEOUT", "PKGDRIVER_SIGN_KEY", "PKGDRIVER_SIGN_PASSWORD"} {
		t.Setenv(env, "")
	}
	t.Setenv("PKGDRIVER_BUILTIN_RECIPES", "no")
	recipes := t.TempDir()
	writeRecipe(t, recipes, "one", 0o755)
	tests := []struct {
		name       string
		env        map[string]string
		args       []string // after "pkgdriver run --result-dir <tmp> --recipes-dir <recipes>"
		wantCode   int
		wantStderr string
		wantReport bool // the run got as far as the engine: report.json says why it stopped
	}{
		{name: "accel", args: []string{"--accel", "bogus"}, wantCode: exitUsage, wantStderr: `--accel "bogus"`},
		{name: "RECIPES", env: map[string]string{"RECIPES": "bad/name"}, wantCode: exitUsage, wantStderr: "bad/name"},
		{name: "--recipes mixing all", args: []string{"--recipes", "all,foo"}, wantCode: exitUsage, wantStderr: "--recipes"},
		{name: "--recipes unknown", args: []string{"--recipes", "one,nosuch"}, wantCode: exitUsage, wantStderr: "nosuch"},
		{name: "TEST_RECIPES", env: map[string]string{"TEST_RECIPES": "a b"}, wantCode: exitUsage, wantStderr: "--test-recipes"},
		{name: "SKIP_TESTS", env: map[string]string{"SKIP_TESTS": "maybe"}, wantCode: exitUsage, wantStderr: `SKIP_TESTS="maybe" (for --skip-tests): want yes/no`},
		{name: "KEEP_RECIPES", env: map[string]string{"KEEP_RECIPES": "nope"}, wantCode: exitUsage, wantStderr: "KEEP_RECIPES"},
		{name: "PKGDRIVER_ALLOW_DIRTY", env: map[string]string{"PKGDRIVER_ALLOW_DIRTY": "sort of"}, wantCode: exitUsage, wantStderr: "PKGDRIVER_ALLOW_DIRTY"},
		{name: "PKGDRIVER_BUILTIN_RECIPES", env: map[string]string{"PKGDRIVER_BUILTIN_RECIPES": "perhaps"}, wantCode: exitUsage, wantStderr: "PKGDRIVER_BUILTIN_RECIPES"},
		{name: "memory", args: []string{"--memory", "lots"}, wantCode: exitUsage, wantStderr: "--memory"},
		{name: "memory without a unit", args: []string{"--memory", "1"}, wantCode: exitUsage, wantStderr: "--memory 1: a size needs a unit, e.g. --memory 1g"},
		{name: "test memory without a unit", args: []string{"--test-memory", "512"}, wantCode: exitUsage, wantStderr: "--test-memory 512: a size needs a unit"},
		{name: "max package size without a unit", args: []string{"--max-package-size", "4096"}, wantCode: exitUsage, wantStderr: "needs a unit"},
		{name: "max package size", args: []string{"--max-package-size", "-1g"}, wantCode: exitUsage, wantStderr: "--max-package-size"},
		{name: "negative jobs", args: []string{"--jobs", "-1"}, wantCode: exitUsage, wantStderr: "--jobs -1"},
		{name: "zero timeout", args: []string{"--timeout", "0s"}, wantCode: exitUsage, wantStderr: "--timeout"},
		{name: "image build arg", args: []string{"--image-build-arg", "NOVALUE"}, wantCode: exitUsage, wantStderr: "KEY=VALUE"},
		{name: "log format", args: []string{"--log-format", "xml"}, wantCode: exitUsage, wantStderr: "--log-format"},
		{name: "log level", args: []string{"--log-level", "loud"}, wantCode: exitUsage, wantStderr: "--log-level"},
		{name: "no OSv source", args: []string{"--osv-repo", ""}, wantCode: exitUsage, wantStderr: "--osv-src"},
		{name: "missing signing key", args: []string{"--sign-key", "/nonexistent/k.key"}, wantCode: exitUsage, wantStderr: "--sign-key: signing key: open /nonexistent/k.key"},
		{name: "PKGDRIVER_SIGN_KEY, wrong password", env: map[string]string{"PKGDRIVER_SIGN_KEY": testKey(t, "right"), "PKGDRIVER_SIGN_PASSWORD": "wrong"},
			wantCode: exitUsage, wantStderr: "a wrong PKGDRIVER_SIGN_PASSWORD"},
		{name: "engine timeout", env: map[string]string{"PKGDRIVER_ENGINE_TIMEOUT": "soon"}, wantCode: exitUsage, wantStderr: "PKGDRIVER_ENGINE_TIMEOUT", wantReport: true},
		// The controls: a valid configuration, sizes with units included, does reach the
		// (missing) engine, which is a configuration error too, with a report.
		{name: "valid configuration reaches the engine", wantCode: exitUsage, wantStderr: "docker engine", wantReport: true},
		{
			name: "sizes with units", args: []string{"--memory", "512m", "--test-memory", "2g", "--max-package-size", "1048576b"},
			wantCode: exitUsage, wantStderr: "docker engine", wantReport: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			resultDir := filepath.Join(t.TempDir(), "result")
			res := pkgdriver(t, append([]string{"run", "--result-dir", resultDir, "--recipes-dir", recipes}, tc.args...)...)
			assert.Equal(t, res.code, tc.wantCode, res)
			assert.Check(t, is.Contains(res.stderr, tc.wantStderr))
			if !tc.wantReport {
				assert.Check(t, !strings.Contains(res.stderr, "docker engine"), "the engine was contacted:\n%s", res.stderr)
				_, err := os.Stat(resultDir)
				assert.Check(t, errors.Is(err, os.ErrNotExist), "the result directory was created by a refused run")
				return
			}
			assertNotStarted(t, resultDir, tc.wantStderr, "one")
		})
	}
}

func TestCapstanPackageInit(t *testing.T) {
	dir := t.TempDir()
	res := capstan(t, "package", "init", "--name", "foo", "--title", "T", "--author", "A", "--version", "1.0",
		"--platform", "Debian-12", "--require", "bar", "--require", "baz", dir)
	assert.Equal(t, res.code, exitOK, res)
	assert.Check(t, is.Contains(res.stdout, filepath.Join(dir, packager.PackageFile)))

	pkg, err := packager.LoadPackage(filepath.Join(dir, packager.PackageFile))
	assert.NilError(t, err)
	created, err := time.Parse(packager.CreatedLayout, pkg.Created)
	assert.NilError(t, err, "created %q", pkg.Created)
	assert.Check(t, time.Since(created) < time.Hour, "created %s", created)
	pkg.Created = ""
	assert.DeepEqual(t, *pkg, packager.Package{
		Name: "foo", Title: "T", Author: "A", Version: "1.0", Platform: "Debian-12", Require: []string{"bar", "baz"},
	})
}

func TestCapstanPackageInitErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "missing author", args: []string{"--name", "foo", "--title", "T"}, wantStderr: "author"},
		{name: "missing title", args: []string{"--name", "foo", "--author", "A"}, wantStderr: "title"},
		{name: "missing name", args: []string{"--title", "T", "--author", "A"}, wantStderr: "name"},
		{name: "name with a slash", args: []string{"--name", "a/b", "--title", "T", "--author", "A"}, wantStderr: "a/b"},
		{name: "empty require", args: []string{"--name", "foo", "--title", "T", "--author", "A", "--require", ""}, wantStderr: "require"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := capstan(t, append(append([]string{"package", "init"}, tc.args...), dir)...)
			assert.Equal(t, res.code, exitUsage, res)
			assert.Check(t, is.Contains(res.stderr, tc.wantStderr))
			_, err := os.Stat(filepath.Join(dir, "meta"))
			assert.Check(t, errors.Is(err, os.ErrNotExist), "meta/ written for an invalid package")
		})
	}
}

// initPackage makes a small package directory with capstan package init.
func initPackage(t *testing.T, dir string) {
	t.Helper()
	res := capstan(t, "package", "init", "--name", "foo", "--title", "T", "--author", "A", "--version", "1.0", dir)
	assert.Equal(t, res.code, exitOK, res)
	assert.NilError(t, os.MkdirAll(filepath.Join(dir, "usr", "lib"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "hello"), []byte("hello\n"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "usr", "lib", "x.so"), []byte("lib"), 0o644))
	assert.NilError(t, os.Symlink("/usr/lib/x.so", filepath.Join(dir, "usr", "lib", "y.so")))
}

func TestCapstanPackageBuildAndVerify(t *testing.T) {
	dir := t.TempDir()
	initPackage(t, dir)

	res := capstan(t, "package", "build", dir)
	assert.Equal(t, res.code, exitOK, res)
	mpm := filepath.Join(dir, "foo.mpm")
	a, err := packager.VerifyFile(mpm)
	assert.NilError(t, err)
	assert.Equal(t, a.Package.Name, "foo")
	var names []string
	for _, e := range a.Entries {
		names = append(names, e.Name)
	}
	assert.DeepEqual(t, names, []string{".", "hello", "meta", "meta/package.yaml", "usr", "usr/lib", "usr/lib/x.so", "usr/lib/y.so"})

	// Building again does not pack the first archive into the second.
	res = capstan(t, "package", "build", "--pull-missing", dir)
	assert.Equal(t, res.code, exitOK, res)
	a, err = packager.VerifyFile(mpm)
	assert.NilError(t, err)
	assert.Equal(t, len(a.Entries), len(names))

	res = pkgdriver(t, "package", "verify", "--list", mpm)
	assert.Equal(t, res.code, exitOK, res)
	assert.Check(t, is.Contains(res.stdout, "package foo 1.0, 8 entries, valid"))
	assert.Check(t, is.Contains(res.stdout, "usr/lib/y.so\n"))

	data, err := os.ReadFile(mpm)
	assert.NilError(t, err)
	corrupt := []struct {
		name string
		data []byte
	}{
		{name: "flipped byte", data: flipByte(data, len(data)/2)},
		{name: "truncated", data: data[:len(data)-20]},
		{name: "empty", data: nil},
		{name: "not an archive", data: []byte("hello, world\n")},
	}
	for _, c := range corrupt {
		bad := filepath.Join(t.TempDir(), "bad.mpm")
		assert.NilError(t, os.WriteFile(bad, c.data, 0o644))
		res := pkgdriver(t, "package", "verify", bad)
		assert.Check(t, res.code == exitFailed, "%s: %s", c.name, res)
		assert.Check(t, is.Contains(res.stderr, "bad.mpm"), c.name)
	}
	res = pkgdriver(t, "package", "verify", filepath.Join(t.TempDir(), "missing.mpm"))
	assert.Equal(t, res.code, exitFailed, res)
}

func flipByte(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0xff
	return out
}

func TestCapstanPackageBuildWithoutDescriptor(t *testing.T) {
	res := capstan(t, "package", "build", t.TempDir())
	assert.Equal(t, res.code, exitFailed, res)
	assert.Check(t, is.Contains(res.stderr, "package.yaml"))
}

// With SOURCE_DATE_EPOCH, packages made from the same files are the same bytes, whenever and
// wherever they are made. t.Setenv makes this test sequential.
func TestCapstanReproducible(t *testing.T) {
	const epoch = 1700000000
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	want := time.Unix(epoch, 0).UTC()

	var archives [][]byte
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		initPackage(t, dir)
		// Different file times must not matter.
		assert.NilError(t, os.Chtimes(filepath.Join(dir, "hello"), time.Now(), time.Now().Add(time.Duration(i)*time.Hour)))
		pkg, err := packager.LoadPackage(filepath.Join(dir, packager.PackageFile))
		assert.NilError(t, err)
		assert.Equal(t, pkg.Created, want.Format(packager.CreatedLayout))

		res := capstan(t, "package", "build", dir)
		assert.Equal(t, res.code, exitOK, res)
		data, err := os.ReadFile(filepath.Join(dir, "foo.mpm"))
		assert.NilError(t, err)
		archives = append(archives, data)
	}
	assert.Assert(t, bytes.Equal(archives[0], archives[1]), "two builds differ")

	zr, err := gzip.NewReader(bytes.NewReader(archives[0]))
	assert.NilError(t, err)
	tr := tar.NewReader(zr)
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		assert.NilError(t, err)
		n++
		assert.Check(t, hdr.ModTime.Equal(want), "%s: mtime %s", hdr.Name, hdr.ModTime)
		assert.Check(t, hdr.Uid == 0 && hdr.Gid == 0 && hdr.Uname == "" && hdr.Gname == "", "%s: owner %d:%d %q:%q", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
	}
	assert.Equal(t, n, 8)
}

// writeRecipe makes a recipe directory whose build.sh has the given mode.
func writeRecipe(t *testing.T, dir, name string, mode os.FileMode) {
	t.Helper()
	assert.NilError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, name, "build.sh"), []byte("#!/bin/sh\ntrue\n"), mode))
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	writeRecipe(t, dir, "good", 0o755)
	writeRecipe(t, dir, "bad", 0o644)
	writeRecipe(t, dir, "broken", 0o755)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "broken", "known-broken"), []byte("# why\nIts demo\naborts.\n\nMore.\n"), 0o644))

	res := pkgdriver(t, "list", "--builtin-recipes=false", "--recipes-dir", dir)
	assert.Equal(t, res.code, exitFailed, res)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	assert.Equal(t, len(lines), 4, res.stdout)
	assert.Check(t, is.Regexp(`^RECIPE\s+SOURCE\s+DEMO\s+NETWORK\s+BROKEN\s+STATUS$`, lines[0]))
	assert.Check(t, is.Regexp(`^bad\s+`+dir+`\s+no\s+no\s+no\s+.*build\.sh.*not executable`, lines[1]))
	assert.Check(t, is.Regexp(`^broken\s+`+dir+`\s+no\s+no\s+yes\s+valid; known broken, not in all: Its demo aborts\.$`, lines[2]))
	assert.Check(t, is.Regexp(`^good\s+`+dir+`\s+no\s+no\s+no\s+valid$`, lines[3]))

	res = pkgdriver(t, "list", "--json", "--builtin-recipes=false", "--recipes-dir", dir)
	assert.Equal(t, res.code, exitFailed, res)
	var entries []listEntry
	assert.NilError(t, json.Unmarshal([]byte(res.stdout), &entries), res.stdout)
	assert.Equal(t, len(entries), 3)
	assert.Equal(t, entries[0].Name, "bad")
	assert.Check(t, !entries[0].Valid)
	assert.Check(t, is.Contains(entries[0].Error, "not executable"))
	assert.DeepEqual(t, entries[1], listEntry{Name: "broken", Source: dir, Network: []string{}, KnownBroken: "Its demo aborts.", Valid: true})
	assert.DeepEqual(t, entries[2], listEntry{Name: "good", Source: dir, Network: []string{}, Valid: true})
	assert.Check(t, is.Contains(res.stdout, `"network": []`), "the JSON has the network field the table shows")
	assert.Check(t, is.Contains(res.stdout, `"known_broken": ""`), "the JSON has the known_broken field the table shows")

	// Only valid recipes: status 0.
	ok := t.TempDir()
	writeRecipe(t, ok, "good", 0o755)
	res = pkgdriver(t, "list", "--builtin-recipes=false", "--recipes-dir", ok)
	assert.Equal(t, res.code, exitOK, res)
}

func TestListBadRecipesDir(t *testing.T) {
	res := pkgdriver(t, "list", "--builtin-recipes=false", "--recipes-dir", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, res.code, exitUsage, res)
	assert.Check(t, is.Contains(res.stderr, "missing"))
}

// The built-in recipes are all valid; t.Setenv makes this test sequential.
func TestListBuiltin(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("PKGDRIVER_CACHE_DIR", cache)
	t.Setenv("PKGDRIVER_RECIPES_DIRS", "")
	t.Setenv("PKGDRIVER_BUILTIN_RECIPES", "")

	res := pkgdriver(t, "list", "--json")
	assert.Equal(t, res.code, exitOK, res)
	var entries []listEntry
	assert.NilError(t, json.Unmarshal([]byte(res.stdout), &entries), res.stdout)
	assert.Assert(t, len(entries) > 0)
	for _, e := range entries {
		assert.Check(t, e.Valid, "%s: %s", e.Name, e.Error)
		assert.Check(t, is.Equal(e.Source, "built-in"), e.Name)
		assert.Check(t, is.Equal(e.KnownBroken, ""), "%s: no built-in recipe is known-broken now", e.Name)
	}
	// They were written into the cache directory, and a second listing reuses them.
	dirs, err := filepath.Glob(filepath.Join(cache, "builtin-recipes-*"))
	assert.NilError(t, err)
	assert.Equal(t, len(dirs), 1)
	res = pkgdriver(t, "list")
	assert.Equal(t, res.code, exitOK, res)
	assert.Check(t, is.Contains(res.stdout, "native-hello"))
}

func TestProblems(t *testing.T) {
	got := problems("--jobs -1: must be 1 or more\n--timeout 0s: must be positive\n" +
		"toolchain image build failed at Step 3/5: boom\n  last lines of its output:\n    oops\n")
	assert.DeepEqual(t, got, []string{
		"--jobs -1: must be 1 or more",
		"--timeout 0s: must be positive",
		"toolchain image build failed at Step 3/5: boom\n  last lines of its output:\n    oops",
	})
}

// TestRunResultDirOverlap: a result directory that is, lies inside, or holds a recipes directory
// (compared after resolving symlinks; built-in or user) ends run and verify-reproducible with
// status 2 naming both, before the engine is contacted and before anything is written.
func TestRunResultDirOverlap(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	cache := t.TempDir()
	t.Setenv("PKGDRIVER_CACHE_DIR", cache)
	for _, env := range []string{"RECIPES", "PKGDRIVER_RECIPES_DIRS", "PKGDRIVER_BUILTIN_RECIPES", "PKGDRIVER_RESULT_DIR"} {
		t.Setenv(env, "")
	}
	root := t.TempDir()
	recipes := filepath.Join(root, "recipes")
	assert.NilError(t, os.MkdirAll(filepath.Join(recipes, "app"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(recipes, "app", "build.sh"), []byte("#!/bin/sh\n"), 0o755))
	assert.NilError(t, os.Symlink(recipes, filepath.Join(root, "alias")))
	user := []string{"--builtin-recipes=false", "--recipes-dir", recipes}
	tests := []struct {
		name   string
		args   []string
		result string
		want   string
	}{
		{"same", user, recipes, "is a user recipes directory"},
		{"inside, not there yet", user, filepath.Join(recipes, "out", "result"), "lies inside a user recipes directory"},
		{"holds", user, root, "holds a user recipes directory"},
		{"same through a symlink", user, filepath.Join(root, "alias"), "is a user recipes directory"},
		{"inside through a symlink", user, filepath.Join(root, "alias", "app", "result"), "lies inside a user recipes directory"},
		{"holds the built-in recipes", []string{"--builtin-recipes=true"}, cache, "holds the built-in recipes directory"},
	}
	before := testutil.Snapshot(t, root)
	for _, tc := range tests {
		for _, cmd := range []string{"run", "verify-reproducible"} {
			t.Run(cmd+" "+tc.name, func(t *testing.T) {
				args := append([]string{cmd, "--result-dir", tc.result, "--osv-src", root}, tc.args...)
				if cmd == "verify-reproducible" {
					args = append(args, "app")
				}
				res := pkgdriver(t, args...)
				assert.Equal(t, res.code, exitUsage, res)
				assert.Check(t, is.Contains(res.stderr, fmt.Sprintf("the result directory %q %s", tc.result, tc.want)))
				assert.Check(t, is.Contains(res.stderr, "results would be read as recipes"))
				assert.Check(t, !strings.Contains(res.stderr, "no-engine.sock"), "the engine was contacted: %s", res.stderr)
			})
		}
	}
	assert.DeepEqual(t, testutil.Snapshot(t, root), before)
	_, err := os.Stat(filepath.Join(cache, "result"))
	assert.Check(t, errors.Is(err, os.ErrNotExist))

	// Apart from every recipes directory, the same command line gets as far as the engine.
	res := pkgdriver(t, append([]string{"run", "--result-dir", filepath.Join(t.TempDir(), "result"), "--osv-src", root}, user...)...)
	assert.Check(t, !strings.Contains(res.stderr, "results would be read as recipes"), res)
}
