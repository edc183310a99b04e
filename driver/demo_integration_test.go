package driver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// TestDemoVerdictsAndConfinedReads boots demos on the OSv stand-in through the real engine and
// checks that a verdict means what it says and that no demo reaches a host file:
//   - an expectation found only in the echoed command line, or only in the kernel banner, fails;
//   - a program that does not exist fails with that reason; one that prints the expected text
//     and then exits with an error status fails;
//   - a require: name that climbs out of packages/ is refused as a package name, and the host's
//     files it names are never read;
//   - a package whose meta/run.yaml is a link to a host file, a FIFO or /dev/zero fails at once,
//     with nothing of the host in the report, without blocking or exhausting memory.
func TestDemoVerdictsAndConfinedReads(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	host, err := os.MkdirTemp("", "pkgdriver-host-") // outside the result directory
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(host) })
	secretRun := "runtime: native\nconfig_set:\n  default:\n    bootcmd: /" + hostSecret + "\nconfig_set_default: default\n"
	assert.NilError(t, os.WriteFile(filepath.Join(host, "run.yaml"), []byte(secretRun), 0o644))
	assert.NilError(t, syscall.Mkfifo(filepath.Join(host, "fifo"), 0o644))
	// A package the escaping require points at, shaped like a real one.
	assert.NilError(t, os.WriteFile(filepath.Join(host, "evil.yaml"), []byte("name: evil\ntitle: "+hostSecret+"\nauthor: host\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(host, "evil.mpm"), []byte("not read"), 0o644))
	hostBefore := listDir(t, host)

	demoRecipe(t, recipes, "greeter", standinProgram("Hello, $1!"), "Hello, unikernel!")
	demoRecipe(t, recipes, "exits-badly", standinProgram("proof-of-life", "@exit 3"), "proof-of-life")
	demoRecipe(t, recipes, "banner-only", standinProgram("something else"), "OSv "+testutil.StandinVersion)
	testutil.Recipe(t, recipes, "echo-only", script(`echo data > "$PACKAGE_RESULT_DIR/data.txt"`, packageInit), map[string]string{
		"demo/pkg/meta/package.yaml.templ": "name: ${PACKAGE_NAME}-demo\ntitle: demo\nauthor: tests\nrequire:\n  - ${PACKAGE_NAME}\n",
		"demo/pkg/meta/run.yaml":           "runtime: native\nconfig_set:\n  demo:\n    bootcmd: /does-not-exist proof-of-life\nconfig_set_default: demo\n",
		"demo/expected-stdout.txt":         "proof-of-life",
	})
	climb := strings.Repeat("../", 12) + strings.TrimPrefix(host, "/") + "/evil"
	demoRecipe(t, recipes, "require-escape", standinProgram("never booted"), "never booted", climb)
	for name, target := range map[string]string{
		"runyaml-host": filepath.Join(host, "run.yaml"),
		"runyaml-fifo": filepath.Join(host, "fifo"),
		"runyaml-zero": "/dev/zero",
	} {
		testutil.Recipe(t, recipes, name, script(
			`mkdir -p "$PACKAGE_RESULT_DIR/meta"`,
			`ln -s `+target+` "$PACKAGE_RESULT_DIR/meta/run.yaml"`,
			packageInit,
		), map[string]string{
			"demo/pkg/meta/package.yaml.templ": "name: ${PACKAGE_NAME}-demo\ntitle: demo\nauthor: tests\nrequire:\n  - ${PACKAGE_NAME}\n",
			"demo/pkg/meta/run.yaml":           "runtime: native\nconfig_set:\n  demo:\n    base: \"" + name + ":default\"\nconfig_set_default: demo\n",
			"demo/expected-stdout.txt":         "anything",
		})
	}

	cfg, out := testConfig(t, recipes, result)
	cfg.SkipTests = false
	cfg.TestTimeout = 30 * time.Second
	cfg.TestMemory = 256 << 20
	cfg.Accel = driver.AccelTCG // the verdicts, not the KVM probe, are under test
	start := time.Now()
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())
	assert.Check(t, time.Since(start) < 5*time.Minute, "the run took %s: something blocked", time.Since(start))

	want := map[string]struct {
		status  report.TestStatus
		phase   string
		message string
	}{
		"greeter":        {status: report.TestPassed},
		"exits-badly":    {report.TestFailed, "run", "the program exited with status 3"},
		"banner-only":    {report.TestFailed, "match", "not even its first word"},
		"echo-only":      {report.TestFailed, "run", `could not load the program /does-not-exist (no such file)`},
		"require-escape": {report.TestFailed, "require", "invalid package name"},
		"runyaml-host":   {report.TestFailed, "run.yaml", "meta/run.yaml: a symlink, not a regular file"},
		"runyaml-fifo":   {report.TestFailed, "run.yaml", "meta/run.yaml: a symlink, not a regular file"},
		"runyaml-zero":   {report.TestFailed, "run.yaml", "meta/run.yaml: a symlink, not a regular file"},
	}
	for name, w := range want {
		res := resultOf(t, rep, name)
		assert.Check(t, is.Equal(res.Status, report.StatusBuilt), "%s: %s", name, res.Error)
		tr := res.Test
		if !assert.Check(t, tr != nil, "%s: no test result", name) {
			continue
		}
		assert.Check(t, is.Equal(tr.Status, w.status), "%s: %s", name, tr.Error)
		assert.Check(t, is.Equal(tr.Phase, w.phase), "%s: %s", name, tr.Error)
		assert.Check(t, is.Contains(tr.Error, w.message), "%s", name)
	}
	// The host's files were neither changed nor read into anything the run wrote.
	assert.Check(t, is.DeepEqual(listDir(t, host), hostBefore))
	for _, f := range []string{"report.json", "junit.xml", "report.html"} {
		assert.Check(t, !strings.Contains(readFile(t, filepath.Join(result, f)), hostSecret), "%s holds host content", f)
	}
	// The test stage's staging is gone.
	staging := filepath.Join(result, ".pkgdriver", "staging")
	entries, _ := os.ReadDir(staging)
	assert.Check(t, is.Len(entries, 0), "staging left behind: %v", entries)
}
