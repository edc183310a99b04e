package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// hostileName is a recipe name that would run script if it reached the page unescaped.
const hostileName = "<script>alert(1)</script>"

// htmlSampleStart is when the sample run started.
var htmlSampleStart = time.Date(2024, 5, 6, 2, 0, 0, 0, time.UTC)

// htmlSample is a hand-made night: every build and test outcome, three parallel slots, and the
// night before to compare with.
func htmlSample() (cur, prev *Report) {
	at := func(d time.Duration) time.Time { return htmlSampleStart.Add(d) }
	pkg := func(name string, size int64) *Artifact {
		return &Artifact{Path: "packages/" + name + ".mpm", SHA256: strings.Repeat("ab", 32), Size: size}
	}
	exit := 2
	cur = &Report{
		RunID: "20240506T020000-4242", Version: "v1.2.3", Start: htmlSampleStart, Duration: 17*60 + 3,
		Status: "failed", Accel: "kvm",
		Toolchain: &Toolchain{
			ID: "sha256:0123456789abcdef0123456789abcdef", Tags: []string{"pkgdriver/toolchain:2024-05-06_abcdef1", "pkgdriver/toolchain:latest"},
			Commit: "abcdef1234567890abcdef1234567890abcdef12", CommitTime: at(-24 * time.Hour), Describe: "v0.57.0-123-gabcdef1",
			Platform: "linux/amd64",
		},
		Loader: &Artifact{Path: "mike/osv-loader/osv-loader.qemu", SHA256: strings.Repeat("cd", 32), Size: 7 << 20},
		Recipes: []RecipeResult{
			{Name: "erlang", Status: StatusBuilt, Start: at(3 * time.Minute), Duration: 9*60 + 12, CacheKey: "k1",
				Log: "log/erlang.log", Package: pkg("erlang", 48<<20),
				Test: &TestResult{Status: TestPassed, Start: at(14 * time.Minute), Duration: 25, Log: "log/erlang.test.log"}},
			{Name: "mysql", Status: StatusFailed, Phase: "build", Start: at(3 * time.Minute), Duration: 240, CacheKey: "k2",
				Error: "recipe mysql: build.sh exited with status 2", ExitCode: &exit, Log: "log/mysql.log",
				LogTail: []string{"make: *** [all] Error 2", "cc1: out of memory"},
				Test:    &TestResult{Status: TestSkipped, Reason: "the build failed"}},
			{Name: "node", Status: StatusCached, Cached: true, CacheKey: "k3", Start: at(3 * time.Minute), Duration: 0.02,
				Log: "log/node.log", Package: pkg("node", 30<<20),
				Test: &TestResult{Status: TestCached, Reason: "passed before with the same inputs"}},
			{Name: "python3", Status: StatusBuilt, Start: at(3*time.Minute + 20*time.Millisecond), Duration: 360, CacheKey: "k4",
				Log: "log/python3.log", Package: pkg("python3", 20<<20),
				Test: &TestResult{Status: TestFailed, Start: at(14 * time.Minute), Duration: 40, Log: "log/python3.test.log",
					Error: "recipe python3: demo: console did not match", LogTail: []string{"OSv v0.57", "Traceback (most recent call last):"}}},
			{Name: hostileName, Status: StatusTimedOut, Start: at(7 * time.Minute), Duration: 420,
				Error: "recipe " + hostileName + ": timed out after 7m", Log: "log/" + hostileName + ".log",
				LogTail: []string{`<img src=x onerror="alert(2)">`}},
			{Name: "zlib", Status: StatusBuilt, Start: at(9*time.Minute + 20*time.Millisecond), Duration: 30,
				Log: "log/zlib.log", Package: pkg("zlib", 30<<10),
				Test: &TestResult{Status: TestUntested, Reason: "the recipe has no demo"}},
			{Name: "ruby", Status: StatusBuilt, Start: at(9*time.Minute + 30*time.Second + 20*time.Millisecond), Duration: 200,
				Log: "log/ruby.log", Package: pkg("ruby", 10<<20),
				Test: &TestResult{Status: TestPassed, Start: at(14*time.Minute + 25*time.Second), Duration: 12, Log: "log/ruby.test.log"}},
			{Name: "queued one", Status: StatusQueued},
		},
	}
	prev = &Report{
		RunID: "20240505T020000-4100", Version: "v1.2.2", Start: htmlSampleStart.Add(-24 * time.Hour), Status: "failed",
		Recipes: []RecipeResult{
			{Name: "erlang", Status: StatusBuilt, Package: pkg("erlang", 45<<20), Test: &TestResult{Status: TestPassed}},
			{Name: "mysql", Status: StatusBuilt, Package: pkg("mysql", 90<<20), Test: &TestResult{Status: TestPassed}},
			{Name: "node", Status: StatusFailed, Error: "npm: network unreachable"},
			{Name: "python3", Status: StatusBuilt, Package: pkg("python3", 20<<20), Test: &TestResult{Status: TestPassed}},
			{Name: "zlib", Status: StatusBuilt, Package: pkg("zlib", 30<<10-100)},
			{Name: "ruby", Status: StatusBuilt, Package: pkg("ruby", 10<<20+50<<10), Test: &TestResult{Status: TestPassed}},
			{Name: "old-recipe", Status: StatusBuilt, Package: pkg("old-recipe", 1<<20)},
		},
	}
	return cur, prev
}

func renderHTML(t *testing.T, cur, prev *Report) string {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, renderPage(&buf, cur, prev))
	return buf.String()
}

// section is the part of the page inside <section id="id">.
func section(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<section id="` + id + `"[^>]*>(.*?)</section>`).FindStringSubmatch(page)
	assert.Assert(t, m != nil, "no section %s", id)
	return m[1]
}

var recipeRowRE = regexp.MustCompile(`<tr class="recipe( failed)?" data-recipe="([^"]*)" data-build="([^"]*)" data-test="([^"]*)">`)

func TestRenderHTMLReport(t *testing.T) {
	t.Parallel()
	cur, prev := htmlSample()
	page := renderHTML(t, cur, prev)

	// Untrusted text is escaped everywhere: the only script element is the page's own.
	assert.Equal(t, strings.Count(page, "<script"), 1)
	assert.Check(t, !strings.Contains(page, "alert(1)</script>"))
	assert.Check(t, !strings.Contains(page, `<img src=x`))
	assert.Check(t, is.Contains(page, "recipe &lt;script&gt;alert(1)&lt;/script&gt;: timed out after 7m"))
	assert.Check(t, is.Contains(page, `&lt;img src=x onerror=&#34;alert(2)&#34;&gt;`))

	// Self-contained: nothing is fetched.
	for _, bad := range []string{"http://", "https://", "<link", "@import", "url("} {
		assert.Check(t, !strings.Contains(page, bad), "page contains %q", bad)
	}
	assert.Check(t, !regexp.MustCompile(`<[^>]*\ssrc=`).MatchString(page), "an element loads something")
	assert.Check(t, is.Contains(page, `Content-Security-Policy" content="default-src 'none';`))

	// The inputs of the run.
	inputs := section(t, page, "inputs")
	for _, want := range []string{"20240506T020000-4242", "v1.2.3", "abcdef1234567890abcdef1234567890abcdef12",
		"v0.57.0-123-gabcdef1", "pkgdriver/toolchain:2024-05-06_abcdef1, pkgdriver/toolchain:latest",
		"0123456789ab (built in this run)", "kvm", "2024-05-06 02:00:00 UTC", "17m03s", "7.0 MiB"} {
		assert.Check(t, is.Contains(inputs, want))
	}
	assert.Check(t, is.Regexp(`<span class="badge fail" id="run-status">failed</span>`, page))
	assert.Check(t, is.Contains(page, "8 recipes · 4 built · 1 cached · 1 failed · 1 timed out · 1 queued · 2 tests passed"))

	// One row per recipe, in report order, with its statuses.
	var rows [][]string
	for _, m := range recipeRowRE.FindAllStringSubmatch(page, -1) {
		rows = append(rows, m[1:])
	}
	assert.DeepEqual(t, rows, [][]string{
		{"", "erlang", "built", "passed"},
		{" failed", "mysql", "failed", "skipped"},
		{"", "node", "cached", "cached"},
		{" failed", "python3", "built", "failed"},
		{" failed", "&lt;script&gt;alert(1)&lt;/script&gt;", "timed out", "-"},
		{"", "zlib", "built", "untested"},
		{"", "ruby", "built", "passed"},
		{"", "queued one", "queued", "-"},
	})
	row := func(name string) string {
		m := regexp.MustCompile(`(?s)data-recipe="` + regexp.QuoteMeta(name) + `".*?</tbody>`).FindString(page)
		assert.Assert(t, m != "", "no row for %s", name)
		return m
	}
	erlang := row("erlang")
	for _, want := range []string{`<td>miss</td>`, `>9m12s<`, `>25.0s<`, `>48.0 MiB<`, `title="50331648 bytes, sha256 abab`} {
		assert.Check(t, is.Contains(erlang, want))
	}
	assert.Check(t, is.Contains(row("node"), `<td>hit</td>`))
	assert.Check(t, is.Contains(row("zlib"), `<td>-</td>`), "no cache key: neither hit nor miss")

	// Logs are linked relative to the result directory, the name escaped as one path segment.
	assert.Check(t, is.Contains(erlang, `<a href="log/erlang.log">build log</a> · <a href="log/erlang.test.log">test log</a>`))
	assert.Check(t, is.Contains(row("mysql"), `<a href="log/mysql.log">build log</a></td>`), "no test log when the test did not run")
	assert.Check(t, is.Contains(row("&lt;script&gt;alert(1)&lt;/script&gt;"), `<a href="log/%3Cscript%3Ealert%281%29%3C%2Fscript%3E.log">`))
	assert.Check(t, !strings.Contains(row("queued one"), "<a "), "a recipe that never ran has no log")
	assert.Check(t, !regexp.MustCompile(`href="(/|file:|\.\.)`).MatchString(page), "only relative links into the result directory")

	// Failures show their error and the last lines of the log under the row.
	mysql := row("mysql")
	assert.Check(t, is.Contains(mysql, "<summary>build failed: recipe mysql: build.sh exited with status 2</summary>"))
	assert.Check(t, is.Contains(mysql, "make: *** [all] Error 2\ncc1: out of memory\n"))
	assert.Check(t, is.Contains(row("python3"), "<summary>test failed: recipe python3: demo: console did not match</summary>"))

	// Since the last run.
	changes := section(t, page, "changes")
	assert.Check(t, is.Contains(changes, "20240505T020000-4100"))
	newFailures := regexp.MustCompile(`(?s)<h3>New failures</h3>\s*<ul>(.*?)</ul>`).FindStringSubmatch(changes)
	assert.Assert(t, newFailures != nil)
	assert.Check(t, is.Contains(newFailures[1], "<code>mysql</code>: build failed, test skipped (was: build built, test passed)"))
	assert.Check(t, is.Contains(newFailures[1], "<code>python3</code>: build built, test failed (was: build built, test passed)"))
	assert.Check(t, is.Contains(newFailures[1], "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>: build timed out (was: not in that run)"))
	assert.Equal(t, strings.Count(newFailures[1], "<li>"), 3)
	assert.Check(t, is.Regexp(`(?s)<h3>Fixed</h3>\s*<ul><li>.*<code>node</code>: build cached, test cached \(was: build failed\)</li></ul>`, changes))
	sizes := regexp.MustCompile(`(?s)<h3>Package sizes</h3>\s*<ul>(.*?)</ul>`).FindStringSubmatch(changes)
	assert.Assert(t, sizes != nil)
	assert.Check(t, is.Contains(sizes[1], `<code>erlang</code>: 45.0 MiB → 48.0 MiB <span class="grow">&#43;3.0 MiB (&#43;6.7%)</span>`))
	assert.Check(t, is.Contains(sizes[1], `<code>zlib</code>: 29.9 KiB → 30.0 KiB <span class="grow">&#43;100 B (&#43;0.3%)</span>`), "any change of a small package")
	assert.Check(t, !strings.Contains(sizes[1], "ruby"), "under 1% of a large package")
	assert.Check(t, is.Regexp(`(?s)<h3>Recipes new in this run</h3>\s*<ul><li><code>&lt;script&gt;alert\(1\)&lt;/script&gt;</code></li><li><code>queued one</code></li></ul>`, changes))
	assert.Check(t, is.Regexp(`(?s)<h3>Recipes not in this run</h3>\s*<ul><li><code>old-recipe</code></li></ul>`, changes))

	// The timeline: one bar per build and test that ran, on three slots.
	timeline := section(t, page, "timeline")
	assert.Equal(t, strings.Count(timeline, `<rect class="bar build `), 7)
	assert.Equal(t, strings.Count(timeline, `<rect class="bar test `), 3)
	assert.Equal(t, strings.Count(timeline, `class="rowline"`), 3)
	assert.Check(t, is.Contains(timeline, "<title>&lt;script&gt;alert(1)&lt;/script&gt;: build timed out, 7m00s from 02:07:00</title>"))
	assert.Check(t, is.Contains(timeline, "10 builds and tests on 3 parallel slots over 11m40s, from 02:03:00 UTC (3m00s after the run started)"))
}

func TestRenderHTMLReportWithoutHistory(t *testing.T) {
	t.Parallel()
	cur, _ := htmlSample()
	page := renderHTML(t, cur, nil)
	assert.Check(t, !strings.Contains(page, `id="changes"`), "no previous report: no comparison")

	same := renderHTML(t, cur, cur)
	assert.Check(t, is.Contains(section(t, same, "changes"), "Nothing changed"))

	// A run stopped before any recipe ran: no timeline, the error is shown.
	empty := &Report{RunID: "r", Status: "error", Error: "toolchain image: <boom>", Recipes: []RecipeResult{{Name: "a", Status: StatusQueued}}}
	page = renderHTML(t, empty, nil)
	assert.Check(t, !strings.Contains(page, `id="timeline"`))
	assert.Check(t, is.Contains(page, `<pre class="error">toolchain image: &lt;boom&gt;</pre>`))
	assert.Check(t, is.Contains(section(t, page, "inputs"), "<dt>Acceleration</dt><dd>-</dd>"))
}

func TestHTMLEvidenceLinks(t *testing.T) {
	t.Parallel()
	assert.Check(t, is.Nil(evidenceLinks(nil)))
	got := evidenceLinks(&Evidence{SBOM: "packages/a b.spdx.json", Attestation: "packages/a b.intoto.jsonl"})
	assert.DeepEqual(t, got, []htmlLink{{"SBOM", "packages/a%20b.spdx.json"}, {"provenance", "packages/a%20b.intoto.jsonl"}})
	rep := &Report{RunID: "r", Recipes: []RecipeResult{{Name: "a", Status: StatusBuilt, Log: "log/a.log",
		Evidence: &Evidence{SBOM: "packages/a.spdx.json", Attestation: "packages/a.intoto.jsonl", Signature: "packages/a.mpm.sig"}}}}
	page := renderHTML(t, rep, nil)
	assert.Check(t, is.Contains(page, `<a href="packages/a.spdx.json">SBOM</a> · <a href="packages/a.intoto.jsonl">provenance</a> · <a href="packages/a.mpm.sig">signature</a>`))
}

func TestHTMLFormatting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secs float64
		want string
	}{{0, "0.0s"}, {0.02, "0.0s"}, {0.44, "0.4s"}, {12.34, "12.3s"}, {59.94, "59.9s"}, {60, "1m00s"}, {245.4, "4m05s"}, {3599.6, "60m00s"}, {3600, "1h00m"}, {3725, "1h02m"}} {
		assert.Check(t, is.Equal(htmlDuration(tc.secs), tc.want), "%v", tc.secs)
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {48 << 20, "48.0 MiB"}, {3 << 30, "3.0 GiB"}} {
		assert.Check(t, is.Equal(htmlSize(tc.n), tc.want), "%d", tc.n)
	}
}
