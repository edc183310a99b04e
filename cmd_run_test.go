package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// silentEngine accepts connections on l and reads what pkgdriver sends, never answering, as an
// engine that hangs does. It stops when the test ends.
func silentEngine(t *testing.T, l net.Listener) {
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = c.Read(make([]byte, 1<<16)) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
}

// assertNotStarted checks the report of a run that stopped before any recipe started: its
// status and reason, and each recipe not started, with the reason.
func assertNotStarted(t *testing.T, result, reason string, recipes ...string) {
	t.Helper()
	var rep struct {
		Status, Error string
		Recipes       []struct{ Name, Status, Error string }
	}
	data, err := os.ReadFile(filepath.Join(result, "report.json"))
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, rep.Status, "error")
	assert.Check(t, is.Contains(rep.Error, reason))
	assert.Assert(t, len(rep.Recipes) == len(recipes), "%s", data)
	for i, r := range rep.Recipes {
		assert.Check(t, is.Equal(r.Name, recipes[i]))
		assert.Check(t, is.Equal(r.Status, "not started"), r.Name)
		assert.Check(t, is.Contains(r.Error, reason), r.Name)
	}
}

// An engine that accepts the connection and never answers ends the run with status 2 within
// PKGDRIVER_ENGINE_TIMEOUT, naming where DOCKER_HOST pointed, and the result directory gets a
// report saying why (the previous one kept as report.prev.json).
func TestRunEngineNeverAnswers(t *testing.T) {
	t.Setenv("PKGDRIVER_CACHE_DIR", t.TempDir())
	t.Setenv("PKGDRIVER_ENGINE_TIMEOUT", "2s")
	for _, env := range []string{"RECIPES", "TEST_RECIPES", "KEEP_RECIPES", "PKGDRIVER_RECIPES_DIRS", "PKGDRIVER_RESULT_DIR"} {
		t.Setenv(env, "")
	}
	recipes := t.TempDir()
	writeRecipe(t, recipes, "one", 0o755)
	writeRecipe(t, recipes, "two", 0o755)

	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			var l net.Listener
			var err error
			host := ""
			if network == "unix" {
				sock := filepath.Join(t.TempDir(), "engine.sock")
				l, err = net.Listen("unix", sock)
				host = "unix://" + sock
			} else {
				l, err = net.Listen("tcp", "127.0.0.1:0")
				if l != nil {
					host = "tcp://" + l.Addr().String()
				}
			}
			assert.NilError(t, err)
			silentEngine(t, l)
			t.Setenv("DOCKER_HOST", host)

			result := filepath.Join(t.TempDir(), "result")
			assert.NilError(t, os.MkdirAll(result, 0o755))
			previous := `{"run_id": "earlier", "status": "ok", "recipes": []}` + "\n"
			assert.NilError(t, os.WriteFile(filepath.Join(result, "report.json"), []byte(previous), 0o644))

			start := time.Now()
			res := pkgdriver(t, "run", "--builtin-recipes=false", "--recipes-dir", recipes, "--result-dir", result, "--silent")
			took := time.Since(start)
			assert.Equal(t, res.code, exitUsage, res)
			assert.Check(t, took < 8*time.Second, "took %s with a 2s engine timeout", took)
			assert.Check(t, is.Contains(res.stderr, host+" (DOCKER_HOST) does not answer"))
			assert.Check(t, is.Contains(res.stderr, "no answer within 2s"))

			prev, err := os.ReadFile(filepath.Join(result, "report.prev.json"))
			assert.NilError(t, err)
			assert.Equal(t, string(prev), previous)
			assertNotStarted(t, result, "does not answer", "one", "two")
			html, err := os.ReadFile(filepath.Join(result, "report.html"))
			assert.NilError(t, err)
			assert.Check(t, is.Contains(string(html), "does not answer"))
			assert.Check(t, is.Contains(string(html), "not started"))
			// Nothing else of a run was made: no packages, logs or staging.
			for _, dir := range []string{"packages", "intermediate", "log", ".pkgdriver/staging"} {
				_, err := os.Stat(filepath.Join(result, dir))
				assert.Check(t, os.IsNotExist(err), "%s was made", dir)
			}
		})
	}
}

// A result directory that is a file, or that the user cannot write, is a usage error (status
// 2) that names it, and nothing is written.
func TestRunResultDirUnusable(t *testing.T) {
	t.Setenv("PKGDRIVER_CACHE_DIR", t.TempDir())
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	recipes := t.TempDir()
	writeRecipe(t, recipes, "one", 0o755)

	file := filepath.Join(t.TempDir(), "result")
	assert.NilError(t, os.WriteFile(file, []byte("not a directory\n"), 0o644))
	res := pkgdriver(t, "run", "--builtin-recipes=false", "--recipes-dir", recipes, "--result-dir", file)
	assert.Equal(t, res.code, exitUsage, res)
	assert.Check(t, is.Contains(res.stderr, "--result-dir "+file+" is a file, not a directory"))
	assert.Check(t, !strings.Contains(res.stderr, "docker engine"))

	under := filepath.Join(file, "sub")
	res = pkgdriver(t, "run", "--builtin-recipes=false", "--recipes-dir", recipes, "--result-dir", under)
	assert.Equal(t, res.code, exitUsage, res)
	assert.Check(t, is.Contains(res.stderr, "--result-dir "+under+" cannot be written"))
}

// A read-only result directory, run as a user who cannot write it: root writes anyway, so the
// test runs the binary as nobody when it runs as root, and as the user itself otherwise.
func TestRunResultDirReadOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// A world-readable place: t.TempDir() is private to the test's user.
	base, err := os.MkdirTemp("", "pkgdriver-readonly-")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	assert.NilError(t, os.Chmod(base, 0o755))
	bin := filepath.Join(base, "pkgdriver")
	data, err := os.ReadFile(testutil.Pkgdriver(t))
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(bin, data, 0o755))
	recipes := filepath.Join(base, "recipes")
	writeRecipe(t, recipes, "one", 0o755)
	cache := filepath.Join(base, "cache")
	assert.NilError(t, os.Mkdir(cache, 0o777))
	assert.NilError(t, os.Chmod(cache, 0o777))
	result := filepath.Join(base, "result")
	assert.NilError(t, os.Mkdir(result, 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(result, "keep.txt"), []byte("x"), 0o644))
	assert.NilError(t, os.Chmod(result, 0o555))

	cmd := exec.Command(bin, "run", "--builtin-recipes=false", "--recipes-dir", recipes, "--result-dir", result)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + cache, "PKGDRIVER_CACHE_DIR=" + cache,
		"DOCKER_HOST=unix://" + filepath.Join(base, "no-engine.sock")}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v\n%s", err, out)
	assert.Equal(t, exit.ExitCode(), exitUsage, "%s", out)
	assert.Check(t, is.Contains(string(out), "--result-dir "+result+" cannot be written"))
	assert.Check(t, is.Contains(string(out), "permission denied"))
	entries, err := os.ReadDir(result)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "something was written: %v", entries)
}
