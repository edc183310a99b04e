package driver

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// demoRequiring adds a recipe with a demo whose package requires reqs besides the recipe's own.
func (env *fakeEnv) demoRequiring(name string, build []string, reqs ...string) {
	env.t.Helper()
	templ := "name: ${PACKAGE_NAME}-demo\ntitle: demo\nauthor: tests\nrequire:\n  - ${PACKAGE_NAME}\n"
	for _, r := range reqs {
		templ += "  - " + r + "\n"
	}
	env.recipe(name, build, map[string]string{
		"meta/run.yaml":                    "runtime: native\nconfig_set:\n  default:\n    bootcmd: /" + name + "\nconfig_set_default: default\n",
		"demo/pkg/meta/package.yaml.templ": templ,
		"demo/pkg/meta/run.yaml":           "runtime: native\nconfig_set:\n  demo:\n    base: \"" + name + ":default\"\nconfig_set_default: demo\n",
		"demo/expected-stdout.txt":         "Hello, unikernel!\n",
	})
}

func end(r report.RecipeResult) time.Time {
	return r.Start.Add(time.Duration(r.Duration * float64(time.Second)))
}

// A recipe finishing early has its demo booted while a slow build of another recipe still runs:
// the slow build waits for that boot, and fails if it never comes.
func TestScheduleDemoBootsBeforeSlowBuildEnds(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("slow", []string{"awaitboot fast", "file slow x", "init"}, nil)
	env.demo("fast")
	env.cfg.SkipTests = false
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	slow, fast := result(t, rep, "slow"), result(t, rep, "fast")
	assert.Equal(t, slow.Status, report.StatusBuilt, slow.Error)
	assert.Assert(t, fast.Test != nil)
	assert.Check(t, is.Equal(fast.Test.Status, report.TestPassed), fast.Test.Error)
	assert.Check(t, fast.Test.Start.Before(end(slow)), "test of fast at %s, slow's build ended at %s", fast.Test.Start, end(slow))
	assert.Check(t, is.DeepEqual(fast.Test.After, []string{"fast"}))

	s := rep.Schedule
	assert.Assert(t, s != nil)
	assert.Check(t, is.Equal(s.Jobs, 2))
	assert.Check(t, s.CriticalPathSeconds > 0 && s.WallSeconds+0.01 >= s.CriticalPathSeconds, "%+v", s)
	assert.Check(t, len(s.CriticalPath) > 0)
	data, err := os.ReadFile(filepath.Join(env.result, "report.json"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(data), `"critical_path_seconds"`))
	html, err := os.ReadFile(filepath.Join(env.result, "report.html"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(html), "against a critical path of"))
	assert.Check(t, is.Contains(string(html), "critical\""))
}

// A demo waits for the builds of the packages it requires, not only its own.
func TestScheduleDemoWaitsForRequiredBuilds(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("lib", []string{"sleep 300", "file lib x", "init"}, nil)
	env.demoRequiring("app", []string{"file app program", "init"}, "lib")
	env.cfg.SkipTests = false
	env.cfg.Jobs = 3
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	app, lib := result(t, rep, "app"), result(t, rep, "lib")
	assert.Assert(t, app.Test != nil)
	assert.Check(t, is.Equal(app.Test.Status, report.TestPassed), app.Test.Error)
	assert.Check(t, !app.Test.Start.Before(end(lib).Add(-5*time.Millisecond)), "test of app at %s, lib's build ended at %s", app.Test.Start, end(lib))
	after := slices.Sorted(slices.Values(app.Test.After))
	assert.Check(t, is.DeepEqual(after, []string{"app", "lib"}))
}

// A demo whose required package failed to build is skipped with that reason, without a boot;
// the other recipes go on.
func TestScheduleSkipsDemoOfFailedRequirement(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("lib", []string{"echo broken", "exit 1"}, nil)
	env.demoRequiring("app", []string{"file app program", "init"}, "lib")
	env.demoRequiring("own", []string{"exit 2"})
	env.demo("fine")
	env.cfg.SkipTests = false
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	for name, want := range map[string]struct {
		status report.TestStatus
		reason string
	}{
		"app":  {report.TestSkipped, "required package lib: the build failed"},
		"own":  {report.TestSkipped, "the build failed"},
		"fine": {report.TestPassed, ""},
	} {
		r := result(t, rep, name)
		if assert.Check(t, r.Test != nil, name) {
			assert.Check(t, is.Equal(r.Test.Status, want.status), name)
			assert.Check(t, is.Equal(r.Test.Reason, want.reason), name)
		}
	}
	for _, c := range env.containers("test", "") {
		assert.Check(t, c.Spec.Labels[LabelRecipe] == "fine", "booted %s", c.Spec.Labels[LabelRecipe])
	}
	assert.Check(t, is.Equal(result(t, rep, "lib").Status, report.StatusFailed))
}

// Ctrl-C while a build and a demo run: both stop, nothing queued starts, nothing is left.
func TestScheduleCancel(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a-slow", []string{"hang"}, nil)
	env.demo("b-fast")
	env.demo("c-late")
	env.console["b-fast"] = "hang\n"
	env.cfg.SkipTests = false
	// a-slow and b-fast take the two slots (a-slow took long last time; b-fast before c-late in
	// selection order); c-late would start after b-fast's build, but b-fast's demo goes first
	// (ties go to a ready test).
	env.history(map[string]float64{"a-slow": 100})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-env.bootStarted("b-fast")
		cancel()
	}()
	rep, err := env.execute(ctx)
	assert.Check(t, err != nil)
	assert.Check(t, is.Equal(rep.Status, report.RunCancelled))
	assert.Check(t, is.Equal(result(t, rep, "a-slow").Status, report.StatusCancelled))
	fast := result(t, rep, "b-fast")
	assert.Check(t, is.Equal(fast.Status, report.StatusBuilt))
	if assert.Check(t, fast.Test != nil) {
		assert.Check(t, is.Equal(fast.Test.Status, report.TestCancelled))
	}
	late := result(t, rep, "c-late")
	assert.Check(t, is.Equal(late.Status, report.StatusCancelled))
	assert.Check(t, late.Test == nil)
	assert.Check(t, is.Len(env.containers("build", "")[2:], 0), "a queued build started")
}

// history writes the result directory's durations.json (nothing for nil).
func (env *fakeEnv) history(took map[string]float64) {
	env.t.Helper()
	if took == nil {
		return
	}
	data, _ := json.Marshal(took)
	assert.NilError(env.t, os.MkdirAll(filepath.Join(env.result, ".pkgdriver"), 0o755))
	assert.NilError(env.t, os.WriteFile(filepath.Join(env.result, ".pkgdriver", "durations.json"), data, 0o644))
}

// order lists the builds and tests in the order their containers were made: "build a", "test a".
func (env *fakeEnv) order() []string {
	var got []string
	for _, c := range env.eng.Containers() {
		if role := c.Spec.Labels[LabelRole]; role == "build" || role == "test" {
			got = append(got, role+" "+c.Spec.Labels[LabelRecipe])
		}
	}
	return got
}

// With one slot the order is highest-level-first on the history: a build counts its own and
// its demo's expected time, a ready test its own; ties go to the test.
func TestScheduleOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history map[string]float64
		prior   map[string]float64 // the user's durations, from other result directories
		want    []string
	}{
		{
			name:    "no history: each demo right after its build",
			history: nil,
			want:    []string{"build a", "test a", "build b", "test b"},
		},
		{
			name:    "builds longest first, then the tests in test order",
			history: map[string]float64{"a": 1, "b": 100},
			want:    []string{"build b", "build a", "test a", "test b"},
		},
		{
			name:    "a long test goes before a short build",
			history: map[string]float64{"a": 1, "b": 100, "test:b": 30},
			want:    []string{"build b", "test b", "build a", "test a"},
		},
		{
			name:  "no history here: the user's durations order the builds",
			prior: map[string]float64{"a": 1, "b": 100},
			want:  []string{"build b", "build a", "test a", "test b"},
		},
		{
			name:    "the result directory's history wins over the user's durations",
			history: map[string]float64{"a": 100, "b": 1},
			prior:   map[string]float64{"a": 1, "b": 100},
			want:    []string{"build a", "build b", "test a", "test b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.demo("a")
			env.demo("b")
			env.cfg.SkipTests = false
			env.cfg.Jobs = 1
			env.history(tc.history)
			env.cfg.CacheDir = t.TempDir()
			if tc.prior != nil {
				data, _ := json.Marshal(tc.prior)
				assert.NilError(t, os.WriteFile(filepath.Join(env.cfg.CacheDir, "durations.json"), data, 0o644))
			}
			_, err := env.execute(context.Background())
			assert.NilError(t, err)
			assert.DeepEqual(t, env.order(), tc.want)
			// The run's test times are kept for the next run's order.
			data, err := os.ReadFile(filepath.Join(env.result, ".pkgdriver", "durations.json"))
			assert.NilError(t, err)
			assert.Check(t, is.Contains(string(data), `"test:a"`))
			// ... and in the user's, for the next new result directory.
			data, err = os.ReadFile(filepath.Join(env.cfg.CacheDir, "durations.json"))
			assert.NilError(t, err)
			assert.Check(t, is.Contains(string(data), `"test:a"`))
		})
	}
}

func slotRecipes(n int) []*recipe.Recipe {
	var list []*recipe.Recipe
	for i := range n {
		list = append(list, &recipe.Recipe{Name: "r" + string(rune('a'+i))})
	}
	return list
}

// The scheduler runs at most --jobs tasks at once, and none once the run is cancelled.
func TestSchedulerSlots(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		jobs     int
		ctx      context.Context
		wantRun  int
		wantPeak int
	}{
		{name: "one at a time", jobs: 1, ctx: context.Background(), wantRun: 6, wantPeak: 1},
		{name: "three at a time", jobs: 3, ctx: context.Background(), wantRun: 6, wantPeak: 3},
		{name: "cancelled", jobs: 3, ctx: cancelled, wantRun: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Jobs: tc.jobs, Log: zerolog.Nop()}, Results: newResults(nil)}
			var mu sync.Mutex
			running, peak, ran := 0, 0, 0
			s := newScheduler(r, slotRecipes(6), nil, nil)
			s.build = func(_ context.Context, rc *recipe.Recipe) {
				mu.Lock()
				running++
				ran++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
			}
			s.Run(tc.ctx, r.jobs())
			assert.Check(t, is.Equal(ran, tc.wantRun))
			assert.Check(t, is.Equal(peak, tc.wantPeak))
		})
	}
}

// A run cancelled while recipes wait for a slot starts none of them.
func TestSchedulerStopsStarting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Run{Config: &Config{Jobs: 1, Log: zerolog.Nop()}, Results: newResults(nil)}
	var started atomic.Int32
	s := newScheduler(r, slotRecipes(5), nil, nil)
	s.build = func(context.Context, *recipe.Recipe) {
		started.Add(1)
		cancel()
	}
	s.Run(ctx, 1)
	assert.Check(t, started.Load() <= 2, "started %d after the cancel", started.Load())
}

func TestGuard(t *testing.T) {
	t.Parallel()
	var log testutil.SyncBuffer
	r := &Run{Config: &Config{Log: zerolog.New(&log)}}
	rc := &recipe.Recipe{Name: "bad\x1bname"}

	assert.NilError(t, r.guard(rc, "build", func() {}))
	ran := false
	err := r.guard(rc, "demo", func() {
		defer func() { ran = true }() // the work's own cleanup runs
		panic("index out of range [3] with length 3")
	})
	assert.Check(t, ran)
	assert.ErrorContains(t, err, `recipe "bad\x1bname": demo: internal error in pkgdriver: index out of range [3] with length 3`)
	assert.Check(t, strings.Contains(log.String(), `"stage":"demo"`) && strings.Contains(log.String(), "goroutine"), log.String())
}

// A build whose package other demos need heads their chains: a library a long demo requires
// goes before a longer build whose demo is short, and with no history at all the bootstrap
// package every demo boots goes first.
func TestScheduleOrderPackagesDemosNeed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history map[string]float64
		want    []string
	}{
		{
			name:    "the library of a long demo",
			history: map[string]float64{"a": 8, "lib": 5, "b": 1, "test:b": 30},
			want:    []string{"build lib", "build b", "test b", "build a", "test a"},
		},
		{
			name: "no history: the bootstrap package first",
			want: []string{"build osv.bootstrap", "build a", "test a", "build b", "build lib", "test b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.demo("a")
			env.demoRequiring("b", []string{"file b program", "init"}, "lib")
			env.recipe("lib", []string{"file lib x", "init"}, nil)
			if tc.history == nil {
				env.recipe(bootstrapPackage, []string{"file etc/fstab x", "init"}, nil)
			}
			env.cfg.SkipTests = false
			env.cfg.Jobs = 1
			env.history(tc.history)
			_, err := env.execute(context.Background())
			assert.NilError(t, err)
			assert.DeepEqual(t, env.order(), tc.want)
		})
	}
}

// A test that has seen its expected output gives its slot back for its grace: with one slot, a
// queued build starts while the test still runs. Without a release the build waits, and a slot
// given back and then ended is counted once.
func TestSchedulerTestReleasesSlot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		release      bool
		wantOverlaps bool
	}{
		{name: "released for the grace", release: true, wantOverlaps: true},
		{name: "held to the end", release: false, wantOverlaps: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Config: &Config{Jobs: 1, Log: zerolog.Nop()}, Results: newResults(nil)}
			demo := &recipe.Recipe{Name: "served", Demo: &recipe.Demo{}}
			builds := slotRecipes(3)
			s := newScheduler(r, builds, []*recipe.Recipe{demo}, nil)
			var mu sync.Mutex
			testRunning, overlapped, running, peak := false, false, 0, 0
			buildStarted := make(chan struct{}, len(builds))
			s.build = func(context.Context, *recipe.Recipe) {
				mu.Lock()
				overlapped = overlapped || testRunning
				running++
				peak = max(peak, running)
				mu.Unlock()
				buildStarted <- struct{}{}
				time.Sleep(10 * time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
			}
			s.test = func(_ context.Context, _ *recipe.Recipe, _ []string, release func()) {
				mu.Lock()
				testRunning = true
				mu.Unlock()
				if tc.release {
					release()
					release() // twice is once
					<-buildStarted
				} else {
					time.Sleep(50 * time.Millisecond)
				}
				mu.Lock()
				testRunning = false
				mu.Unlock()
			}
			done := make(chan struct{})
			go func() {
				s.Run(context.Background(), 1)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the scheduler did not end")
			}
			assert.Check(t, is.Equal(overlapped, tc.wantOverlaps))
			// The released slot went to one build at a time: the others waited for the slot.
			assert.Check(t, is.Equal(peak, 1))
		})
	}
}
