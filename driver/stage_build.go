package driver

import (
	"context"
	"maps"
	"path/filepath"
	"sort"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// buildStage runs one container per selected recipe and boots each demo as soon as the
// packages it needs are built, --jobs at a time on one scheduler (schedule.go). One recipe
// failing never stops the others; only cancellation of the run does.
type buildStage struct{}

func (buildStage) String() string { return "build and test recipes" }

func (buildStage) Run(ctx context.Context, r *Run) error {
	var tests []*recipe.Recipe
	if !r.Config.SkipTests {
		var err error
		if tests, err = r.testList(); err != nil {
			return err
		}
	}
	history := readDurations(r.Layout)
	expected := withPrior(history, r.priorDurations())
	queue := buildOrder(r.Selected, expected)
	view := newLiveView(r, len(queue))
	defer view.Stop()

	s := newScheduler(r, queue, tests, expected)
	s.build = func(ctx context.Context, rc *recipe.Recipe) {
		if ctx.Err() != nil {
			return // cancelled while queued: stays "queued" in the report
		}
		b := &recipeBuild{run: r, recipe: rc, tail: linetail.New(failureTailLines)}
		view.Started(rc.Name, b.tail)
		var res *report.RecipeResult
		if err := r.guard(rc, "build", func() { res = b.Run(ctx) }); err != nil {
			res = &report.RecipeResult{Name: rc.Name, Status: report.StatusFailed, Phase: "internal", Error: err.Error()}
		}
		r.Results.set(res)
		view.Done(res)
	}
	s.test = func(ctx context.Context, rc *recipe.Recipe, after []string, release func()) {
		var res *report.TestResult
		if err := r.guard(rc, "demo", func() { res = r.testRecipe(ctx, rc, release) }); err != nil {
			res = &report.TestResult{Status: report.TestFailed, Phase: "internal", Error: err.Error()}
		}
		if !res.Start.IsZero() {
			res.After = after
		}
		r.Results.setTest(rc.Name, res)
	}
	jobs := r.jobs()
	r.Schedule = &scheduleTimes{Start: time.Now(), Jobs: jobs}
	s.Run(ctx, jobs)
	r.Schedule.Wall = time.Since(r.Schedule.Start)

	recordDurations(history, r.Results.list())
	if err := resultdir.WriteState(r.Layout.Durations(), history); err != nil {
		r.Config.Log.Warn().Err(err).Msg("build and test durations not recorded")
	}
	r.recordPrior()
	return context.Cause(ctx)
}

// jobs is --jobs, or the engine's CPU count.
func (r *Run) jobs() int {
	if r.Config.Jobs > 0 {
		return r.Config.Jobs
	}
	if r.EngineCPUs > 0 {
		return r.EngineCPUs
	}
	return 1
}

// buildOrder starts the recipes that took longest last time first, so a long one does not start
// last and stretch the run; recipes without history keep their place after them.
func buildOrder(sel []*recipe.Recipe, took map[string]float64) []*recipe.Recipe {
	out := append([]*recipe.Recipe(nil), sel...)
	sort.SliceStable(out, func(i, j int) bool { return took[out[i].Name] > took[out[j].Name] })
	return out
}

// The durations of a result directory are the best estimates for its next run, but a new result
// directory has none, and the builds would then start in selection order, a long one perhaps
// last. The prior fills the gap: the durations of every run of this user, whatever its result
// directory, kept in the user's cache directory (Config.CacheDir), by recipe name. A recipe the
// result directory has a duration for keeps it.

// priorFile is the user's durations, or "" when the run keeps none.
func (r *Run) priorFile() string {
	if r.Config.CacheDir == "" {
		return ""
	}
	return filepath.Join(r.Config.CacheDir, "durations.json")
}

// priorDurations reads the user's durations (none when missing or damaged).
func (r *Run) priorDurations() map[string]float64 {
	m := map[string]float64{}
	if p := r.priorFile(); p != "" && !resultdir.ReadState(p, &m) {
		return map[string]float64{}
	}
	return m
}

// recordPrior adds this run's durations to the user's. Two runs ending at once may each write
// theirs: the file stays whole (the write is atomic) and the other's are learnt again.
func (r *Run) recordPrior() {
	p := r.priorFile()
	if p == "" {
		return
	}
	prior := r.priorDurations()
	recordDurations(prior, r.Results.list())
	if err := resultdir.WriteState(p, prior); err != nil {
		r.Config.Log.Debug().Err(err).Msg("durations not recorded in the cache directory")
	}
}

// withPrior is history, with prior's durations for what history has none of.
func withPrior(history, prior map[string]float64) map[string]float64 {
	out := map[string]float64{}
	maps.Copy(out, prior)
	maps.Copy(out, history)
	return out
}

// readDurations is how long each recipe took to build when it last did (see Layout.Durations).
func readDurations(l resultdir.Layout) map[string]float64 {
	m := map[string]float64{}
	if !resultdir.ReadState(l.Durations(), &m) {
		return map[string]float64{}
	}
	return m
}
