package driver

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// report.html is report.json for people: one self-contained file (inline CSS, a few lines of
// optional JS, an inline SVG timeline; nothing is fetched, its Content-Security-Policy forbids
// it), readable without JS. html/template escapes everything taken from the report: recipe
// names, errors and log lines are untrusted.

//go:embed report_html.tmpl
var reportHTMLSource string

var reportHTMLTemplate = template.Must(template.New("report.html").Parse(reportHTMLSource))

// HTMLReport is report.html, beside report.json.
func (l Layout) HTMLReport() string { return filepath.Join(l.Root, "report.html") }

// PrevReport is the previous run's report.json, kept when a run writes its own.
func (l Layout) PrevReport() string { return filepath.Join(l.Root, "report.prev.json") }

// keepPreviousReport copies report.json to report.prev.json before a run replaces it. Each file
// is replaced atomically, so a reader always finds complete reports.
func keepPreviousReport(l Layout) error {
	data, err := os.ReadFile(l.Report())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return writeFileAtomic(l.PrevReport(), data, 0o644)
}

// writeHTMLReport writes report.html for rep, comparing it with report.prev.json when there is
// one.
func writeHTMLReport(l Layout, rep *Report) error {
	var prev *Report
	if data, err := os.ReadFile(l.PrevReport()); err == nil {
		var p Report
		if json.Unmarshal(data, &p) == nil {
			prev = &p
		}
	}
	var buf bytes.Buffer
	if err := renderHTMLReport(&buf, rep, prev); err != nil {
		return err
	}
	return writeFileAtomic(l.HTMLReport(), buf.Bytes(), 0o644)
}

// renderHTMLReport writes the page for rep; prev, when not nil, is the run before.
func renderHTMLReport(w io.Writer, rep, prev *Report) error {
	if err := reportHTMLTemplate.Execute(w, newHTMLView(rep, prev)); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return nil
}

// htmlView is what the template shows, all formatted here: the template only lays it out.
type htmlView struct {
	RunID, Version    string
	Status, StatusCSS string
	Error             string
	Counts            []string
	Inputs            []htmlField
	Recipes           []htmlRecipe
	Timeline          *htmlTimeline
	Changes           *htmlChanges
}

type htmlField struct{ Label, Value, Title string }

// htmlRecipe is one row of the recipe table.
type htmlRecipe struct {
	Name                string
	Build, BuildCSS     string
	Cache               string
	BuildTook           string
	BuildSeconds        float64
	Test, TestCSS       string
	TestTook            string
	TestSeconds         float64
	Size, SizeTitle     string
	SizeBytes           int64
	Log, TestLog        string // relative URLs
	Problems            []htmlProblem
	Failed, HasProblems bool
}

// htmlProblem is an error with the last lines of its log, shown under the recipe's row.
type htmlProblem struct {
	Title, Error string
	Tail         []string
}

func newHTMLView(rep, prev *Report) *htmlView {
	v := &htmlView{
		RunID: rep.RunID, Version: rep.Version, Status: rep.Status, StatusCSS: runCSS(rep.Status),
		Error: rep.Error, Counts: htmlCounts(rep),
	}
	v.Inputs = htmlInputs(rep)
	for _, res := range rep.Recipes {
		v.Recipes = append(v.Recipes, newHTMLRecipe(res))
	}
	v.Timeline = newTimeline(rep)
	if prev != nil {
		v.Changes = compareReports(prev, rep)
	}
	return v
}

func htmlInputs(rep *Report) []htmlField {
	f := []htmlField{
		{Label: "Run", Value: rep.RunID},
		{Label: "pkgdriver", Value: rep.Version},
		{Label: "Started", Value: htmlTime(rep.Start)},
		{Label: "Duration", Value: htmlDuration(rep.Duration)},
		{Label: "Acceleration", Value: htmlOrDash(string(rep.Accel))},
	}
	if tc := rep.Toolchain; tc != nil {
		reused := "built in this run"
		if tc.Reused {
			reused = "reused"
		}
		f = append(f,
			htmlField{Label: "OSv commit", Value: tc.Commit, Title: "committed " + htmlTime(tc.CommitTime)},
			htmlField{Label: "OSv version", Value: htmlOrDash(tc.Describe)},
			htmlField{Label: "Toolchain image", Value: htmlOrDash(strings.Join(tc.Tags, ", "))},
			htmlField{Label: "Image ID", Value: htmlOrDash(shortID(tc.ID)) + " (" + reused + ")", Title: tc.ID},
			htmlField{Label: "Platform", Value: htmlOrDash(tc.Platform)},
		)
	}
	if l := rep.Loader; l != nil {
		f = append(f, htmlField{Label: "OSv loader", Value: l.Path + ", " + htmlSize(l.Size), Title: "sha256 " + l.SHA256})
	}
	for _, k := range sortedKeys(rep.Settings) {
		f = append(f, htmlField{Label: k, Value: rep.Settings[k]})
	}
	return f
}

func newHTMLRecipe(res RecipeResult) htmlRecipe {
	h := htmlRecipe{
		Name: res.Name, Build: string(res.Status), BuildCSS: buildCSS(res.Status),
		Cache: "-", BuildTook: "-", Test: "-", TestCSS: "none", TestTook: "-", Size: "-",
		BuildSeconds: res.Duration, Failed: recipeBroken(res),
	}
	switch {
	case res.Cached:
		h.Cache = "hit"
	case res.CacheKey != "":
		h.Cache = "miss"
	}
	if !res.Start.IsZero() || res.Duration > 0 {
		h.BuildTook = htmlDuration(res.Duration)
	}
	if res.Log != "" {
		h.Log = logURL(res.Name, ".log")
	}
	if p := res.Package; p != nil {
		h.Size, h.SizeTitle, h.SizeBytes = htmlSize(p.Size), fmt.Sprintf("%d bytes, sha256 %s", p.Size, p.SHA256), p.Size
	}
	if res.Error != "" {
		h.Problems = append(h.Problems, htmlProblem{Title: "build " + string(res.Status), Error: res.Error, Tail: res.LogTail})
	}
	if t := res.Test; t != nil {
		h.Test, h.TestCSS, h.TestSeconds = string(t.Status), testCSS(t.Status), t.Duration
		if t.Duration > 0 {
			h.TestTook = htmlDuration(t.Duration)
		}
		if t.Log != "" {
			h.TestLog = logURL(res.Name, ".test.log")
		}
		if t.Error != "" {
			h.Problems = append(h.Problems, htmlProblem{Title: "test " + string(t.Status), Error: t.Error, Tail: t.LogTail})
		}
	}
	h.HasProblems = len(h.Problems) > 0
	return h
}

// logURL is a recipe's log relative to the result directory, where report.html is. The name is
// escaped as one path segment: it cannot lead elsewhere.
func logURL(name, suffix string) string {
	return "log/" + url.PathEscape(name+suffix)
}

// recipeBroken is a recipe whose build or test failed, timed out or was cancelled in this run.
func recipeBroken(res RecipeResult) bool {
	switch res.Status {
	case StatusFailed, StatusTimedOut, StatusCancelled:
		return true
	}
	if t := res.Test; t != nil {
		switch t.Status {
		case TestFailed, TestTimedOut, TestCancelled:
			return true
		}
	}
	return false
}

// htmlOutcome says in a few words how a recipe ended.
func htmlOutcome(res RecipeResult) string {
	s := "build " + string(res.Status)
	if res.Status == StatusNotBuilt {
		s = "not built"
	}
	if t := res.Test; t != nil {
		s += ", test " + string(t.Status)
	}
	return s
}

func htmlCounts(rep *Report) []string {
	builds := map[Status]int{}
	tests := map[TestStatus]int{}
	hits, misses := 0, 0
	for _, res := range rep.Recipes {
		builds[res.Status]++
		if res.Test != nil {
			tests[res.Test.Status]++
		}
		switch {
		case res.Cached:
			hits++
		case res.CacheKey != "":
			misses++
		}
	}
	out := []string{fmt.Sprintf("%d recipes", len(rep.Recipes))}
	for _, s := range []Status{StatusBuilt, StatusCached, StatusFailed, StatusTimedOut, StatusCancelled, StatusQueued, StatusNotBuilt} {
		if builds[s] > 0 {
			out = append(out, fmt.Sprintf("%d %s", builds[s], s))
		}
	}
	for _, s := range []TestStatus{TestPassed, TestCached, TestFailed, TestTimedOut, TestCancelled, TestSkipped, TestUntested} {
		if tests[s] > 0 {
			out = append(out, fmt.Sprintf("%d tests %s", tests[s], s))
		}
	}
	if hits+misses > 0 {
		out = append(out, fmt.Sprintf("cache: %d hits, %d misses", hits, misses))
	}
	return out
}

// CSS classes of statuses: ok, cached, fail, timeout, cancel, none.
func runCSS(status string) string {
	switch status {
	case "ok":
		return "ok"
	case "cancelled":
		return "cancel"
	}
	return "fail"
}

func buildCSS(s Status) string {
	switch s {
	case StatusBuilt:
		return "ok"
	case StatusCached:
		return "cached"
	case StatusFailed:
		return "fail"
	case StatusTimedOut:
		return "timeout"
	case StatusCancelled:
		return "cancel"
	}
	return "none"
}

func testCSS(s TestStatus) string {
	switch s {
	case TestPassed:
		return "ok"
	case TestCached:
		return "cached"
	case TestFailed:
		return "fail"
	case TestTimedOut:
		return "timeout"
	case TestCancelled:
		return "cancel"
	}
	return "none"
}

// htmlDuration is a duration for people: 0.4s, 12.3s, 4m05s, 1h02m.
func htmlDuration(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// htmlSize is a size in binary units.
func htmlSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i])
}

func htmlTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func htmlOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sizeChanged is a package size change worth showing: over 1%, or any change of a small package
// (where 1% is a few bytes and any change means something).
func sizeChanged(old, cur int64) bool {
	const small = 64 << 10
	if old == cur {
		return false
	}
	if old < small || cur < small {
		return true
	}
	return math.Abs(float64(cur-old)) > float64(old)/100
}

// htmlChanges is "since the last run".
type htmlChanges struct {
	PrevRunID, PrevStart, PrevStatus string
	NewFailures, Fixed               []htmlChange
	Sizes                            []htmlSizeChange
	Added, Removed                   []string
	Nothing                          bool
}

type htmlChange struct{ Name, Was, Now string }

type htmlSizeChange struct {
	Name, Old, New, Delta, CSS string
}

// compareReports lists what changed between the previous run and this one. A recipe in only one
// of them is added or removed; a failing added recipe is also a new failure.
func compareReports(prev, cur *Report) *htmlChanges {
	c := &htmlChanges{PrevRunID: prev.RunID, PrevStart: htmlTime(prev.Start), PrevStatus: prev.Status}
	before := map[string]RecipeResult{}
	for _, res := range prev.Recipes {
		before[res.Name] = res
	}
	seen := map[string]bool{}
	for _, res := range cur.Recipes {
		seen[res.Name] = true
		old, ok := before[res.Name]
		if !ok {
			c.Added = append(c.Added, res.Name)
		}
		switch {
		case recipeBroken(res) && (!ok || !recipeBroken(old)):
			was := "not in that run"
			if ok {
				was = htmlOutcome(old)
			}
			c.NewFailures = append(c.NewFailures, htmlChange{Name: res.Name, Was: was, Now: htmlOutcome(res)})
		case ok && recipeBroken(old) && res.Status.OK() && !recipeBroken(res):
			c.Fixed = append(c.Fixed, htmlChange{Name: res.Name, Was: htmlOutcome(old), Now: htmlOutcome(res)})
		}
		if ok && old.Package != nil && res.Package != nil && sizeChanged(old.Package.Size, res.Package.Size) {
			d := res.Package.Size - old.Package.Size
			sc := htmlSizeChange{Name: res.Name, Old: htmlSize(old.Package.Size), New: htmlSize(res.Package.Size), CSS: "grow"}
			sign := "+"
			if d < 0 {
				sign, sc.CSS = "-", "shrink"
			}
			sc.Delta = sign + htmlSize(absInt64(d))
			if old.Package.Size > 0 {
				sc.Delta += fmt.Sprintf(" (%+.1f%%)", 100*float64(d)/float64(old.Package.Size))
			}
			c.Sizes = append(c.Sizes, sc)
		}
	}
	for _, res := range prev.Recipes {
		if !seen[res.Name] {
			c.Removed = append(c.Removed, res.Name)
		}
	}
	sort.Strings(c.Removed)
	c.Nothing = len(c.NewFailures)+len(c.Fixed)+len(c.Sizes)+len(c.Added)+len(c.Removed) == 0
	return c
}

func absInt64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

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
