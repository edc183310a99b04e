package report

import "fmt"

// The order in which statuses are counted and listed, everywhere: the terminal summary,
// report.html and junit.xml.
var (
	buildOrder = []Status{StatusBuilt, StatusCached, StatusFailed, StatusTimedOut, StatusCancelled,
		StatusNotStarted, StatusQueued, StatusNotBuilt}
	testOrder = []TestStatus{TestPassed, TestCached, TestFailed, TestTimedOut, TestCancelled,
		TestSkipped, TestUntested}
)

// Counts are a report's recipes counted by build and test status: the one count the terminal
// summary, report.html, junit.xml and the exit status are made from.
type Counts struct {
	Recipes int
	Builds  map[Status]int
	Tests   map[TestStatus]int
	// CacheHits are recipes whose package came from the cache, CacheMisses those built because
	// their inputs changed.
	CacheHits, CacheMisses int
}

// Counts counts rep's recipes.
func (rep *Report) Counts() Counts {
	c := Counts{Recipes: len(rep.Recipes), Builds: map[Status]int{}, Tests: map[TestStatus]int{}}
	for _, res := range rep.Recipes {
		c.Builds[res.Status]++
		if res.Test != nil {
			c.Tests[res.Test.Status]++
		}
		switch {
		case res.Cached:
			c.CacheHits++
		case res.CacheKey != "":
			c.CacheMisses++
		}
	}
	return c
}

// Failed reports whether a build ended badly or never ran (queued, not started), or a test ended
// badly: the run then exits with status 1.
func (c Counts) Failed() bool {
	for s, n := range c.Builds {
		if n > 0 && (s.Broken() || s == StatusQueued || s == StatusNotStarted) {
			return true
		}
	}
	for s, n := range c.Tests {
		if n > 0 && s.Broken() {
			return true
		}
	}
	return false
}

// Phrases says the counts in words, in one fixed order: "4 built", "1 failed", "2 tests
// passed", "cache: 1 hits, 3 misses". Statuses no recipe has are left out.
func (c Counts) Phrases() []string {
	var out []string
	for _, s := range buildOrder {
		if c.Builds[s] > 0 {
			out = append(out, fmt.Sprintf("%d %s", c.Builds[s], s))
		}
	}
	for _, s := range testOrder {
		if c.Tests[s] > 0 {
			out = append(out, fmt.Sprintf("%d tests %s", c.Tests[s], s))
		}
	}
	if c.CacheHits+c.CacheMisses > 0 {
		out = append(out, fmt.Sprintf("cache: %d hits, %d misses", c.CacheHits, c.CacheMisses))
	}
	return out
}

// Verdict is what a status is for a test report such as junit.xml: passed, skipped or failed.
type Verdict int

// The verdicts.
const (
	Passed Verdict = iota
	Skipped
	Failure
)

// Verdict of a build: a package is a pass; a build that never ran or was stopped is skipped;
// anything else (failed, timed out, a status this version does not know) is a failure.
func (s Status) Verdict() Verdict {
	switch s {
	case StatusBuilt, StatusCached:
		return Passed
	case StatusQueued, StatusCancelled, StatusNotStarted, StatusNotBuilt:
		return Skipped
	}
	return Failure
}

// Verdict of a test: passed now or before with the same inputs is a pass; a test that could not
// or did not run is skipped; anything else is a failure.
func (s TestStatus) Verdict() Verdict {
	switch s {
	case TestPassed, TestCached:
		return Passed
	case TestUntested, TestSkipped, TestCancelled:
		return Skipped
	}
	return Failure
}

// Suite is the numbers of one junit.xml suite.
type Suite struct{ Tests, Failures, Skipped int }

// BuildSuite is the build stage as a suite: one case per recipe built (or meant to be) in this
// run; recipes only tested in it (not built) have none.
func (c Counts) BuildSuite() Suite {
	var s Suite
	for st, n := range c.Builds {
		if st != StatusNotBuilt {
			s.add(st.Verdict(), n)
		}
	}
	return s
}

// TestSuite is the test stage as a suite: one case per recipe with a test result.
func (c Counts) TestSuite() Suite {
	var s Suite
	for st, n := range c.Tests {
		s.add(st.Verdict(), n)
	}
	return s
}

func (s *Suite) add(v Verdict, n int) {
	s.Tests += n
	switch v {
	case Failure:
		s.Failures += n
	case Skipped:
		s.Skipped += n
	}
}

// Recipe returns the result of the recipe named name, and whether the report has one.
func (rep *Report) Recipe(name string) (RecipeResult, bool) {
	for _, r := range rep.Recipes {
		if r.Name == name {
			return r, true
		}
	}
	return RecipeResult{}, false
}
