package driver

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/report"
)

// writeReport marks recipes a stopped run never finished, then writes report.json atomically
// (the one it replaces becomes report.prev.json) and report.html, and prints the summary.
func writeReport(r *Run, runErr error) (*report.Report, error) {
	rep := &report.Report{
		RunID: r.Config.RunID, Version: r.Config.Version, Start: r.Start.UTC(),
		Duration:  time.Since(r.Start).Round(time.Millisecond).Seconds(),
		Toolchain: r.Toolchain.record(), Accel: string(r.Accel), Loader: r.Loader, ZFSBuilder: r.ZFSBuilder,
		Settings: r.Config.settings(), Recipes: r.Results.list(), Runner: r.EngineName,
	}
	if r.SharedTree != "" {
		rep.Settings[settingSharedTree] = r.SharedTree
	}
	cancelled := errors.Is(runErr, errInterrupted) || errors.Is(runErr, context.Canceled)
	for i := range rep.Recipes {
		res := &rep.Recipes[i]
		switch {
		case res.Status != report.StatusQueued:
		case cancelled:
			res.Status = report.StatusCancelled
			res.Error = "not started: the run was stopped"
		case runErr != nil:
			res.Status = report.StatusNotStarted
			first, _, _ := strings.Cut(runErr.Error(), "\n")
			res.Error = "not started: the run failed first: " + first
		}
	}
	if t := r.Schedule; t != nil {
		rep.Schedule = report.NewSchedule(t.Jobs, t.Wall, rep.Recipes)
	}
	if err := report.WriteJUnit(r.Layout.JUnit(), rep); err != nil {
		r.Config.Log.Warn().Err(err).Msg("junit.xml")
	}
	switch {
	case cancelled:
		rep.Status = report.RunCancelled
	case runErr != nil:
		rep.Status = report.RunError
	case rep.Failed():
		rep.Status = report.RunFailed
	default:
		rep.Status = report.RunOK
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	r.Report = rep
	report.WriteSummary(r.Config.Out, rep)
	if err := os.MkdirAll(r.Layout.Root, 0o755); err != nil {
		return rep, err
	}
	if err := report.KeepPrevious(r.Layout); err != nil {
		r.Config.Log.Warn().Err(err).Msg("report.prev.json")
	}
	if err := report.Write(r.Layout, rep); err != nil {
		return rep, err
	}
	// report.html is a view of report.json: failing to write it does not fail the run.
	if err := report.WriteHTML(r.Layout, rep); err != nil {
		r.Config.Log.Warn().Err(err).Msg("report.html")
	}
	return rep, nil
}
