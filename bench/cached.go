package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// measureCached is metric 4: a run in which nothing changed, against the first run that built
// everything. Each repetition starts from an empty result directory.
func measureCached(ctx context.Context, e *env) ([]Row, error) {
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("cached")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	n := e.scale.CachedRecipes
	recipes := filepath.Join(dir, "recipes")
	if err := writeRecipes(recipes, recipeNames("cached", n), "true"); err != nil {
		return nil, err
	}
	var first, second []float64
	for i := 0; i < e.scale.Reps; i++ {
		result := filepath.Join(dir, fmt.Sprintf("result%d", i))
		run := pkgRun{Name: "cached-first", Recipes: recipes, Result: result, Image: img}
		e.step("nothing changed %d/%d: first run of %d recipes", i+1, e.scale.Reps, n)
		out, err := e.runPkgdriver(ctx, run)
		if err != nil {
			return nil, err
		}
		if built := countStatus(out.Report, "built"); built != n {
			return nil, fmt.Errorf("first run: %d of %d recipes built", built, n)
		}
		first = append(first, secs(out.Wall))
		e.step("nothing changed %d/%d: second run", i+1, e.scale.Reps)
		run.Name = "cached-second"
		if out, err = e.runPkgdriver(ctx, run); err != nil {
			return nil, err
		}
		if c := countStatus(out.Report, "cached"); c != n {
			return nil, fmt.Errorf("second run: %d of %d recipes came from the cache", c, n)
		}
		second = append(second, secs(out.Wall))
		if err := os.RemoveAll(result); err != nil {
			return nil, err
		}
	}
	s, f := median(second), median(first)
	return []Row{{
		ID:     "cached",
		Metric: fmt.Sprintf("nothing changed: %d recipes, second run vs first", n),
		Unit:   "s", Pkgdriver: s, Baseline: f, Ratio: ratio(f, s),
		RatioMeans: "speedup: first run time / second run time",
		Targets:    []Target{{On: "ratio", Op: ">=", Value: 20}, {On: "pkgdriver", Op: "<", Value: 3}},
		Note:       "Default --jobs (the engine's CPUs), caching on; the first run starts from an empty result directory, the second finds every package cached.",
		Details:    map[string]any{"first_s": first, "second_s": second},
	}}, nil
}
