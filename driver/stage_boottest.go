package driver

import (
	"context"
	"slices"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// testList resolves the recipes to test, warning about the known-broken ones among them that
// were not built (the select stage warned about the built ones).
func (r *Run) testList() ([]*recipe.Recipe, error) {
	list, err := r.Catalog.ResolveTests(r.Selected, r.Config.TestRecipes)
	if err != nil {
		return nil, err
	}
	warnKnownBroken(r, slices.DeleteFunc(slices.Clone(list), func(rc *recipe.Recipe) bool { return slices.Contains(r.Selected, rc) }))
	return list, nil
}

// testRecipe decides whether a recipe's demo can run, and runs it. release, when not nil, is
// called once the demo only waits out its grace (see boot).
func (r *Run) testRecipe(ctx context.Context, rc *recipe.Recipe, release func()) *report.TestResult {
	res, built := r.Results.get(rc.Name)
	switch {
	case rc.Demo == nil:
		return &report.TestResult{Status: report.TestUntested, Reason: "the recipe has no demo"}
	case ctx.Err() != nil:
		return &report.TestResult{Status: report.TestCancelled}
	case built && !res.Status.OK() && res.Status != report.StatusNotBuilt:
		return &report.TestResult{Status: report.TestSkipped, Reason: "the build " + string(res.Status)}
	case res.Cached:
		if e := readCache(r.Layout, rc.Name); e != nil && e.Key == res.CacheKey && e.TestedKey == e.Key {
			return &report.TestResult{Status: report.TestCached, Reason: "passed before with the same inputs"}
		}
	}
	t := (&demoTest{run: r, recipe: rc, release: release}).Run(ctx)
	if t.Status == report.TestPassed && res.CacheKey != "" {
		if e := readCache(r.Layout, rc.Name); e != nil && e.Key == res.CacheKey {
			e.TestedKey = e.Key
			if err := resultdir.WriteState(r.Layout.CacheFile(rc.Name), e); err != nil {
				r.Config.Log.Warn().Err(err).Str("recipe", rc.Name).Msg("cache entry not written")
			}
		}
	}
	return t
}
