package main

import (
	"context"
	"fmt"
	"path/filepath"
)

// parallelFloor is what the engine itself needs to run the same containers at once: every
// `docker run --rm` started together, then waited for.
const parallelFloor = `
for n in $NAMES; do
  "$DOCKER" run --rm --label "pkgdriver.run=$RUN_LABEL" --label pkgdriver.role=bench-baseline "$IMAGE" \
    /bin/sh -c "sleep $SLEEP" >/dev/null &
done
wait
`

// measureParallel is metric 2: recipes that only sleep, all at once against one at a time.
// Sleeping costs no CPU, so the ideal speedup is the number of recipes; what is lost is the
// driver's own serial work and the engine's.
func measureParallel(ctx context.Context, e *env) ([]Row, error) {
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("parallel")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	n, sleep := e.scale.Recipes, e.scale.SleepSeconds
	recipes := filepath.Join(dir, "recipes")
	if err := writeRecipes(recipes, recipeNames("sleep", n), fmt.Sprintf("sleep %g", sleep)); err != nil {
		return nil, err
	}
	run := pkgRun{Name: "parallel", Recipes: recipes, Result: filepath.Join(dir, "result"), Image: img, NoCache: true, Jobs: 1}
	if _, err := e.runPkgdriver(ctx, run); err != nil { // fills the toolchain state; not timed
		return nil, err
	}
	names := recipeNames("sleep", n)
	vars := map[string]string{"NAMES": shellList(names), "IMAGE": img.ID, "SLEEP": fmt.Sprint(sleep)}
	var serial, wide, floor []float64
	for i := 0; i < e.scale.Reps; i++ {
		for _, jobs := range []int{n, 1} {
			e.step("parallel %d/%d: %d × sleep %g, --jobs %d", i+1, e.scale.Reps, n, sleep, jobs)
			run.Jobs, run.Name = jobs, fmt.Sprintf("parallel-j%d", jobs)
			out, err := e.runPkgdriver(ctx, run)
			if err != nil {
				return nil, err
			}
			if jobs == 1 {
				serial = append(serial, secs(out.Wall))
			} else {
				wide = append(wide, secs(out.Wall))
			}
		}
		t, err := e.shell(ctx, "parallel-floor", parallelFloor, vars)
		if err != nil {
			return nil, err
		}
		floor = append(floor, secs(t))
	}
	w, s, f := median(wide), median(serial), median(floor)
	limit := sleep + 2 // issue 3: eight 3 s sleeps in under 5 s
	return []Row{{
		ID:     "parallel",
		Metric: fmt.Sprintf("parallel: %d × sleep %g, --jobs %d vs --jobs 1", n, sleep, n),
		Unit:   "s", Pkgdriver: w, Baseline: s, Ratio: ratio(s, w),
		RatioMeans: fmt.Sprintf("speedup: --jobs 1 time / --jobs %d time", n),
		Targets:    []Target{{On: "ratio", Op: ">=", Value: 5}, {On: "pkgdriver", Op: "<", Value: limit}},
		Note:       fmt.Sprintf("Whole-run wall times, --no-cache; pkgdriver column is --jobs %d, baseline --jobs 1. The ideal speedup is %d×; the time target is issue 3's (%g s sleeps done in under %g s).", n, n, sleep, limit),
		Details:    map[string]any{"jobs_n_s": wide, "jobs_1_s": serial, "docker_run_parallel_s": floor},
	}, {
		ID:     "parallel-floor",
		Metric: fmt.Sprintf("parallel: --jobs %d vs the engine's own floor", n),
		Unit:   "s", Pkgdriver: w, Baseline: f, Ratio: ratio(w, f),
		RatioMeans: fmt.Sprintf("pkgdriver --jobs %d time / time of %d `docker run --rm sleep %g` started together", n, n, sleep),
		Note:       "How close the parallel run comes to what the engine needs to start, run and remove the same containers at once on this machine.",
		Details:    map[string]any{"jobs_n_s": wide, "docker_run_parallel_s": floor},
	}}, nil
}
