package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// screenshotEnv names a path the browser test copies its screenshot to, for people to look at.
const screenshotEnv = "PKGDRIVER_REPORT_SCREENSHOT"

// chromium finds Debian's chromium (scripts/ensure-chromium.sh installs it). Missing, the test
// fails under CI=true and is skipped elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: run scripts/ensure-chromium.sh")
	}
	t.Skip("chromium is not installed (scripts/ensure-chromium.sh installs it)")
	return ""
}

// runChromium runs headless chromium with its own profile, no network services and no sandbox
// (tests run as root), and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	// Its helper processes must not outlive it: kill the whole group, and stop waiting for
	// pipes they might keep open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	assert.NilError(t, err, "chromium %v\nstderr:\n%s", args, stderr.String())
	return stdout.Bytes()
}

// browserResultDir writes report.html for the hand-made night into a result directory, with
// report.prev.json and the logs it links to.
func browserResultDir(t *testing.T) (string, *Report) {
	t.Helper()
	cur, prev := htmlSample()
	l := resultdir.Layout{Root: filepath.Join(t.TempDir(), "result")}
	assert.NilError(t, os.MkdirAll(l.LogDir(), 0o755))
	data, err := json.Marshal(prev)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(l.PrevReport(), data, 0o644))
	for _, res := range cur.Recipes {
		if res.Log != "" && !strings.Contains(res.Name, "/") {
			assert.NilError(t, os.WriteFile(l.Log(res.Name), []byte("build output\n"), 0o644))
		}
	}
	assert.NilError(t, WriteHTML(l, cur))
	return l.HTMLReport(), cur
}

func TestReportHTMLBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	page, rep := browserResultDir(t)
	fileURL := (&url.URL{Scheme: "file", Path: page}).String()

	t.Run("dom", func(t *testing.T) {
		t.Parallel()
		dom := string(runChromium(t, bin, "--dump-dom", fileURL))
		assert.Assert(t, strings.Contains(dom, `id="recipe-table"`), "not the report:\n%s", dom)

		// One row per recipe, in order, with the statuses of the report. Chromium serialises
		// attribute values with only & and " escaped.
		rowRE := regexp.MustCompile(`<tr class="recipe[^"]*" data-recipe="([^"]*)" data-build="([^"]*)" data-test="([^"]*)">`)
		rows := rowRE.FindAllStringSubmatch(dom, -1)
		assert.Equal(t, len(rows), len(rep.Recipes))
		for i, res := range rep.Recipes {
			test := "-"
			if res.Test != nil {
				test = string(res.Test.Status)
			}
			assert.Check(t, is.DeepEqual(
				[]string{html.UnescapeString(rows[i][1]), rows[i][2], rows[i][3]},
				[]string{res.Name, string(res.Status), test}))
		}
		// The hostile name stayed text: the page's own script is the only one in the DOM.
		assert.Equal(t, strings.Count(dom, "<script"), 1)
		assert.Check(t, is.Contains(dom, "recipe &lt;script&gt;alert(1)&lt;/script&gt;: timed out after 7m"))
		assert.Check(t, is.Contains(dom, `<span class="badge fail" id="run-status">failed</span>`))
		assert.Check(t, is.Contains(dom, `<h2>Since the last run</h2>`))
		assert.Equal(t, strings.Count(dom, `<rect class="bar `), 10)
	})

	t.Run("screenshot", func(t *testing.T) {
		t.Parallel()
		png := filepath.Join(t.TempDir(), "report.png")
		runChromium(t, bin, "--screenshot="+png, "--window-size=1280,900", "--hide-scrollbars", fileURL)
		data, err := os.ReadFile(png)
		assert.NilError(t, err)
		assert.Assert(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), "not a PNG")
		// A blank 1280x900 page compresses to a few KiB; the report is far more.
		assert.Check(t, len(data) > 40<<10, "screenshot of %d bytes: is the page empty?", len(data))
		if dst := os.Getenv(screenshotEnv); dst != "" {
			assert.NilError(t, os.WriteFile(dst, data, 0o644))
		}
	})
}
