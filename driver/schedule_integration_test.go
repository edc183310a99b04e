package driver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

func endOf(r report.RecipeResult) time.Time {
	return r.Start.Add(time.Duration(r.Duration * float64(time.Second)))
}

// TestPipelinedDemos runs builds and demo boots on one set of slots through the real engine and
// QEMU with the OSv stand-in: the demo of a recipe that builds quickly boots while a slow build
// of another recipe still runs, and a demo that requires another recipe's package waits for
// that build.
func TestPipelinedDemos(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "slow", script("sleep 40", packageInit), nil)
	testutil.Recipe(t, recipes, "lib", script("sleep 8", `echo lib > "$PACKAGE_RESULT_DIR/lib.txt"`, packageInit), nil)
	demoRecipe(t, recipes, "fast", standinProgram("Hello, $1!"), "Hello, unikernel!\n")
	demoRecipe(t, recipes, "app", standinProgram("app for $1"), "app for unikernel\n", "lib")

	cfg, out := testConfig(t, recipes, result)
	cfg.SkipTests = false
	cfg.TestTimeout = 90 * time.Second // a TCG boot of the stand-in took 10-30 s on a loaded 2-CPU machine
	cfg.TestMemory = 256 << 20
	cfg.Jobs = 4
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == report.StatusBuilt, "%s: %s %s", r.Name, r.Status, r.Error)
	}
	slow, lib, fast, app := resultOf(t, rep, "slow"), resultOf(t, rep, "lib"), resultOf(t, rep, "fast"), resultOf(t, rep, "app")
	assert.Assert(t, fast.Test != nil && app.Test != nil)
	assert.Check(t, is.Equal(fast.Test.Status, report.TestPassed), fast.Test.Error)
	assert.Check(t, is.Equal(app.Test.Status, report.TestPassed), app.Test.Error)
	assert.Check(t, fast.Test.Start.Before(endOf(slow)), "fast's demo booted at %s, slow's build ended at %s", fast.Test.Start, endOf(slow))
	assert.Check(t, !app.Test.Start.Before(endOf(lib).Add(-5*time.Millisecond)), "app's demo booted at %s, lib's build ended at %s", app.Test.Start, endOf(lib))
	assert.Check(t, slices.Contains(app.Test.After, "lib"), "%v", app.Test.After)

	s := rep.Schedule
	assert.Assert(t, s != nil)
	t.Logf("schedule: wall %.1fs, critical path %.1fs %v", s.WallSeconds, s.CriticalPathSeconds, s.CriticalPath)
	// Four slots for at most four tasks at once: nothing waited for a slot, so the wall time is
	// the critical path (the slow build, or a build and its demo when a boot took longer).
	assert.Check(t, len(s.CriticalPath) > 0)
	assert.Check(t, s.WallSeconds >= s.CriticalPathSeconds && s.WallSeconds < s.CriticalPathSeconds+5, "%+v", s)
}

// A demo that has printed its expected output gives its slot back for the grace in which it is
// still watched: with one slot, a server demo that never powers off and a queued build overlap,
// and the demo still passes.
func TestServerDemoGivesSlotBack(t *testing.T) {
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), t.TempDir()
	demoRecipe(t, recipes, "a-server", standinProgram("serving $1", "@hang"), "serving unikernel\n")
	testutil.Recipe(t, recipes, "b-queued", script(packageInit), nil)

	cfg, out := testConfig(t, recipes, result)
	cfg.SkipTests = false
	cfg.TestTimeout = 90 * time.Second
	cfg.TestMemory = 256 << 20
	cfg.Jobs = 1
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())
	server, queued := resultOf(t, rep, "a-server"), resultOf(t, rep, "b-queued")
	assert.Assert(t, server.Test != nil)
	assert.Check(t, is.Equal(server.Test.Status, report.TestPassed), server.Test.Error)
	assert.Check(t, is.Equal(queued.Status, report.StatusBuilt), queued.Error)
	testEnd := server.Test.Start.Add(time.Duration(server.Test.Duration * float64(time.Second)))
	assert.Check(t, server.Test.Start.Before(queued.Start) && queued.Start.Before(testEnd),
		"the queued build started at %s, the server's demo ran from %s to %s", queued.Start, server.Test.Start, testEnd)
}
