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
)

// unitRun is a run that got as far as building, with one recipe in each state; queued is the
// one that never started.
func unitRun(t *testing.T, statuses map[string]Status) (*Run, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	names := []string{"a-built", "b-failed", "c-timedout", "d-queued", "e-cancelled"}
	r := &Run{
		Config:    &Config{RunID: "20240102T030405-42", Version: "test", Out: &out, Log: zerolog.Nop()},
		Layout:    Layout{Root: filepath.Join(t.TempDir(), "result")},
		Start:     time.Now().Add(-2 * time.Second),
		Toolchain: &Toolchain{ID: "sha256:tc", Commit: "0123456789"},
		Accel:     AccelTCG,
		Results:   newResults(names),
	}
	exit := 1
	for _, n := range names {
		st := statuses[n]
		if st == "" || st == StatusQueued {
			continue
		}
		res := &RecipeResult{Name: n, Status: st, Duration: 1.25, Log: "log/" + n + ".log"}
		if st != StatusBuilt {
			res.Error = "recipe " + n + ": " + string(st)
			res.LogTail = []string{n + " said goodbye"}
			res.ExitCode = &exit
		}
		r.Results.set(res)
	}
	return r, &out
}

var unitMixed = map[string]Status{
	"a-built": StatusBuilt, "b-failed": StatusFailed, "c-timedout": StatusTimedOut,
	"d-queued": StatusQueued, "e-cancelled": StatusCancelled,
}

func TestWriteReport(t *testing.T) {
	t.Parallel()
	allBuilt := map[string]Status{}
	for n := range unitMixed {
		allBuilt[n] = StatusBuilt
	}
	tests := []struct {
		name       string
		statuses   map[string]Status
		runErr     error
		wantStatus string
		wantQueued Status // what d-queued ends as
		wantCounts string
		wantError  string
	}{
		{name: "all built", statuses: allBuilt, wantStatus: "ok", wantQueued: StatusBuilt, wantCounts: "5 built in 2s"},
		{
			name: "some failed", statuses: unitMixed, wantStatus: "failed", wantQueued: StatusQueued,
			wantCounts: "1 built, 1 failed, 1 timed out, 1 cancelled, 1 queued in 2s",
		},
		{
			name: "interrupted", statuses: unitMixed, runErr: context.Canceled, wantStatus: "cancelled",
			wantQueued: StatusCancelled, wantCounts: "1 built, 1 failed, 1 timed out, 2 cancelled in 2s",
			wantError: "context canceled",
		},
		{
			name: "interrupted, wrapped", statuses: unitMixed, runErr: fmt.Errorf("build recipes: %w", context.Canceled),
			wantStatus: "cancelled", wantQueued: StatusCancelled, wantError: "build recipes: context canceled",
		},
		{
			name: "not confirmed", statuses: unitMixed, runErr: fmt.Errorf("%w: not confirmed", errInterrupted),
			wantStatus: "cancelled", wantQueued: StatusCancelled, wantError: "interrupted: not confirmed",
		},
		{
			name: "run error", statuses: unitMixed, runErr: errors.New("engine went away\ndetails"), wantStatus: "error",
			wantQueued: StatusNotStarted, wantError: "engine went away\ndetails",
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
			assert.Equal(t, rep.Failed(), tc.wantStatus != "ok")
			assert.Equal(t, rep.RunID, "20240102T030405-42")
			assert.Equal(t, rep.Accel, AccelTCG)
			assert.Assert(t, rep.Duration >= 2 && rep.Duration < 60, "duration %v", rep.Duration)

			var got []string
			for _, res := range rep.Recipes {
				got = append(got, res.Name)
			}
			assert.DeepEqual(t, got, []string{"a-built", "b-failed", "c-timedout", "d-queued", "e-cancelled"})
			assert.Equal(t, rep.Recipes[3].Status, tc.wantQueued)
			if tc.wantQueued == StatusNotStarted { // the run's reason, its first line
				assert.Equal(t, rep.Recipes[3].Error, "not started: the run failed first: engine went away")
			}

			// report.json is the same report, and nothing else is left beside it.
			data, err := os.ReadFile(r.Layout.Report())
			assert.NilError(t, err)
			assert.Check(t, bytes.HasSuffix(data, []byte("}\n")))
			assert.Check(t, is.Contains(string(data), `"pkgdriver_version": "test"`))
			var back Report
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
				case res.Status == StatusBuilt || res.Status == StatusQueued || res.Status == StatusNotStarted:
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

func TestPrintSummaryNothingToSay(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printSummary(&out, &Report{})
	assert.Equal(t, out.String(), "")
	printSummary(nil, &Report{Recipes: []RecipeResult{{Name: "a", Status: StatusBuilt}}}) // no writer: no panic
}

func TestReportFailed(t *testing.T) {
	t.Parallel()
	for _, st := range []Status{StatusQueued, StatusFailed, StatusTimedOut, StatusCancelled} {
		rep := &Report{Recipes: []RecipeResult{{Status: StatusBuilt}, {Status: st}}}
		assert.Check(t, rep.Failed(), "%s counts as a failure", st)
	}
	assert.Check(t, !(&Report{}).Failed(), "an empty run did not fail")
	assert.Check(t, !(&Report{Recipes: []RecipeResult{{Status: StatusBuilt}}}).Failed())
}
