package driver

import (
	"context"
	"sort"

	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// buildStage runs one container per selected recipe, --jobs at a time. One recipe failing never
// stops the others; only cancellation of the run does.
type buildStage struct{}

func (buildStage) String() string { return "build recipes" }

func (buildStage) Run(ctx context.Context, r *Run) error {
	history := readDurations(r.Layout)
	queue := buildOrder(r.Selected, history)
	view := newLiveView(r, len(queue))
	defer view.Stop()

	r.forEachRecipe(ctx, queue, func(rc *recipe.Recipe) {
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
	})
	for _, res := range r.Results.list() {
		if res.Duration > 0 && res.Status != report.StatusCancelled && !res.Cached {
			history[res.Name] = res.Duration
		}
	}
	if err := resultdir.WriteState(r.Layout.Durations(), history); err != nil {
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

// readDurations is how long each recipe took to build when it last did (see Layout.Durations).
func readDurations(l resultdir.Layout) map[string]float64 {
	m := map[string]float64{}
	if !resultdir.ReadState(l.Durations(), &m) {
		return map[string]float64{}
	}
	return m
}
