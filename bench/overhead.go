package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// overheadBaseline does by hand, with the docker CLI, what pkgdriver does for one recipe: make
// a container with the build environment, copy the recipe in, run build.sh with its output in a
// log, copy the result out, remove the container, pack the result. `docker run --rm` cannot be
// followed by `docker cp`, so run is spelled out as create, start -a and rm.
const overheadBaseline = `
for n in $NAMES; do
  mkdir -p "$STAGE/$n/pkgdriver/recipes" "$STAGE/$n/pkgdriver/result/$n"
  cp -a "$RECIPES/$n" "$STAGE/$n/pkgdriver/recipes/"
  id=$("$DOCKER" create --label "pkgdriver.run=$RUN_LABEL" --label pkgdriver.role=bench-baseline \
    -e "RECIPE_DIR=/pkgdriver/recipes/$n" -e "PACKAGE_NAME=$n" -e "PACKAGE_RESULT_DIR=/pkgdriver/result/$n" \
    -e "PLATFORM=$PLATFORM" -e "OSV_DIR=/osv" \
    "$IMAGE" /bin/sh -c 'cd "$RECIPE_DIR" && exec ./build.sh 2>&1')
  "$DOCKER" cp "$STAGE/$n/pkgdriver" "$id:/"
  "$DOCKER" start -a "$id" >"$OUT/$n.log"
  "$DOCKER" cp "$id:/pkgdriver/result/$n" "$OUT/$n"
  "$DOCKER" rm -f "$id" >/dev/null
  tar -czf "$OUT/$n.mpm" -C "$OUT/$n" .
done
`

// containerOnly is the containers' own run: the same command in a plain `docker run --rm`.
const containerOnly = `
for n in $NAMES; do
  "$DOCKER" run --rm --label "pkgdriver.run=$RUN_LABEL" --label pkgdriver.role=bench-baseline \
    -e "PACKAGE_NAME=$n" -e "PACKAGE_RESULT_DIR=/tmp/$n" -e "PLATFORM=$PLATFORM" "$IMAGE" \
    /bin/sh -c 'mkdir -p "$PACKAGE_RESULT_DIR" && ` + packageInit + `' >/dev/null
done
`

// measureOverhead is metric 1: no-op recipes, one at a time, against the same work done with
// the docker CLI, and what pkgdriver adds per recipe beyond the containers' own run.
func measureOverhead(ctx context.Context, e *env) ([]Row, error) {
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("overhead")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	n := e.scale.Recipes
	names := recipeNames("noop", n)
	recipes := filepath.Join(dir, "recipes")
	if err := writeRecipes(recipes, names, "true"); err != nil {
		return nil, err
	}
	run := pkgRun{Name: "overhead", Recipes: recipes, Result: filepath.Join(dir, "result"), Image: img, Jobs: 1, NoCache: true}
	// A first run is not timed: it fills the result directory's toolchain state, as any run
	// after the first in a result directory finds it.
	if _, err := e.runPkgdriver(ctx, run); err != nil {
		return nil, err
	}
	vars := map[string]string{"NAMES": shellList(names), "RECIPES": recipes, "IMAGE": img.ID, "PLATFORM": img.Platform}
	var pkg, cli, bare []float64
	// Each repetition takes seconds and a busy host moves it by as much: two more repetitions
	// than the other metrics, and the three sides take turns going first.
	reps := e.scale.Reps + 2
	for i := 0; i < reps; i++ {
		e.step("overhead %d/%d: %d no-op recipes, --jobs 1", i+1, reps, n)
		vars["STAGE"], vars["OUT"] = filepath.Join(dir, fmt.Sprintf("stage%d", i)), filepath.Join(dir, fmt.Sprintf("out%d", i))
		if err := os.MkdirAll(vars["OUT"], 0o755); err != nil {
			return nil, err
		}
		sides := []func() error{
			func() error {
				out, err := e.runPkgdriver(ctx, run)
				if err != nil {
					return err
				}
				if built := countStatus(out.Report, "built"); built != n {
					return fmt.Errorf("overhead: %d of %d recipes built", built, n)
				}
				pkg = append(pkg, secs(out.Wall))
				return nil
			},
			func() error {
				t, err := e.shell(ctx, "overhead-cli", overheadBaseline, vars)
				cli = append(cli, secs(t))
				return err
			},
			func() error {
				t, err := e.shell(ctx, "overhead-run", containerOnly, vars)
				bare = append(bare, secs(t))
				return err
			},
		}
		for k := range sides {
			if err := sides[(i+k)%len(sides)](); err != nil {
				return nil, err
			}
		}
	}
	p, c, b := median(pkg), median(cli), median(bare)
	per := (p - b) / float64(n)
	details := map[string]any{"pkgdriver_s": pkg, "docker_cli_loop_s": cli, "docker_run_rm_loop_s": bare, "recipes": n}
	return []Row{{
		ID:     "overhead",
		Metric: fmt.Sprintf("driver overhead: %d no-op recipes, --jobs 1", n),
		Unit:   "s", Pkgdriver: p, Baseline: c, Ratio: ratio(p, c),
		RatioMeans: "pkgdriver time / time of a shell loop doing the same with the docker CLI (create, cp in, start -a, cp out, rm, tar -czf)",
		Targets:    []Target{{On: "ratio", Op: "<=", Value: 1.0}},
		Note:       "Whole `pkgdriver run` wall time (process start to exit: toolchain check, loader, report included), --no-cache --accel tcg --skip-tests; median of the repetitions.",
		Details:    details,
	}, {
		ID:     "overhead-per-recipe",
		Metric: "driver overhead per recipe beyond the container's run",
		Unit:   "s", Pkgdriver: per, Baseline: b / float64(n), Ratio: ratio(per, b/float64(n)),
		RatioMeans: "pkgdriver's per-recipe overhead / the per-recipe time of `docker run --rm` of the same command",
		Targets:    []Target{{On: "pkgdriver", Op: "<", Value: 0.5}},
		Note:       fmt.Sprintf("(pkgdriver time - time of a `docker run --rm` loop of the same %d commands) / %d; the baseline column is the per-recipe `docker run --rm` time.", n, n),
		Details:    details,
	}}, nil
}
