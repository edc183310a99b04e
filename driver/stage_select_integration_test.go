package driver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestKnownBrokenRun runs the real binary on the real engine with a known-broken recipe next to
// a good one: the default selection builds only the good one, exits 0 and says at info why the
// other was left out; naming the known-broken recipe builds it with one warning giving the reason.
func TestKnownBrokenRun(t *testing.T) {
	testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "good", script(packageInit), nil)
	testutil.Recipe(t, recipes, "broken", script(packageInit), map[string]string{
		"known-broken": "# why\nIts demo aborts\non this OSv.\n\nDetails.\n",
	})
	const reason = "Its demo aborts on this OSv."

	run := func(extra ...string) (events []map[string]any, rep report.Report) {
		t.Helper()
		cmd := exec.Command(bin, append(runArgs(t, recipes, result), extra...)...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		assert.NilError(t, cmd.Run(), stderr.String())
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			var ev map[string]any
			assert.NilError(t, json.Unmarshal([]byte(line), &ev), line)
			events = append(events, ev)
		}
		assert.NilError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(result, "report.json"))), &rep))
		return events, rep
	}
	// about counts the events of a level that give broken's reason.
	about := func(events []map[string]any, level string) (n int) {
		for _, ev := range events {
			if _, ok := ev["reason"]; ok && ev["level"] == level && ev["recipe"] == "broken" {
				assert.Check(t, is.Equal(ev["reason"], reason), "%v", ev)
				t.Logf("%s: %s (%s)", level, ev["message"], ev["reason"])
				n++
			}
		}
		return n
	}

	events, rep := run()
	assert.Equal(t, len(rep.Recipes), 1)
	assert.Equal(t, rep.Recipes[0].Name, "good")
	assert.Check(t, is.Equal(about(events, "info"), 1), "one info line says why broken was left out")
	assert.Check(t, is.Equal(about(events, "warn"), 0))
	_, err := os.Stat(filepath.Join(result, "packages", "broken.mpm"))
	assert.Check(t, os.IsNotExist(err), "broken was built")

	events, rep = run("--recipes", "broken,good")
	assert.Equal(t, len(rep.Recipes), 2)
	assert.Equal(t, resultOf(t, &rep, "broken").Status, report.StatusBuilt)
	assert.Check(t, is.Equal(about(events, "warn"), 1), "one warning names broken and the reason")
	assert.Check(t, is.Equal(about(events, "info"), 0))
	_, err = os.Stat(filepath.Join(result, "packages", "broken.mpm"))
	assert.Check(t, err)
}
