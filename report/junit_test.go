package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	rep := &Report{Recipes: []RecipeResult{
		{Name: "ok", Status: StatusBuilt, Duration: 2, Test: &TestResult{Status: TestPassed, Duration: 3}},
		{Name: "cached", Status: StatusCached, Test: &TestResult{Status: TestCached}},
		{Name: "broken", Status: StatusFailed, Duration: 1, Error: "recipe broken: build.sh exited with status 3\nmore",
			Log: "log/broken.log", LogTail: []string{"bad \x1b[31mred"}, Test: &TestResult{Status: TestSkipped, Reason: "the build failed"}},
		{Name: "nodemo", Status: StatusBuilt, Test: &TestResult{Status: TestUntested, Reason: "the recipe has no demo"}},
		{Name: "hung", Status: StatusBuilt, Test: &TestResult{Status: TestTimedOut, Error: "timed out after 5m0s"}},
		{Name: "tested-only", Status: StatusNotBuilt, Test: &TestResult{Status: TestFailed, Error: "output differs"}},
		{Name: "late", Status: StatusCancelled},
	}}
	path := filepath.Join(t.TempDir(), "junit.xml")
	assert.NilError(t, WriteJUnit(path, rep))
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	var got junitSuites
	assert.NilError(t, xml.Unmarshal(data, &got), "well-formed XML, control characters included")

	build, test := got.Suites[0], got.Suites[1]
	assert.Check(t, is.Equal(build.Tests, 6), "a recipe only tested has no build case")
	assert.Check(t, is.Equal(build.Failures, 1))
	assert.Check(t, is.Equal(build.Skipped, 1))
	assert.Check(t, is.Equal(build.Time, 3.0))
	assert.Check(t, is.Equal(test.Tests, 6))
	assert.Check(t, is.Equal(test.Failures, 2))
	assert.Check(t, is.Equal(test.Skipped, 2))

	failure := build.Cases[2].Failure
	assert.Assert(t, failure != nil)
	assert.Check(t, is.Equal(failure.Message, "failed: recipe broken: build.sh exited with status 3"))
	assert.Check(t, is.Contains(failure.Text, "last lines of log/broken.log"))
	assert.Check(t, is.Equal(test.Cases[3].Skipped.Message, "untested: the recipe has no demo"))
}
