package driver

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// liveView shows progress. On a terminal: one line per running recipe with its elapsed time and
// latest log line, plus queued/done counts, redrawn in place. Otherwise: one structured log event
// per recipe start and end.
type liveView struct {
	run   *Run
	total int

	mu      sync.Mutex
	running map[string]*liveEntry
	done    int
	drawn   int
	redraw  *redrawer // nil when not on a terminal
}

type liveEntry struct {
	start time.Time
	tail  *linetail.Tail
}

const liveRefresh = 500 * time.Millisecond

func newLiveView(r *Run, total int) *liveView {
	v := &liveView{run: r, total: total, running: map[string]*liveEntry{}}
	if r.Config.Interactive && r.Config.Out != nil {
		v.redraw = startRedraw(liveRefresh, v.draw)
	}
	return v
}

func (v *liveView) Started(name string, tail *linetail.Tail) {
	v.mu.Lock()
	v.running[name] = &liveEntry{start: time.Now(), tail: tail}
	v.mu.Unlock()
	if !v.run.Config.Interactive {
		v.run.Config.Log.Info().Str("recipe", name).Msg("build started")
	}
}

func (v *liveView) Done(res *report.RecipeResult) {
	v.mu.Lock()
	delete(v.running, res.Name)
	v.done++
	v.mu.Unlock()
	if !v.run.Config.Interactive {
		ev := v.run.Config.Log.Info()
		if !res.Status.OK() { // a cached recipe is as good as a built one: info
			ev = v.run.Config.Log.Warn()
		}
		ev.Str("recipe", res.Name).Str("status", string(res.Status)).Float64("duration_seconds", res.Duration).
			Str("log", res.Log).Msg("build ended")
	}
}

func (v *liveView) Stop() { v.redraw.Stop() }

// draw rewrites the block drawn last time; the final draw clears it so the summary follows.
func (v *liveView) draw(final bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	w := v.run.Config.Out
	if v.drawn > 0 {
		fmt.Fprintf(w, "\x1b[%dA\x1b[J", v.drawn)
	}
	v.drawn = 0
	if final {
		return
	}
	names := make([]string, 0, len(v.running))
	for n := range v.running {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := v.running[n]
		line := fmt.Sprintf("  %-24s %6s  %s", recipe.DisplayName(n), time.Since(e.start).Round(time.Second), e.tail.Last())
		fmt.Fprintln(w, truncate(line, 120))
		v.drawn++
	}
	queued := v.total - v.done - len(v.running)
	fmt.Fprintf(w, "  %d running, %d queued, %d done\n", len(v.running), queued, v.done)
	v.drawn++
}

func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

var _ io.Writer = (*linetail.Tail)(nil)
