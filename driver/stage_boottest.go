package driver

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// testStage boots each selected recipe's demo as a unikernel and matches its console against
// the expected output: in parallel under the same --jobs limit as builds.
type testStage struct{}

func (testStage) String() string { return "test recipes" }

func (testStage) Run(ctx context.Context, r *Run) error {
	if r.Config.SkipTests {
		return errSkip{"SKIP_TESTS"}
	}
	list, err := r.testList()
	if err != nil {
		return err
	}
	g := errgroup.Group{}
	g.SetLimit(r.jobs())
	for _, rc := range list {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r.Results.setTest(rc.Name, r.testSafely(ctx, rc))
			return nil
		})
	}
	_ = g.Wait()
	return context.Cause(ctx)
}

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
func (r *Run) testRecipe(ctx context.Context, rc *recipe.Recipe) *report.TestResult {
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
	t := (&demoTest{run: r, recipe: rc}).Run(ctx)
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

// testSafely turns a panic in one recipe's test into that test's failure (see runSafely).
func (r *Run) testSafely(ctx context.Context, rc *recipe.Recipe) (res *report.TestResult) {
	defer func() {
		if p := recover(); p != nil {
			r.Config.Log.Error().Str("recipe", rc.Name).Str("stack", string(debug.Stack())).Msg("internal error")
			res = &report.TestResult{Status: report.TestFailed, Phase: "internal",
				Error: fmt.Sprintf("recipe %s: demo: internal error in pkgdriver: %v", rc.Name, p)}
		}
	}()
	return r.testRecipe(ctx, rc)
}
