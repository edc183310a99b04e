package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
)

// unitRun is a run that got as far as building, with one recipe in each state; queued is the
// one that never started.
func unitRun(t *testing.T, statuses map[string]report.Status) (*Run, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	names := []string{"a-built", "b-failed", "c-timedout", "d-queued", "e-cancelled"}
	r := &Run{
		Config:    &Config{RunID: "20240102T030405-42", Version: "test", Out: &out, Log: zerolog.Nop()},
		Layout:    resultdir.Layout{Root: filepath.Join(t.TempDir(), "result")},
		Start:     time.Now().Add(-2 * time.Second),
		Toolchain: &Toolchain{Toolchain: report.Toolchain{ID: "sha256:tc", Commit: "0123456789"}},
		Accel:     AccelTCG,
		Results:   newResults(names),
	}
	exit := 1
	for _, n := range names {
		st := statuses[n]
		if st == "" || st == report.StatusQueued {
			continue
		}
		res := &report.RecipeResult{Name: n, Status: st, Duration: 1.25, Log: "log/" + n + ".log"}
		if st != report.StatusBuilt {
			res.Error = "recipe " + n + ": " + string(st)
			res.LogTail = []string{n + " said goodbye"}
			res.ExitCode = &exit
		}
		r.Results.set(res)
	}
	return r, &out
}

var unitMixed = map[string]report.Status{
	"a-built": report.StatusBuilt, "b-failed": report.StatusFailed, "c-timedout": report.StatusTimedOut,
	"d-queued": report.StatusQueued, "e-cancelled": report.StatusCancelled,
}

func TestWriteReport(t *testing.T) {
	t.Parallel()
	allBuilt := map[string]report.Status{}
	for n := range unitMixed {
		allBuilt[n] = report.StatusBuilt
	}
	tests := []struct {
		name       string
		statuses   map[string]report.Status
		runErr     error
		wantStatus report.RunStatus
		wantQueued report.Status // what d-queued ends as
		wantCounts string
		wantError  string
	}{
		{name: "all built", statuses: allBuilt, wantStatus: "ok", wantQueued: report.StatusBuilt, wantCounts: "5 built in 2s"},
		{
			name: "some failed", statuses: unitMixed, wantStatus: "failed", wantQueued: report.StatusQueued,
			wantCounts: "1 built, 1 failed, 1 timed out, 1 cancelled, 1 queued in 2s",
		},
		{
			name: "interrupted", statuses: unitMixed, runErr: context.Canceled, wantStatus: "cancelled",
			wantQueued: report.StatusCancelled, wantCounts: "1 built, 1 failed, 1 timed out, 2 cancelled in 2s",
			wantError: "context canceled",
		},
		{
			name: "interrupted, wrapped", statuses: unitMixed, runErr: fmt.Errorf("build recipes: %w", context.Canceled),
			wantStatus: "cancelled", wantQueued: report.StatusCancelled, wantError: "build recipes: context canceled",
		},
		{
			name: "not confirmed", statuses: unitMixed, runErr: fmt.Errorf("%w: not confirmed", errInterrupted),
			wantStatus: "cancelled", wantQueued: report.StatusCancelled, wantError: "interrupted: not confirmed",
		},
		{
			name: "run error", statuses: unitMixed, runErr: errors.New("engine went away\ndetails"), wantStatus: "error",
			wantQueued: report.StatusNotStarted, wantError: "engine went away\ndetails",
			wantCounts: "1 built, 1 failed, 1 timed out, 1 cancelled, 1 not started in 2s",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, out := unitRun(t, tc.statuses)
			rep, err := writeReport(r, tc.runErr)
			assert.NilError(t, err)
			assert.Equal(t, r.Report, rep)
			assert.Equal(t, rep.Status, tc.wantStatus)
			assert.Equal(t, rep.Error, tc.wantError)
			assert.Equal(t, rep.Failed(), tc.wantStatus != report.RunOK)
			assert.Equal(t, rep.RunID, "20240102T030405-42")
			assert.Equal(t, rep.Accel, string(AccelTCG))
			assert.Assert(t, rep.Duration >= 2 && rep.Duration < 60, "duration %v", rep.Duration)

			var got []string
			for _, res := range rep.Recipes {
				got = append(got, res.Name)
			}
			assert.DeepEqual(t, got, []string{"a-built", "b-failed", "c-timedout", "d-queued", "e-cancelled"})
			assert.Equal(t, rep.Recipes[3].Status, tc.wantQueued)
			if tc.wantQueued == report.StatusNotStarted { // the run's reason, its first line
				assert.Equal(t, rep.Recipes[3].Error, "not started: the run failed first: engine went away")
			}

			// report.json is the same report, and nothing else is left beside it.
			data, err := os.ReadFile(r.Layout.Report())
			assert.NilError(t, err)
			assert.Check(t, bytes.HasSuffix(data, []byte("}\n")))
			assert.Check(t, is.Contains(string(data), `"pkgdriver_version": "test"`))
			var back report.Report
			assert.NilError(t, json.Unmarshal(data, &back))
			assert.Equal(t, back.Status, rep.Status)
			assert.Equal(t, back.Toolchain.ID, "sha256:tc")
			assert.Equal(t, len(back.Recipes), len(rep.Recipes))
			for i := range back.Recipes {
				assert.Equal(t, back.Recipes[i].Status, rep.Recipes[i].Status)
				assert.DeepEqual(t, back.Recipes[i].LogTail, rep.Recipes[i].LogTail)
			}
			entries, err := os.ReadDir(r.Layout.Root)
			assert.NilError(t, err)
			for _, e := range entries {
				assert.Check(t, !strings.HasPrefix(e.Name(), "."), "temporary file left: %s", e.Name())
			}

			// The summary: a line per recipe, the error and tail of each failure, the counts.
			s := out.String()
			assert.Check(t, is.Contains(s, "RECIPE"))
			for _, res := range rep.Recipes {
				assert.Check(t, is.Regexp(`(?m)^`+res.Name+`\s+`+string(res.Status)+`\s`, s))
				tail := res.Name + " said goodbye"
				switch {
				case res.Status == report.StatusBuilt || res.Status == report.StatusQueued || res.Status == report.StatusNotStarted:
					assert.Check(t, !strings.Contains(s, tail), "tail of %s printed", res.Name)
				case res.LogTail == nil: // cancelled while queued: it never ran, it has no log
					assert.Check(t, is.Regexp(`(?m)^`+res.Name+`\b.*\b`+string(res.Status)+`:`, s))
					assert.Check(t, !strings.Contains(s, tail), "tail of %s printed", res.Name)
				default:
					assert.Check(t, is.Regexp(`(?m)^`+res.Name+`\b.*\b`+string(res.Status)+`: `+regexp.QuoteMeta(res.Error)+`$`, s))
					assert.Check(t, is.Contains(s, "last lines of log/"+res.Name+".log:\n  | "+tail+"\n"))
				}
			}
			if tc.wantCounts != "" {
				assert.Check(t, strings.HasSuffix(s, "\n"+tc.wantCounts+"\n"), "summary ends:\n%s", s)
			}
		})
	}
}

// writeReport keeps the report it replaces as report.prev.json, and report.html compares the two.
func TestWriteReportHTMLAndPrevious(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "result")
	run := func(runID string, st report.Status) *Run {
		r := &Run{
			Config:  &Config{RunID: runID, Version: "test", Log: zerolog.Nop()},
			Layout:  resultdir.Layout{Root: root},
			Start:   time.Now(),
			Results: newResults([]string{"a"}),
		}
		r.Results.set(&report.RecipeResult{Name: "a", Status: st, Start: time.Now(), Duration: 1, Log: "log/a.log"})
		return r
	}
	l := resultdir.Layout{Root: root}

	_, err := writeReport(run("first", report.StatusBuilt), nil)
	assert.NilError(t, err)
	first, err := os.ReadFile(l.Report())
	assert.NilError(t, err)
	_, err = os.Stat(l.PrevReport())
	assert.Check(t, os.IsNotExist(err), "no previous run yet")
	page, err := os.ReadFile(l.HTMLReport())
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(page), `data-recipe="a" data-build="built"`))
	assert.Check(t, !strings.Contains(string(page), `id="changes"`))

	_, err = writeReport(run("second", report.StatusFailed), nil)
	assert.NilError(t, err)
	prev, err := os.ReadFile(l.PrevReport())
	assert.NilError(t, err)
	assert.Equal(t, string(prev), string(first), "report.prev.json is the first run's report.json")
	var cur report.Report
	data, err := os.ReadFile(l.Report())
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(data, &cur))
	assert.Equal(t, cur.RunID, "second")
	page, err = os.ReadFile(l.HTMLReport())
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(page), `id="changes"`))
	changes := string(page)
	assert.Check(t, is.Contains(changes, "Compared with run <span class=\"mono\">first</span>"))
	assert.Check(t, is.Contains(changes, "<code>a</code>: build failed (was: build built)"))

	entries, err := os.ReadDir(root)
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.DeepEqual(t, names, []string{"junit.xml", "report.html", "report.json", "report.prev.json"})
}
