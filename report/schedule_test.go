package report

import (
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestCriticalPath(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tested := func(name string, build, test float64, after ...string) RecipeResult {
		return RecipeResult{Name: name, Start: t0, Duration: build,
			Test: &TestResult{Start: t0.Add(time.Hour), Duration: test, After: after}}
	}
	for _, tc := range []struct {
		name    string
		recipes []RecipeResult
		want    float64
		chain   string
	}{
		{name: "nothing ran"},
		{name: "a build alone", recipes: []RecipeResult{{Name: "a", Start: t0, Duration: 5}}, want: 5, chain: "build a"},
		{name: "build then its test", recipes: []RecipeResult{tested("a", 5, 2, "a"), tested("b", 6, 0.5, "b")}, want: 7, chain: "build a,test a"},
		{name: "through a required package", recipes: []RecipeResult{{Name: "lib", Start: t0, Duration: 9}, tested("app", 1, 2, "app", "lib")}, want: 11, chain: "build lib,test app"},
		{name: "a test of a recipe not built", recipes: []RecipeResult{{Name: "x", Test: &TestResult{Start: t0, Duration: 3}}}, want: 3, chain: "test x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, chain := criticalPath(tc.recipes)
			assert.Check(t, is.Equal(got, tc.want))
			assert.Check(t, is.Equal(strings.Join(chain, ","), tc.chain))
		})
	}
}

// The work is every build and test that ran; the lower bound is the critical path or the work
// shared by the slots, whichever is longer.
func TestScheduleLowerBound(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	tested := func(name string, build, test float64) RecipeResult {
		return RecipeResult{Name: name, Start: t0, Duration: build,
			Test: &TestResult{Start: t0.Add(time.Hour), Duration: test, After: []string{name}}}
	}
	for _, tc := range []struct {
		name        string
		jobs        int
		recipes     []RecipeResult
		work, bound float64
		wantCaption string
	}{
		{name: "the slots are the limit", jobs: 2, recipes: []RecipeResult{tested("a", 60, 10), tested("b", 50, 20), tested("c", 40, 30)},
			work: 210, bound: 105, wantCaption: "3m30s of work, so at least 1m45s on 2 slots (ratio 1.14)"},
		{name: "the critical path is the limit", jobs: 2, recipes: []RecipeResult{tested("a", 90, 5), tested("b", 10, 5)},
			work: 110, bound: 95, wantCaption: "1m50s of work, so at least 1m35s on 2 slots (ratio 1.26)"},
		{name: "not run, cached or skipped counts nothing", jobs: 1, recipes: []RecipeResult{tested("a", 3, 2), {Name: "q", Duration: 7},
			{Name: "s", Start: t0, Duration: 1, Test: &TestResult{Status: TestSkipped, Duration: 4}}},
			work: 6, bound: 6, wantCaption: "6.0s of work, so at least 6.0s on 1 slots (ratio 20.00)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSchedule(tc.jobs, 120*time.Second, tc.recipes)
			assert.Check(t, is.Equal(s.WorkSeconds, tc.work))
			assert.Check(t, is.Equal(s.LowerBoundSeconds, tc.bound))
			assert.Check(t, is.Contains(scheduleCaption(s), tc.wantCaption))
		})
	}
}

// The summary and the timeline say the wall time against the critical path.
func TestScheduleInSummary(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	rep := &Report{Recipes: []RecipeResult{{Name: "a", Status: StatusBuilt, Start: t0, Duration: 60,
		Test: &TestResult{Status: TestPassed, Start: t0.Add(time.Minute), Duration: 30, After: []string{"a"}}}}}
	rep.Schedule = NewSchedule(2, 99*time.Second, rep.Recipes)
	var b strings.Builder
	WriteSummary(&b, rep)
	assert.Check(t, is.Contains(b.String(), "builds and tests: wall time 1m39s against a critical path of 1m30s (build a → test a) on 2 slots; ratio 1.10"))
	assert.Check(t, is.Contains(b.String(), "; 1m30s of work, so at least 1m30s on 2 slots (ratio 1.10)\n"))
	tl := newTimeline(rep)
	assert.Check(t, is.Contains(tl.Caption, "against a critical path of 1m30s"))
	critical := 0
	for _, bar := range tl.Bars {
		if bar.Critical {
			critical++
		}
	}
	assert.Check(t, is.Equal(critical, 2))
}
