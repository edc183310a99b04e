package driver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/linetail"
	"github.com/pkgdriver/pkgdriver/recipe"
)

// buildStage runs one container per selected recipe, --jobs at a time. One recipe failing never
// stops the others; only cancellation of the run does.
type buildStage struct{}

func (buildStage) String() string { return "build recipes" }

func (buildStage) Run(ctx context.Context, r *Run) error {
	history := r.Layout.readDurations()
	queue := buildOrder(r.Selected, history)
	view := newLiveView(r, len(queue))
	defer view.Stop()

	g := errgroup.Group{}
	g.SetLimit(r.jobs())
	for _, rc := range queue {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return nil // cancelled while queued: stays "queued" in the report
			}
			b := &recipeBuild{run: r, recipe: rc, tail: linetail.New(failureTailLines)}
			view.Started(rc.Name, b.tail)
			res := b.runSafely(ctx)
			r.Results.set(res)
			view.Done(res)
			return nil
		})
	}
	_ = g.Wait()
	for _, res := range r.Results.list() {
		if res.Duration > 0 && res.Status != StatusCancelled && !res.Cached {
			history[res.Name] = res.Duration
		}
	}
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
