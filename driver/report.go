package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// Report is report.json: what a run did, for people and for the next run.
type Report struct {
	RunID     string     `json:"run_id"`
	Version   string     `json:"pkgdriver_version"`
	Start     time.Time  `json:"start"`
	Duration  float64    `json:"duration_seconds"`
	Status    string     `json:"status"` // ok, failed, cancelled, error
	Error     string     `json:"error,omitempty"`
	Toolchain *Toolchain `json:"toolchain,omitempty"`
	Accel     Accel      `json:"accel,omitempty"`
	Loader    *Artifact  `json:"loader,omitempty"`
	// ZFSBuilder is the image Capstan's --fs zfs compose boots (repository/osv-zfs-builder).
	ZFSBuilder *Artifact `json:"zfs_builder,omitempty"`
	// Settings are the run's inputs as given: selection and the flags that shape it.
	Settings map[string]string `json:"settings,omitempty"`
	Recipes  []RecipeResult    `json:"recipes"`
}

// Failed reports whether any recipe did not build or its test did not pass. Untested recipes
// (no demo) and recipes only tested in this run do not fail a run.
func (rep *Report) Failed() bool {
	for _, r := range rep.Recipes {
		if r.Broken() || r.Status == StatusQueued || r.Status == StatusNotStarted {
			return true
		}
	}
	return false
}

// writeReport marks recipes a stopped run never finished, then writes report.json atomically
// (the one it replaces becomes report.prev.json) and report.html, and prints the summary.
func writeReport(r *Run, runErr error) (*Report, error) {
	rep := &Report{
		RunID: r.Config.RunID, Version: r.Config.Version, Start: r.Start.UTC(),
		Duration:  time.Since(r.Start).Round(time.Millisecond).Seconds(),
		Toolchain: r.Toolchain, Accel: r.Accel, Loader: r.Loader, ZFSBuilder: r.ZFSBuilder, Settings: r.Config.settings(),
		Recipes: r.Results.list(),
	}
	cancelled := errors.Is(runErr, errInterrupted) || errors.Is(runErr, context.Canceled)
	for i := range rep.Recipes {
		res := &rep.Recipes[i]
		switch {
		case res.Status != StatusQueued:
		case cancelled:
			res.Status = StatusCancelled
			res.Error = "not started: the run was stopped"
		case runErr != nil:
			res.Status = StatusNotStarted
			first, _, _ := strings.Cut(runErr.Error(), "\n")
			res.Error = "not started: the run failed first: " + first
		}
	}
	if err := writeJUnit(r.Layout.JUnit(), rep); err != nil {
		r.Config.Log.Warn().Err(err).Msg("junit.xml")
	}
	switch {
	case cancelled:
		rep.Status = "cancelled"
	case runErr != nil:
		rep.Status = "error"
	case rep.Failed():
		rep.Status = "failed"
	default:
		rep.Status = "ok"
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	r.Report = rep
	printSummary(r.Config.Out, rep)
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(r.Layout.Root, 0o755); err != nil {
		return rep, err
	}
	if err := keepPreviousReport(r.Layout); err != nil {
		r.Config.Log.Warn().Err(err).Msg("report.prev.json")
	}
	if err := fsutil.WriteFileAtomic(r.Layout.Report(), append(data, '\n'), 0o644); err != nil {
		return rep, err
	}
	// report.html is a view of report.json: failing to write it does not fail the run.
	if err := writeHTMLReport(r.Layout, rep); err != nil {
		r.Config.Log.Warn().Err(err).Msg("report.html")
	}
	return rep, nil
}

// printSummary prints one line per recipe and, for failures, the last lines of the log.
func printSummary(w io.Writer, rep *Report) {
	if w == nil || len(rep.Recipes) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPE\tBUILD\tDURATION\tTEST\tDURATION\tLOG")
	counts := map[Status]int{}
	tests := map[TestStatus]int{}
	for _, res := range rep.Recipes {
		counts[res.Status]++
		test, testTook := "-", "-"
		if res.Test != nil {
			tests[res.Test.Status]++
			test = string(res.Test.Status)
			if res.Test.Duration > 0 {
				testTook = seconds(res.Test.Duration).String()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", res.Name, res.Status, seconds(res.Duration), test, testTook, res.Log)
	}
	tw.Flush()
	for _, res := range rep.Recipes {
		if res.Status.Broken() {
			printFailure(w, res.Name+" build "+string(res.Status), res.Error, res.Log, res.LogTail)
		}
		if t := res.Test; t != nil && t.Status.Broken() {
			printFailure(w, res.Name+" test "+string(t.Status), t.Error, t.Log, t.LogTail)
		}
	}
	var parts []string
	for _, s := range []Status{StatusBuilt, StatusCached, StatusFailed, StatusTimedOut, StatusCancelled, StatusNotStarted, StatusQueued} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	for _, s := range []TestStatus{TestPassed, TestCached, TestFailed, TestTimedOut, TestUntested, TestSkipped, TestCancelled} {
		if tests[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d tests %s", tests[s], s))
		}
	}
	hits, misses := 0, 0
	for _, res := range rep.Recipes {
		switch {
		case res.Cached:
			hits++
		case res.CacheKey != "":
			misses++
		}
	}
	if hits+misses > 0 {
		parts = append(parts, fmt.Sprintf("cache: %d hits, %d misses", hits, misses))
	}
	fmt.Fprintf(w, "\n%s in %s\n", strings.Join(parts, ", "), time.Duration(rep.Duration*float64(time.Second)).Round(time.Second))
}

func printFailure(w io.Writer, title, msg, log string, tail []string) {
	// Messages can quote what a recipe holds (a file name, a parser's complaint about its YAML).
	fmt.Fprintf(w, "\n%s: %s\n", title, linetail.Printable(msg))
	if len(tail) > 0 {
		fmt.Fprintf(w, "  last lines of %s:\n", log)
		for _, l := range tail {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond)
}
