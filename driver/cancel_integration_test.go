package driver_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestRunInterrupted sends SIGINT to a real `pkgdriver run` while a recipe builds: within 10 s
// the process exits 130, no container of the run is left, the report says cancelled, and the
// previous package of the interrupted recipe is untouched.
func TestRunInterrupted(t *testing.T) {
	api := testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	args := runArgs(t, recipes, result)

	testutil.Recipe(t, recipes, "keeper", script(`echo v1 > "$PACKAGE_RESULT_DIR/v"`, packageInit), nil)
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
	before := readFile(t, filepath.Join(result, "packages", "keeper.mpm"))

	testutil.Recipe(t, recipes, "keeper", script(`echo v2 > "$PACKAGE_RESULT_DIR/v"`, `echo sleeping`, `sleep 300`, packageInit), nil)
	testutil.Recipe(t, recipes, "queued", script(`sleep 300`), nil)
	cmd = exec.Command(bin, append(args, "--jobs", "1")...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	assert.NilError(t, cmd.Start())
	waitFor(t, 2*time.Minute, func() bool {
		data, _ := os.ReadFile(filepath.Join(result, "log", "keeper.log"))
		return strings.Contains(string(data), "sleeping")
	})
	assert.NilError(t, cmd.Process.Signal(syscall.SIGINT))
	start := time.Now()
	err = cmd.Wait()
	took := time.Since(start)
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v\n%s", err, log.String())
	assert.Equal(t, exit.ExitCode(), 130, log.String())
	assert.Check(t, took < 10*time.Second, "took %s to stop", took)

	var rep report.Report
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(result, "report.json"))), &rep))
	assert.Equal(t, rep.Status, report.RunCancelled)
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == report.StatusCancelled, "%s: %s", r.Name, r.Status)
	}
	containers, volumes := testutil.Leftovers(t, api, rep.RunID)
	assert.Check(t, len(containers) == 0 && len(volumes) == 0, "left: %v %v", containers, volumes)
	assert.Equal(t, readFile(t, filepath.Join(result, "packages", "keeper.mpm")), before)
	entries, _ := os.ReadDir(filepath.Join(result, "packages"))
	for _, e := range entries {
		assert.Check(t, !strings.HasPrefix(e.Name(), "."), "partial file %s", e.Name())
	}
	staging, _ := os.ReadDir(filepath.Join(result, ".pkgdriver", "staging"))
	assert.Check(t, len(staging) == 0, "staging left: %v", staging)
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
