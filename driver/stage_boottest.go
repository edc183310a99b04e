package driver

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/pkgdriver/pkgdriver/recipe"
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

// testRecipe decides whether a recipe's demo can run, and runs it.
func (r *Run) testRecipe(ctx context.Context, rc *recipe.Recipe) *TestResult {
	res, built := r.Results.get(rc.Name)
	switch {
	case rc.Demo == nil:
		return &TestResult{Status: TestUntested, Reason: "the recipe has no demo"}
	case ctx.Err() != nil:
		return &TestResult{Status: TestCancelled}
	case built && !res.Status.OK() && res.Status != StatusNotBuilt:
		return &TestResult{Status: TestSkipped, Reason: "the build " + string(res.Status)}
	case res.Cached:
		if e, err := r.Layout.readCache(rc.Name); err == nil && e.Key == res.CacheKey && e.TestedKey == e.Key {
			return &TestResult{Status: TestCached, Reason: "passed before with the same inputs"}
		}
	}
	t := (&demoTest{run: r, recipe: rc}).Run(ctx)
	if t.Status == TestPassed && res.CacheKey != "" {
		if e, err := r.Layout.readCache(rc.Name); err == nil && e.Key == res.CacheKey {
			e.TestedKey = e.Key
			if err := r.Layout.writeCache(rc.Name, e); err != nil {
				r.Config.Log.Warn().Err(err).Str("recipe", rc.Name).Msg("cache entry not written")
			}
		}
	}
	return t
}

// testSafely turns a panic in one recipe's test into that test's failure (see runSafely).
func (r *Run) testSafely(ctx context.Context, rc *recipe.Recipe) (res *TestResult) {
	defer func() {
		if p := recover(); p != nil {
			r.Config.Log.Error().Str("recipe", rc.Name).Str("stack", string(debug.Stack())).Msg("internal error")
			res = &TestResult{Status: TestFailed, Phase: "internal",
				Error: fmt.Sprintf("recipe %s: demo: internal error in pkgdriver: %v", rc.Name, p)}
		}
	}()
	return r.testRecipe(ctx, rc)
}
