package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// report.html is report.json for people: one self-contained file (inline CSS, a few lines of
// optional JS, an inline SVG timeline; nothing is fetched, its Content-Security-Policy forbids
// it), readable without JS. html/template escapes everything taken from the report: recipe
// names, errors and log lines are untrusted.

//go:embed html.tmpl
var reportHTMLSource string

var reportHTMLTemplate = template.Must(template.New("report.html").Parse(reportHTMLSource))

// WriteHTML writes report.html for rep, atomically, comparing it with report.prev.json when there
// is one.
func WriteHTML(l resultdir.Layout, rep *Report) error {
	var prev *Report
	if data, err := os.ReadFile(l.PrevReport()); err == nil {
		var p Report
		if json.Unmarshal(data, &p) == nil {
			prev = &p
		}
	}
	var buf bytes.Buffer
	if err := renderPage(&buf, rep, prev); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.HTMLReport(), buf.Bytes(), 0o644)
}

// renderPage writes the page for rep; prev, when not nil, is the run before.
func renderPage(w io.Writer, rep, prev *Report) error {
	if err := reportHTMLTemplate.Execute(w, newHTMLView(rep, prev)); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return nil
}

// htmlView is what the template shows, all formatted here: the template only lays it out.
type htmlView struct {
	RunID, Version string
	Status         RunStatus
	StatusCSS      string
	Error          string
	Counts         []string
	Inputs         []htmlField
	Recipes        []htmlRecipe
	Timeline       *htmlTimeline
	Changes        *htmlChanges
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
	Evidence            []htmlLink
	Problems            []htmlProblem
	Failed, HasProblems bool
	// BuildNode and TestNode are the cluster nodes that ran them (Kubernetes runner).
	BuildNode, TestNode string
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
		{Label: "Acceleration", Value: htmlOrDash(rep.Accel)},
	}
	if rep.Runner != "" {
		f = append(f, htmlField{Label: "Runner", Value: rep.Runner})
	}
	if tc := rep.Toolchain; tc != nil {
		reused := "built in this run"
		switch {
		case tc.Reused:
			reused = "reused"
		case tc.KernelReused:
			reused = "built in this run: capstan added to the existing kernel image"
		}
		f = append(f,
			htmlField{Label: "OSv commit", Value: tc.Commit, Title: "committed " + htmlTime(tc.CommitTime)},
			htmlField{Label: "OSv version", Value: htmlOrDash(tc.Describe)},
			htmlField{Label: "Toolchain image", Value: htmlOrDash(strings.Join(tc.Tags, ", "))},
			htmlField{Label: "Image ID", Value: htmlOrDash(tc.ShortID()) + " (" + reused + ")", Title: tc.ID},
			htmlField{Label: "Platform", Value: htmlOrDash(tc.Platform)},
		)
	}
	if l := rep.Loader; l != nil {
		f = append(f, htmlField{Label: "OSv loader", Value: l.Path + ", " + htmlSize(l.Size), Title: "sha256 " + l.SHA256})
	}
	if b := rep.ZFSBuilder; b != nil {
		f = append(f, htmlField{Label: "ZFS builder", Value: b.Path + ", " + htmlSize(b.Size), Title: "sha256 " + b.SHA256})
	}
	for _, k := range slices.Sorted(maps.Keys(rep.Settings)) {
		f = append(f, htmlField{Label: k, Value: rep.Settings[k]})
	}
	return f
}

func newHTMLRecipe(res RecipeResult) htmlRecipe {
	h := htmlRecipe{
		Name: res.Name, Build: string(res.Status), BuildCSS: buildCSS(res.Status),
		Cache: "-", BuildTook: "-", Test: "-", TestCSS: "none", TestTook: "-", Size: "-",
		BuildSeconds: res.Duration, Failed: res.Broken(), BuildNode: res.Node,
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
	h.Evidence = evidenceLinks(res.Evidence)
	if res.Error != "" {
		h.Problems = append(h.Problems, htmlProblem{Title: "build " + string(res.Status), Error: res.Error, Tail: res.LogTail})
	}
	if t := res.Test; t != nil {
		h.Test, h.TestCSS, h.TestSeconds, h.TestNode = string(t.Status), testCSS(t.Status), t.Duration, t.Node
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

// htmlLink is a link to a file of the result directory.
type htmlLink struct{ Label, URL string }

// evidenceLinks links a package's SBOM, provenance and signature, relative to report.html.
func evidenceLinks(e *Evidence) []htmlLink {
	if e == nil {
		return nil
	}
	var out []htmlLink
	for _, l := range []htmlLink{{"SBOM", e.SBOM}, {"provenance", e.Attestation}, {"signature", e.Signature}} {
		if l.URL != "" {
			out = append(out, htmlLink{Label: l.Label, URL: resultURL(l.URL)})
		}
	}
	return out
}

// resultURL escapes each segment of a path relative to the result directory.
func resultURL(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// logURL is a recipe's log relative to the result directory, where report.html is. The name is
// escaped as one path segment: it cannot lead elsewhere.
func logURL(name, suffix string) string {
	return "log/" + url.PathEscape(name+suffix)
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
	c := rep.Counts()
	return append([]string{fmt.Sprintf("%d recipes", c.Recipes)}, c.Phrases()...)
}

// CSS classes of statuses: ok, cached, fail, timeout, cancel, none.
func runCSS(status RunStatus) string {
	switch status {
	case RunOK:
		return "ok"
	case RunCancelled:
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
