package driver_test

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// standinProgram is a program for the OSv stand-in kernel (see testdata/osv-standin/README.md):
// it prints its lines, arguments substituted.
func standinProgram(lines ...string) string {
	out := "#!standin\n"
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

// demoRecipe is a recipe delivering the stand-in program /<name> and a demo booting it.
func demoRecipe(t *testing.T, recipes, name, program, expected string, demoRequires ...string) {
	t.Helper()
	require := "require:\n  - ${PACKAGE_NAME}\n"
	for _, r := range demoRequires {
		require += "  - " + r + "\n"
	}
	testutil.Recipe(t, recipes, name, script(
		`cp program "$PACKAGE_RESULT_DIR/`+name+`"`,
		packageInit,
	), map[string]string{
		"program":                          program,
		"meta/run.yaml":                    "runtime: native\nconfig_set:\n  default:\n    bootcmd: /" + name + " $WHO\n    env:\n      WHO: nobody\nconfig_set_default: default\n",
		"demo/pkg/meta/package.yaml.templ": "name: ${PACKAGE_NAME}-demo\ntitle: demo\nauthor: tests\n" + require,
		"demo/pkg/meta/run.yaml":           "runtime: native\nconfig_set:\n  demo:\n    base: \"" + name + ":default\"\n    env:\n      WHO: unikernel\nconfig_set_default: demo\n",
		"demo/pkg/etc/demo.conf":           "demo file\n",
		"demo/expected-stdout.txt":         expected,
	})
}

// TestDemoTests composes and boots demos through the real engine and QEMU (TCG here), with the
// OSv stand-in kernel: a passing demo, one whose output differs, a hung one, one whose required
// package is missing, and a recipe without a demo.
func TestDemoTests(t *testing.T) {
	api := testutil.Engine(t)
	ctx := context.Background()
	recipes, result := t.TempDir(), t.TempDir()
	demoRecipe(t, recipes, "greeter", standinProgram("Hello, $1!", "sum(1..10) = 55"), "Hello, unikernel!\nsum(1..10)   =   55\n")
	demoRecipe(t, recipes, "wrong", standinProgram("the answer is 41"), "the answer is 42")
	demoRecipe(t, recipes, "hung", standinProgram("started", "@hang"), "finished")
	demoRecipe(t, recipes, "orphan", standinProgram("never booted"), "never booted", "libmissing")
	testutil.Recipe(t, recipes, "plain", script(packageInit), nil)

	cfg, out := testConfig(t, recipes, result)
	cfg.SkipTests = false
	cfg.TestTimeout = 20 * time.Second
	cfg.TestMemory = 256 << 20
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == report.StatusBuilt, "%s: %s %s", r.Name, r.Status, r.Error)
	}

	greeter := resultOf(t, rep, "greeter").Test
	assert.Equal(t, greeter.Status, report.TestPassed, "%+v", greeter)
	assert.Equal(t, greeter.Cmdline, "--rootfs=rofs --power-off-on-abort --verbose --env=WHO=unikernel /greeter $WHO")
	console := readFile(t, filepath.Join(result, "log", "greeter.test.log"))
	assert.Check(t, is.Contains(console, "OSv "+testutil.StandinVersion))
	assert.Check(t, is.Contains(console, "Hello, unikernel!"))
	// The stand-in's kernel is a real-mode flat binary without a PVH entry: its demos boot from
	// the disk image, through the firmware and the image's boot sector, as Capstan does.
	assert.Check(t, is.Equal(greeter.Boot, "disk"))

	wrong := resultOf(t, rep, "wrong").Test
	assert.Equal(t, wrong.Status, report.TestFailed)
	assert.Check(t, is.Contains(wrong.Error, "the answer is 42"), "the expected text")
	assert.Check(t, is.Contains(wrong.Error, "the answer is 41"), "the closest part of the output")

	hung := resultOf(t, rep, "hung").Test
	assert.Equal(t, hung.Status, report.TestTimedOut)
	assert.Check(t, is.Contains(hung.Error, "timed out after 20s"))
	assert.Check(t, is.Contains(readFile(t, filepath.Join(result, "log", "hung.test.log")), "started"))

	orphan := resultOf(t, rep, "orphan").Test
	assert.Equal(t, orphan.Status, report.TestFailed)
	assert.Equal(t, orphan.Phase, "require")
	assert.Check(t, is.Contains(orphan.Error, `required package "libmissing" is not in packages/ (required through orphan-demo -> libmissing)`))

	assert.Equal(t, resultOf(t, rep, "plain").Test.Status, report.TestUntested)
	assert.Check(t, rep.Failed(), "failed tests fail the run")

	// junit.xml: build and test as separate cases.
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
		} `xml:"testsuite"`
	}
	assert.NilError(t, xml.Unmarshal([]byte(readFile(t, filepath.Join(result, "junit.xml"))), &suites))
	assert.Equal(t, len(suites.Suites), 2)
	assert.Equal(t, suites.Suites[0].Tests, 5)
	assert.Equal(t, suites.Suites[0].Failures, 0)
	assert.Equal(t, suites.Suites[1].Tests, 5)
	assert.Equal(t, suites.Suites[1].Failures, 3)
	assert.Equal(t, suites.Suites[1].Skipped, 1)

	// A second run: nothing changed, so greeter's passed test is not run again; the others are.
	cfg2, _ := testConfig(t, recipes, result)
	cfg2.SkipTests = false
	cfg2.TestTimeout = 20 * time.Second
	cfg2.Recipes = recipe.Selection{Names: []string{"greeter", "wrong"}}
	rep2, err := execute(t, ctx, api, cfg2)
	assert.NilError(t, err)
	assert.Equal(t, resultOf(t, rep2, "greeter").Status, report.StatusCached)
	assert.Equal(t, resultOf(t, rep2, "greeter").Test.Status, report.TestCached)
	assert.Equal(t, resultOf(t, rep2, "wrong").Test.Status, report.TestFailed)
	_, err = os.Stat(filepath.Join(result, "log", "greeter.test.log"))
	assert.Check(t, err)
}
