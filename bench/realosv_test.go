package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/report"
)

// The catalogue row is tonight's run, against its critical path, with the lower bound in its
// details; a run whose recipes came from the cache is not the night after an OSv commit.
func TestCatalogueRow(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	recipes := func(status report.Status) []report.RecipeResult {
		return []report.RecipeResult{
			{Name: "long", Status: report.StatusBuilt, Start: t0, Duration: 90,
				Test: &report.TestResult{Status: report.TestPassed, Start: t0, Duration: 4, After: []string{"long"}}},
			{Name: "short", Status: status, Start: t0, Duration: 60,
				Test: &report.TestResult{Status: report.TestPassed, Start: t0, Duration: 6, After: []string{"short"}}},
		}
	}
	outcome := func(wall float64, status report.Status) *pkgOutcome {
		rep := &report.Report{Status: "ok", Recipes: recipes(status)}
		rep.Schedule = report.NewSchedule(2, time.Duration(wall*float64(time.Second)), rep.Recipes)
		return &pkgOutcome{Wall: time.Minute, Report: rep}
	}
	row := catalogueRow(outcome(120, report.StatusBuilt), outcome(103.4, report.StatusBuilt), "1 / 2")
	row.judge()
	assert.Equal(t, row.Error, "")
	assert.Equal(t, row.Baseline, 94.0)
	assert.Equal(t, row.Ratio, 103.4/94)
	assert.Check(t, row.Met != nil && *row.Met)
	assert.Equal(t, row.Details["lower_bound_seconds"], 94.0)
	assert.Equal(t, row.Details["work_seconds"], 160.0)
	assert.Equal(t, row.Details["wall_against_lower_bound"], 103.4/94)
	assert.Equal(t, row.Details["previous_night"].(map[string]any)["wall_seconds"], 120.0)

	cached := catalogueRow(outcome(120, report.StatusBuilt), outcome(100, report.StatusCached), "")
	assert.Check(t, strings.Contains(cached.Error, "1 recipes came from the cache"), cached.Error)
}

// A catalogue run that ends with exit status 1 (a recipe that needs the network failed) still
// gives its report; any other failure does not.
func TestFailedRun(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   bool
	}{
		{script: "exit 1", want: true},
		{script: "exit 2"},
		{script: "kill -9 $$"},
	} {
		err := exec.Command("sh", "-c", tc.script).Run()
		assert.Check(t, failedRun(err) == tc.want, "%s: %v", tc.script, err)
	}
	assert.Check(t, !failedRun(errors.New("pkgdriver not found")))
}
