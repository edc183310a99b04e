package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/recipe"
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
	history := r.Layout.readDurations()
	queue := buildOrder(r.Selected, history)
	view := newLiveView(r, len(queue))
	defer view.Stop()

	jobs := r.jobs()
	r.Schedule = &scheduleTimes{Start: time.Now(), Jobs: jobs}
	newScheduler(r, view, queue, tests, history).Run(ctx, jobs)
	r.Schedule.Wall = time.Since(r.Schedule.Start)

	recordDurations(history, r.Results.list())
	if err := r.Layout.writeDurations(history); err != nil {
		r.Config.Log.Warn().Err(err).Msg("build durations not recorded")
	}
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

// Build durations are kept across runs in the state directory: a run that stopped early (or
// only hit the cache) must not make pkgdriver forget how long each recipe takes.
func (l Layout) durationsFile() string { return filepath.Join(l.State(), "durations.json") }

func (l Layout) readDurations() map[string]float64 {
	m := map[string]float64{}
	if data, err := os.ReadFile(l.durationsFile()); err == nil {
		_ = json.Unmarshal(data, &m)
	}
	return m
}

func (l Layout) writeDurations(m map[string]float64) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.durationsFile(), data, 0o644)
}

// runSafely turns a panic in one recipe's build into that recipe's failure: one bad input must
// not take the run, and the cleanup of every other recipe, down with it. The build's own deferred
// cleanup has run by the time the panic arrives here.
func (b *recipeBuild) runSafely(ctx context.Context) (res *RecipeResult) {
	defer func() {
		if p := recover(); p != nil {
			b.run.Config.Log.Error().Str("recipe", b.recipe.Name).Str("stack", string(debug.Stack())).Msg("internal error")
			res = &RecipeResult{Name: b.recipe.Name, Status: StatusFailed, Phase: "internal",
				Error: fmt.Sprintf("recipe %s: internal error in pkgdriver: %v", recipe.DisplayName(b.recipe.Name), p)}
		}
	}()
	return b.Run(ctx)
}
