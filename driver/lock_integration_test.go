package driver_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestRunLocked runs real `pkgdriver run` processes on one result directory: while the first
// builds, a second exits at once with status 2 naming the first; a third with --wait starts
// when the first is done. The lock is gone afterwards, and the third run's report.html compares
// it with the first run's report, kept as report.prev.json.
func TestRunLocked(t *testing.T) {
	testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	args := append(runArgs(t, recipes, result), "--no-cache")
	testutil.Recipe(t, recipes, "slow", script(`echo sleeping`, `sleep 8`, `echo v > "$PACKAGE_RESULT_DIR/v"`, packageInit), nil)

	first := exec.Command(bin, args...)
	var firstLog strings.Builder
	first.Stdout, first.Stderr = &firstLog, &firstLog
	assert.NilError(t, first.Start())
	t.Cleanup(func() { _ = first.Process.Kill() })
	waitFor(t, 2*time.Minute, func() bool {
		data, _ := os.ReadFile(filepath.Join(result, "log", "slow.log"))
		return strings.Contains(string(data), "sleeping")
	})

	start := time.Now()
	out, err := exec.Command(bin, args...).CombinedOutput()
	var exit *exec.ExitError
	assert.Assert(t, errors.As(err, &exit), "%v\n%s", err, out)
	assert.Equal(t, exit.ExitCode(), 2, string(out))
	assert.Check(t, time.Since(start) < 5*time.Second, "took %s to fail", time.Since(start))
	host, _ := os.Hostname()
	assert.Check(t, is.Contains(string(out), "pid "+strconv.Itoa(first.Process.Pid)+" on host "+host+", started "))
	assert.Check(t, is.Contains(string(out), "use --wait"))

	waiter := exec.Command(bin, append(args, "--wait")...)
	var waiterLog strings.Builder
	waiter.Stdout, waiter.Stderr = &waiterLog, &waiterLog
	assert.NilError(t, waiter.Start())
	t.Cleanup(func() { _ = waiter.Process.Kill() })

	assert.NilError(t, first.Wait(), firstLog.String())
	firstReport := readFile(t, filepath.Join(result, "report.json"))
	assert.NilError(t, waiter.Wait(), waiterLog.String())
	assert.Check(t, is.Contains(waiterLog.String(), `"holder_pid":`+strconv.Itoa(first.Process.Pid)))

	_, err = os.Stat(filepath.Join(result, ".pkgdriver", "lock"))
	assert.Check(t, os.IsNotExist(err), "lock left: %v", err)
	assert.Equal(t, readFile(t, filepath.Join(result, "report.prev.json")), firstReport)
	var prev report.Report
	assert.NilError(t, json.Unmarshal([]byte(firstReport), &prev))
	page := readFile(t, filepath.Join(result, "report.html"))
	assert.Check(t, is.Contains(page, `data-recipe="slow" data-build="built"`))
	assert.Check(t, is.Contains(page, "Compared with run <span class=\"mono\">"+prev.RunID+"</span>"))
	assert.Check(t, is.Contains(page, `<a href="log/slow.log">build log</a>`))
}
