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
