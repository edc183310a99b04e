package report

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// timelineSpan is the time one container of a recipe ran: its build or its test.
type timelineSpan struct {
	Recipe, Kind string // Kind: build or test
	Status, CSS  string
	Start        time.Time
	Dur          time.Duration
}

// slotSlack is how much two spans on one slot may overlap: report.json rounds durations to the
// millisecond, so a container that started when another ended can seem to start just before.
const slotSlack = 5 * time.Millisecond

// packSlots puts each span on the lowest-numbered slot that is free when it starts, taking the
// spans by start time. This greedy interval partitioning uses as many slots as spans ever ran at
// once, which is what --jobs allowed. It returns each span's slot and the number of slots.
func packSlots(spans []timelineSpan) ([]int, int) {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return spans[order[a]].Start.Before(spans[order[b]].Start) })
	slots := make([]int, len(spans))
	var free []time.Time // per slot: when its last span ends
	for _, i := range order {
		s := spans[i]
		slot := len(free)
		for j, end := range free {
			if !s.Start.Add(slotSlack).Before(end) {
				slot = j
				break
			}
		}
		if slot == len(free) {
			free = append(free, time.Time{})
		}
		free[slot] = s.Start.Add(s.Dur)
		slots[i] = slot
	}
	return slots, len(free)
}

// spansOf lists the builds and tests of a report that ran (have a start time).
func spansOf(rep *Report) []timelineSpan {
	var out []timelineSpan
	for _, res := range rep.Recipes {
		if !res.Start.IsZero() {
			out = append(out, timelineSpan{Recipe: res.Name, Kind: "build", Status: string(res.Status), CSS: buildCSS(res.Status),
				Start: res.Start, Dur: time.Duration(res.Duration * float64(time.Second))})
		}
		if t := res.Test; t != nil && !t.Start.IsZero() {
			out = append(out, timelineSpan{Recipe: res.Name, Kind: "test", Status: string(t.Status), CSS: testCSS(t.Status),
				Start: t.Start, Dur: time.Duration(t.Duration * float64(time.Second))})
		}
	}
	return out
}

// htmlTimeline is the inline SVG: one row per slot, one bar per span, time along the x axis.
type htmlTimeline struct {
	Width, Height int
	Rows          []svgRow
	Bars          []svgBar
	Ticks         []svgTick
	Caption       string
}

type svgRow struct {
	Y, TextY float64
	Label    string
}

type svgBar struct {
	X, Y, W, H   float64
	TextX, TextY float64
	CSS, Kind    string
	Title, Label string
}

type svgTick struct {
	X     float64
	Label string
}

// Timeline geometry, in SVG user units (the SVG scales to the page's width).
const (
	tlWidth  = 1200
	tlLeft   = 64 // slot labels
	tlRight  = 12
	tlTop    = 22 // tick labels
	tlRow    = 26
	tlBar    = 18
	tlCharPx = 7 // average width of a label character, to decide whether a name fits in its bar
)

func newTimeline(rep *Report) *htmlTimeline {
	spans := spansOf(rep)
	if len(spans) == 0 {
		return nil
	}
	slots, n := packSlots(spans)
	t0, t1 := spans[0].Start, spans[0].Start.Add(spans[0].Dur)
	for _, s := range spans {
		if s.Start.Before(t0) {
			t0 = s.Start
		}
		if end := s.Start.Add(s.Dur); end.After(t1) {
			t1 = end
		}
	}
	total := max(t1.Sub(t0), time.Second)
	scale := float64(tlWidth-tlLeft-tlRight) / total.Seconds()
	x := func(t time.Time) float64 { return tlLeft + t.Sub(t0).Seconds()*scale }
	tl := &htmlTimeline{Width: tlWidth, Height: tlTop + n*tlRow + 4}
	for i := range n {
		y := float64(tlTop + i*tlRow)
		tl.Rows = append(tl.Rows, svgRow{Y: y, TextY: y + tlRow/2 + 4, Label: fmt.Sprintf("slot %d", i+1)})
	}
	for i, s := range spans {
		b := svgBar{
			X: svgRound(x(s.Start)), Y: float64(tlTop + slots[i]*tlRow + (tlRow-tlBar)/2), H: tlBar,
			W: svgRound(max(s.Dur.Seconds()*scale, 1.5)), CSS: s.CSS, Kind: s.Kind,
			Title: fmt.Sprintf("%s: %s %s, %s from %s", s.Recipe, s.Kind, s.Status,
				htmlDuration(s.Dur.Seconds()), s.Start.UTC().Format("15:04:05")),
		}
		if b.W >= float64(tlCharPx*len(s.Recipe)+8) {
			b.Label, b.TextX, b.TextY = s.Recipe, b.X+4, b.Y+tlBar/2+4
		}
		tl.Bars = append(tl.Bars, b)
	}
	step := timelineStep(total)
	for d := time.Duration(0); d <= total; d += step {
		tl.Ticks = append(tl.Ticks, svgTick{X: svgRound(x(t0.Add(d))), Label: timelineLabel(d)})
	}
	tl.Caption = fmt.Sprintf("%d builds and tests on %d parallel slots over %s, from %s", len(spans), n,
		htmlDuration(t1.Sub(t0).Seconds()), t0.UTC().Format("15:04:05 UTC"))
	if !rep.Start.IsZero() && t0.After(rep.Start) {
		tl.Caption += fmt.Sprintf(" (%s after the run started)", htmlDuration(t0.Sub(rep.Start).Seconds()))
	}
	return tl
}

// timelineStep is the smallest round step that gives at most ten ticks.
func timelineStep(total time.Duration) time.Duration {
	for _, s := range []time.Duration{
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour,
	} {
		if total/s <= 10 {
			return s
		}
	}
	return 12 * time.Hour
}

// timelineLabel labels a tick: 0, 30s, 2m, 2m30s, 1h, 1h15m.
func timelineLabel(d time.Duration) string {
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	out := ""
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if s > 0 || out == "" {
		out += fmt.Sprintf("%ds", s)
	}
	if out == "0s" {
		return "0"
	}
	return out
}

func svgRound(f float64) float64 { return math.Round(f*10) / 10 }
