package driver

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
)

// evilName is a recipe directory name the name rule refuses: it would retitle the terminal,
// clear it and break the line if printed raw.
const evilName = "evil\x1b]0;pwned\x07\x1b[2J\nname"

// TestLiveViewEscapesNames: the in-place view of running recipes shows a refused name escaped.
func TestLiveViewEscapesNames(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := &Run{Config: &Config{Interactive: true, Out: &out, Log: zerolog.Nop()}}
	v := &liveView{run: r, total: 2, running: map[string]*liveEntry{}}
	v.Started(evilName, linetail.New(1))
	v.Started("good", linetail.New(1))
	v.draw(false)
	got := out.String()
	assert.Check(t, is.Contains(got, strconv.Quote(evilName)))
	assert.Check(t, !strings.ContainsAny(got, "\x1b\x07"), "%q", got) // the first draw moves no cursor
	assert.Check(t, is.Equal(strings.Count(got, "\n"), 3), "one line per recipe and the counts: %q", got)
}

// TestResultsListEscapesNames: what the summary and every report are made from carries a refused
// name escaped, while the run keeps looking it up by its real name.
func TestResultsListEscapesNames(t *testing.T) {
	t.Parallel()
	res := newResults([]string{evilName, "good"})
	res.set(&RecipeResult{Name: evilName, Status: StatusFailed})
	got, ok := res.get(evilName)
	assert.Assert(t, ok)
	assert.Check(t, is.Equal(got.Status, StatusFailed))
	list := res.list()
	assert.Check(t, is.Equal(list[0].Name, strconv.Quote(evilName)))
	assert.Check(t, is.Equal(list[1].Name, "good"))

	var out bytes.Buffer
	printSummary(&out, &Report{Recipes: list})
	assert.Check(t, !strings.ContainsAny(out.String(), "\x1b\x07"), "%q", out.String())
	assert.Check(t, is.Contains(out.String(), strconv.Quote(evilName)))
}
