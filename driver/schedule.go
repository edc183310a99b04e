package driver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// The scheduler runs a run's builds and demo tests on one set of --jobs slots. A demo test is
// ready once the builds of this run that make the packages it boots have ended: its own recipe's,
// the bootstrap package's, and every package its demo requires, transitively. It does not wait
// for the other builds, so the run is not a build barrier followed by a test phase.
//
// When a slot frees, it goes to the task on the longest expected chain of work that starts with
// it (highest-level-first list scheduling): a build counts its own expected time plus the
// longest demo that waits for it (its own, or one that needs its package); a ready test counts
// its own. Ties between builds go to the one more demos wait for, then to the longest build;
// ties between a build and a test go to the test, so with no history a finished build's demo
// boots at once. Expected
// times are the previous runs' (durations.json); a test never seen counts defaultTestEstimate.
//
// A test gives its slot back once its expected output has appeared: what is left is the grace
// (matchGrace) in which a unikernel that goes on is watched for a crash, mostly a server idling
// until it is stopped, which should not keep a build waiting.

// defaultTestEstimate is a demo test's expected time before one has been measured: about one
// boot under TCG.
const defaultTestEstimate = 10.0

// testDurationKey is a test's key in durations.json; ':' is not allowed in a recipe name, so it
// never collides with a build's key.
func testDurationKey(name string) string { return "test:" + name }

type taskKind int

const (
	buildTask taskKind = iota
	testTask
)

// task is one unit of work on a slot.
type task struct {
	kind taskKind
	rc   *recipe.Recipe
	// after are the builds of this run the test waited for (tests only).
	after []string
}

// scheduler hands out the slots. Only its Run loop touches its fields, so they need no lock;
// build and test run on their own goroutines.
type scheduler struct {
	r *Run
	// build runs one recipe's build and records its result in r.Results; test runs one demo
	// test, after the builds of this run it waited for, and records its result. A test may call
	// release (once or more) when it no longer needs its slot, before it returns.
	build  func(ctx context.Context, rc *recipe.Recipe)
	test   func(ctx context.Context, rc *recipe.Recipe, after []string, release func())
	took   map[string]float64 // expected seconds, from earlier runs
	builds []*recipe.Recipe   // builds not started, longest first
	tests  []*recipe.Recipe   // tests not started, in test order
	inRun  map[string]bool    // recipes built in this run
	ended  map[string]bool    // builds of this run that ended
	reqs   map[string][]string
	// demoReqs are the require: lists of the demos' packages, by recipe.
	demoReqs map[string][]string
}

func newScheduler(r *Run, builds, tests []*recipe.Recipe, took map[string]float64) *scheduler {
	s := &scheduler{r: r, took: took, builds: builds, tests: tests,
		inRun: map[string]bool{}, ended: map[string]bool{}, reqs: map[string][]string{}, demoReqs: map[string][]string{}}
	for _, rc := range builds {
		s.inRun[rc.Name] = true
	}
	return s
}

// Run runs every task, jobs at a time, and returns when all have ended, or, once ctx ends, when
// the running ones have (tasks not started then stay as they are: queued builds, no test).
func (s *scheduler) Run(ctx context.Context, jobs int) {
	type event struct {
		t       *task
		release bool // the task gave its slot back; false: it ended
	}
	events := make(chan event)
	released := map[*task]bool{}
	running, live := 0, 0 // tasks holding a slot; tasks not ended
	for {
		for running < jobs && ctx.Err() == nil {
			t := s.next()
			if t == nil {
				break
			}
			running++
			live++
			go func() {
				var once sync.Once
				s.run(ctx, t, func() { once.Do(func() { events <- event{t: t, release: true} }) })
				// A release still being sent is received before the end (Do returns once it
				// has); one that comes later sends nothing.
				once.Do(func() {})
				events <- event{t: t}
			}()
		}
		if live == 0 {
			return
		}
		ev := <-events
		if ev.release {
			released[ev.t] = true
			running--
			continue
		}
		live--
		if !released[ev.t] {
			running--
		}
		delete(released, ev.t)
		if ev.t.kind == buildTask {
			s.ended[ev.t.rc.Name] = true
		}
	}
}

func (s *scheduler) run(ctx context.Context, t *task, release func()) {
	if t.kind == testTask {
		s.test(ctx, t.rc, t.after, release)
		return
	}
	s.build(ctx, t.rc)
}

// next takes the task the next free slot runs, or nil when none can start now. Tests whose
// required package failed to build are settled here, without a slot.
func (s *scheduler) next() *task {
	var test *task
	testEst := -1.0
	s.tests = slices.DeleteFunc(s.tests, func(rc *recipe.Recipe) bool {
		after, waiting, failed := s.waitsFor(rc)
		switch {
		case failed != "":
			res, _ := s.r.Results.get(failed)
			s.r.Results.setTest(rc.Name, &report.TestResult{Status: report.TestSkipped,
				Reason: "required package " + failed + ": the build " + string(res.Status)})
			return true
		case waiting:
			return false
		}
		if est := s.testEstimate(rc); est > testEst {
			test, testEst = &task{kind: testTask, rc: rc, after: after}, est
		}
		return false
	})
	if len(s.builds) > 0 {
		i, est := s.nextBuild()
		if test == nil || est > testEst {
			rc := s.builds[i]
			s.builds = slices.Delete(s.builds, i, i+1)
			return &task{kind: buildTask, rc: rc}
		}
	}
	if test != nil {
		s.tests = slices.DeleteFunc(s.tests, func(rc *recipe.Recipe) bool { return rc == test.rc })
	}
	return test
}

// nextBuild is the index in s.builds of the build heading the longest expected chain, and that
// chain's length: the build's own time and the longest test not started that waits for it (its
// own recipe's, or, for a package other demos need, theirs: osv.bootstrap heads every demo's
// chain). Of equal chains the one more tests wait for goes first (with no history, the packages
// every demo needs), then the queue's order (longest build first).
func (s *scheduler) nextBuild() (int, float64) {
	best, bestEst, bestWaiting := 0, -1.0, -1
	for i, rc := range s.builds {
		est, waiting := s.took[rc.Name], 0
		longest := 0.0
		for _, t := range s.tests {
			if t.Demo == nil {
				continue // settled without a boot
			}
			if t == rc || rc.Name == bootstrapPackage || slices.Contains(s.demoRequires(t), rc.Name) {
				waiting++
				longest = max(longest, s.testEstimate(t))
			}
		}
		est += longest
		if est > bestEst || (est == bestEst && waiting > bestWaiting) {
			best, bestEst, bestWaiting = i, est, waiting
		}
	}
	return best, bestEst
}

// demoRequires is demoRequires(rc), read once.
func (s *scheduler) demoRequires(rc *recipe.Recipe) []string {
	if reqs, ok := s.demoReqs[rc.Name]; ok {
		return reqs
	}
	reqs := demoRequires(rc)
	s.demoReqs[rc.Name] = reqs
	return reqs
}

func (s *scheduler) testEstimate(rc *recipe.Recipe) float64 {
	if rc.Demo == nil {
		return 0
	}
	if d, ok := s.took[testDurationKey(rc.Name)]; ok {
		return d
	}
	return defaultTestEstimate
}

// waitsFor walks the packages rc's demo boots: its own, the bootstrap package, and what its demo
// requires, transitively (read from packages/ once a package's build has ended, or for a package
// this run does not build). waiting: one of them is still being built in this run (or queued);
// failed: one of them other than rc's own failed to build in this run; after: the builds of
// this run among them. A demo whose requires cannot be read is ready: its test says why.
func (s *scheduler) waitsFor(rc *recipe.Recipe) (after []string, waiting bool, failed string) {
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] || waiting || failed != "" {
			return
		}
		seen[name] = true
		if s.inRun[name] {
			if !s.ended[name] {
				waiting = true
				return
			}
			if res, _ := s.r.Results.get(name); name != rc.Name && !res.Status.OK() {
				failed = name
				return
			}
			after = append(after, name)
		}
		for _, req := range s.requires(name) {
			visit(req)
		}
	}
	visit(rc.Name)
	visit(bootstrapPackage)
	for _, req := range demoRequires(rc) {
		visit(req)
	}
	if waiting || failed != "" {
		return nil, waiting, failed
	}
	return after, false, ""
}

// requires is the require: list of packages/<name>.yaml, or nil when it is missing or bad (the
// test reports that). Only asked once the package can no longer change in this run.
func (s *scheduler) requires(name string) []string {
	if reqs, ok := s.reqs[name]; ok {
		return reqs
	}
	var reqs []string
	if recipe.ValidateName(name) == nil {
		data, err := fsutil.ReadConfined(s.r.Layout.Packages(), name+".yaml", packager.MaxMetaSize)
		if err == nil {
			if p, err := packager.ParsePackage(data, "packages/"+name+".yaml"); err == nil {
				reqs = p.Require
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			s.r.Config.Log.Debug().Err(err).Str("package", name).Msg("requires not read")
		}
	}
	s.reqs[name] = reqs
	return reqs
}

// demoRequires is the require: list of rc's demo package, or nil when there is no demo or its
// template cannot be read (the test reports that).
func demoRequires(rc *recipe.Recipe) []string {
	if rc.Demo == nil {
		return nil
	}
	_, p, err := renderDemoTemplate(rc)
	if err != nil {
		return nil
	}
	return p.Require
}

// scheduleTimes keeps what the scheduler measured for the report.
type scheduleTimes struct {
	Start time.Time
	Wall  time.Duration
	Jobs  int
}

// recordDurations keeps how long each build and test of this run took, for the next run's order.
func recordDurations(took map[string]float64, list []report.RecipeResult) {
	for _, res := range list {
		if res.Duration > 0 && res.Status != report.StatusCancelled && !res.Cached {
			took[res.Name] = res.Duration
		}
		if t := res.Test; t != nil && t.Duration > 0 && (t.Status == report.TestPassed || t.Status == report.TestFailed) {
			took[testDurationKey(res.Name)] = t.Duration
		}
	}
}

// guard runs fn, one recipe's work (what: "build", "demo"), and turns a panic in it into an
// error naming the recipe, logged with its stack: one bad input must not take the run, and the
// cleanup of every other recipe, down with it. fn's own deferred cleanup has run by the time the
// panic arrives here.
func (r *Run) guard(rc *recipe.Recipe, what string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Config.Log.Error().Str("recipe", rc.Name).Str("stage", what).Str("stack", string(debug.Stack())).Msg("internal error")
			err = fmt.Errorf("recipe %s: %s: internal error in pkgdriver: %v", recipe.DisplayName(rc.Name), what, p)
		}
	}()
	fn()
	return nil
}
