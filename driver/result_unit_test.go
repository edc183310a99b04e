package driver

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/report"
)

// TestResultsListEscapesNames: what the summary and every report are made from carries a refused
// name escaped, while the run keeps looking it up by its real name.
func TestResultsListEscapesNames(t *testing.T) {
	t.Parallel()
	res := newResults([]string{evilName, "good"})
	res.set(&report.RecipeResult{Name: evilName, Status: report.StatusFailed})
	got, ok := res.get(evilName)
	assert.Assert(t, ok)
	assert.Check(t, is.Equal(got.Status, report.StatusFailed))
	list := res.list()
	assert.Check(t, is.Equal(list[0].Name, strconv.Quote(evilName)))
	assert.Check(t, is.Equal(list[1].Name, "good"))

	var out bytes.Buffer
	report.WriteSummary(&out, &report.Report{Recipes: list})
	assert.Check(t, !strings.ContainsAny(out.String(), "\x1b\x07"), "%q", out.String())
	assert.Check(t, is.Contains(out.String(), strconv.Quote(evilName)))
}
