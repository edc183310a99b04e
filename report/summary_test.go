package report

import (
	"bytes"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
)

func TestWriteSummaryNothingToSay(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	WriteSummary(&out, &Report{})
	assert.Equal(t, out.String(), "")
	WriteSummary(nil, &Report{Recipes: []RecipeResult{{Name: "a", Status: StatusBuilt}}}) // no writer: no panic
}

// TestWriteSummaryGolden prints a report with every status; refresh with go test -update.
func TestWriteSummaryGolden(t *testing.T) {
	t.Parallel()
	rep := everyStatus()
	rep.Recipes[2].Error = "build.sh exited with status 3\n\x1b]0;title\x07"
	rep.Recipes[2].LogTail = []string{"make: *** [all] Error 1"}
	rep.Recipes[0].Test.Error = "output differs"
	var out bytes.Buffer
	WriteSummary(&out, rep)
	golden.Assert(t, out.String(), "summary.golden")
}
