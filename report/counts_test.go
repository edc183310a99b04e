package report

import (
	"bytes"
	"encoding/xml"
	"html"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// everyStatus is a report with every build status and every test status, in an order that is
// none of the count orders.
func everyStatus() *Report {
	rep := &Report{RunID: "r", Status: RunFailed, Duration: 61}
	builds := []Status{StatusNotBuilt, StatusQueued, StatusFailed, StatusCached, StatusNotStarted,
		StatusBuilt, StatusCancelled, StatusTimedOut, StatusBuilt}
	tests := []TestStatus{TestFailed, "", TestSkipped, TestCached, "", TestUntested, TestCancelled, TestTimedOut, TestPassed}
	for i, b := range builds {
		res := RecipeResult{Name: "r" + string(rune('a'+i)), Status: b, Log: "log/x.log"}
		if tests[i] != "" {
			res.Test = &TestResult{Status: tests[i], Reason: "why"}
		}
		switch b {
		case StatusCached:
			res.Cached, res.CacheKey = true, "k"
		case StatusBuilt:
			res.CacheKey = "k"
		}
		rep.Recipes = append(rep.Recipes, res)
	}
	return rep
}

func TestCounts(t *testing.T) {
	t.Parallel()
	c := everyStatus().Counts()
	assert.Equal(t, c.Recipes, 9)
	assert.DeepEqual(t, c.Builds, map[Status]int{StatusNotBuilt: 1, StatusQueued: 1, StatusFailed: 1, StatusCached: 1,
		StatusNotStarted: 1, StatusBuilt: 2, StatusCancelled: 1, StatusTimedOut: 1})
	assert.Equal(t, c.Tests[TestPassed]+c.Tests[TestFailed]+c.Tests[TestCached], 3)
	assert.Equal(t, c.CacheHits, 1)
	assert.Equal(t, c.CacheMisses, 2)
	assert.DeepEqual(t, c.Phrases(), []string{
		"2 built", "1 cached", "1 failed", "1 timed out", "1 cancelled", "1 not started", "1 queued", "1 not built",
		"1 tests passed", "1 tests cached", "1 tests failed", "1 tests timed out", "1 tests cancelled", "1 tests skipped", "1 tests untested",
		"cache: 1 hits, 2 misses",
	})
	assert.DeepEqual(t, c.BuildSuite(), Suite{Tests: 8, Failures: 2, Skipped: 3})
	assert.DeepEqual(t, c.TestSuite(), Suite{Tests: 7, Failures: 2, Skipped: 3})
}

func TestCountsFailed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		build Status
		test  TestStatus
		want  bool
	}{
		{build: StatusBuilt, want: false},
		{build: StatusCached, test: TestCached, want: false},
		{build: StatusBuilt, test: TestUntested, want: false},
		{build: StatusNotBuilt, test: TestPassed, want: false},
		{build: StatusNotBuilt, test: TestFailed, want: true},
		{build: StatusBuilt, test: TestTimedOut, want: true},
		{build: StatusBuilt, test: TestCancelled, want: true},
		{build: StatusFailed, test: TestSkipped, want: true},
		{build: StatusTimedOut, want: true},
		{build: StatusCancelled, want: true},
		{build: StatusQueued, want: true},
		{build: StatusNotStarted, want: true},
	} {
		res := RecipeResult{Name: "a", Status: tc.build}
		if tc.test != "" {
			res.Test = &TestResult{Status: tc.test}
		}
		rep := &Report{Recipes: []RecipeResult{{Name: "ok", Status: StatusBuilt}, res}}
		assert.Check(t, is.Equal(rep.Failed(), tc.want), "build %s, test %q", tc.build, tc.test)
	}
	assert.Check(t, !(&Report{}).Failed(), "an empty run did not fail")
}

// TestRenderersAgree renders one report as the terminal summary, report.html and junit.xml: the
// three say the same counts, and they are the counts that decide the exit status.
func TestRenderersAgree(t *testing.T) {
	t.Parallel()
	rep := everyStatus()
	want := rep.Counts().Phrases()

	var summary bytes.Buffer
	WriteSummary(&summary, rep)
	lines := strings.Split(strings.TrimSpace(summary.String()), "\n")
	assert.Equal(t, lines[len(lines)-1], strings.Join(want, ", ")+" in 1m1s", "the summary's counts")

	var page bytes.Buffer
	assert.NilError(t, renderPage(&page, rep, nil))
	m := regexp.MustCompile(`<p class="counts">(.*?)</p>`).FindStringSubmatch(page.String())
	assert.Assert(t, m != nil, "no counts in report.html")
	assert.DeepEqual(t, strings.Split(html.UnescapeString(m[1]), " · "), append([]string{"9 recipes"}, want...))

	data, err := renderJUnit(rep)
	assert.NilError(t, err)
	var suites junitSuites
	assert.NilError(t, xml.Unmarshal(data, &suites))
	c := rep.Counts()
	for i, s := range []Suite{c.BuildSuite(), c.TestSuite()} {
		got := suites.Suites[i]
		assert.Check(t, is.DeepEqual(Suite{got.Tests, got.Failures, got.Skipped}, s), got.Name)
		// The suite's numbers are its cases'.
		var cases Suite
		for _, tc := range got.Cases {
			v := Passed
			switch {
			case tc.Failure != nil:
				v = Failure
			case tc.Skipped != nil:
				v = Skipped
			}
			cases.add(v, 1)
		}
		assert.Check(t, is.DeepEqual(cases, s), "%s: cases", got.Name)
	}
	// The exit status follows the same counts: failures in junit.xml mean a failed run.
	assert.Check(t, rep.Failed())
	assert.Check(t, c.BuildSuite().Failures+c.TestSuite().Failures > 0)
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
