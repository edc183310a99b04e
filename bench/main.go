// Command bench measures how fast pkgdriver turns recipes into packages, each figure against a
// baseline measured in the same run on the same machine (issue 7), and prints one table:
// metric, pkgdriver, baseline, ratio, target, met?. It writes the same as JSON.
//
//	go run ./bench -out bench/results.json            # the full run (about 20 minutes)
//	go run ./bench -quick                             # a scaled-down smoke run
//	go run ./bench -metrics overhead,parallel         # some metrics only
//
// It needs a Docker engine (scripts/ensure-engine.sh), the base image pkgdriver/debian:bookworm
// and, for the baselines only, the docker CLI. Toolchain images are kept under
// pkgdriver-bench/toolchain and reused by input hash; -clean-images removes them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
)

// Scale sizes the measurements; -quick shrinks them for a smoke run.
type Scale struct {
	Reps          int     `json:"repetitions"`
	Recipes       int     `json:"overhead_recipes"`
	SleepSeconds  float64 `json:"parallel_sleep_seconds"`
	CachedRecipes int     `json:"cached_recipes"`
	TreeMB        int     `json:"isolation_tree_mb"`
	PackMB        int     `json:"pack_tree_mb"`
	LogMiB        int     `json:"log_mib"`
	GatherMB      int     `json:"gather_mb"`
	GatherFiles   int     `json:"gather_files"`
}

func fullScale() Scale {
	return Scale{Reps: 3, Recipes: 8, SleepSeconds: 3, CachedRecipes: 20, TreeMB: 2000, PackMB: 500,
		LogMiB: 1024, GatherMB: 1000, GatherFiles: 10000}
}

func quickScale() Scale {
	return Scale{Reps: 1, Recipes: 8, SleepSeconds: 1, CachedRecipes: 20, TreeMB: 64, PackMB: 50,
		LogMiB: 64, GatherMB: 100, GatherFiles: 1000}
}

// options are the command line.
type options struct {
	out         string
	metrics     []string
	quick       bool
	scale       Scale
	workDir     string
	keepWork    bool
	baseImage   string
	cleanImages bool
	// osvSrc and osvCommits are the real OSv checkout and its two commits N and N+1 of the
	// realosv metric.
	osvSrc     string
	osvCommits []string
}

// metric is one measurement of issue 7.
type metric struct {
	name    string
	about   string
	measure func(context.Context, *env) ([]Row, error)
}

func metrics() []metric {
	return []metric{
		{"overhead", "driver overhead: no-op recipes against the docker CLI", measureOverhead},
		{"parallel", "parallel speedup: sleeping recipes, --jobs N against --jobs 1", measureParallel},
		{"isolation", "isolation cost: first line of build.sh on a large against a small OSv tree", measureIsolation},
		{"cached", "nothing changed: a second run of cached recipes against the first", measureCached},
		{"pack", "packing a mixed package tree against tar -czf", measurePacking},
		{"logs", "log streaming of a loud recipe against docker logs -f, and peak RSS", measureLogs},
		{"gather", "artifact gathering against docker cp", measureGather},
		{"realosv", "real OSv: incremental toolchain against from scratch, the catalogue against its critical path", measureRealOSv},
		{"kubernetes", "the Kubernetes runner against the Docker engine: sleeping recipes in parallel, and a pod's overhead per recipe", measureKubernetes},
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	full, quick := fullScale(), quickScale()
	var list string
	var reps, recipes, cached, tree, pack, logMiB, gatherMB, gatherFiles int
	var sleep float64
	fs.StringVar(&o.out, "out", "bench/results.json", "where the JSON results go")
	fs.StringVar(&list, "metrics", "all", "comma list of metrics to run: all or "+strings.Join(metricNames(), ","))
	fs.BoolVar(&o.quick, "quick", false, "a scaled-down smoke run (a few minutes)")
	fs.IntVar(&reps, "reps", 0, fmt.Sprintf("repetitions of each timing, median reported (default %d, quick %d)", full.Reps, quick.Reps))
	fs.IntVar(&recipes, "recipes", 0, fmt.Sprintf("no-op recipes of the overhead and parallel metrics (default %d)", full.Recipes))
	fs.Float64Var(&sleep, "sleep", 0, fmt.Sprintf("seconds each parallel recipe sleeps (default %g, quick %g)", full.SleepSeconds, quick.SleepSeconds))
	fs.IntVar(&cached, "cached-recipes", 0, fmt.Sprintf("recipes of the nothing-changed metric (default %d)", full.CachedRecipes))
	fs.IntVar(&tree, "tree-mb", 0, fmt.Sprintf("size of the large OSv tree, in 1 MB files (default %d, quick %d)", full.TreeMB, quick.TreeMB))
	fs.IntVar(&pack, "pack-mb", 0, fmt.Sprintf("size of the package tree to pack (default %d, quick %d)", full.PackMB, quick.PackMB))
	fs.IntVar(&logMiB, "log-mib", 0, fmt.Sprintf("MiB the loud recipe writes to stdout (default %d, quick %d)", full.LogMiB, quick.LogMiB))
	fs.IntVar(&gatherMB, "gather-mb", 0, fmt.Sprintf("size of the gathered result (default %d, quick %d)", full.GatherMB, quick.GatherMB))
	fs.IntVar(&gatherFiles, "gather-files", 0, fmt.Sprintf("files of the gathered result (default %d, quick %d)", full.GatherFiles, quick.GatherFiles))
	fs.StringVar(&o.workDir, "work", os.TempDir(), "where the scratch directory is made")
	fs.BoolVar(&o.keepWork, "keep-work", false, "keep the scratch directory (logs, trees) for inspection")
	fs.StringVar(&o.baseImage, "base-image", "pkgdriver/debian:bookworm", "base image of the toolchain images")
	fs.BoolVar(&o.cleanImages, "clean-images", false, "remove the bench's toolchain images and exit")
	fs.StringVar(&o.osvSrc, "osv-src", os.Getenv("OSV_SRC"), "a real OSv checkout for the realosv metric (default $OSV_SRC; read only: the bench works on a copy)")
	var commits string
	fs.StringVar(&commits, "osv-commits", "HEAD~1,HEAD", "commits N,N+1 of -osv-src for the incremental toolchain")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.osvCommits = strings.Split(commits, ","); len(o.osvCommits) != 2 {
		return o, fmt.Errorf("-osv-commits: want two commits N,N+1, got %q", commits)
	}
	o.scale = full
	if o.quick {
		o.scale = quick
	}
	for _, f := range []struct {
		v   int
		dst *int
	}{{reps, &o.scale.Reps}, {recipes, &o.scale.Recipes}, {cached, &o.scale.CachedRecipes}, {tree, &o.scale.TreeMB},
		{pack, &o.scale.PackMB}, {logMiB, &o.scale.LogMiB}, {gatherMB, &o.scale.GatherMB}, {gatherFiles, &o.scale.GatherFiles}} {
		if f.v < 0 {
			return o, errors.New("sizes and counts must not be negative")
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if sleep > 0 {
		o.scale.SleepSeconds = sleep
	}
	if list == "all" || list == "" {
		o.metrics = metricNames()
		if o.osvSrc == "" { // realosv needs a real OSv checkout: "all" means all that can run
			o.metrics = slices.DeleteFunc(o.metrics, func(m string) bool { return m == "realosv" })
		}
	} else {
		for _, m := range strings.Split(list, ",") {
			m = strings.TrimSpace(m)
			if !slices.Contains(metricNames(), m) {
				return o, fmt.Errorf("-metrics: unknown metric %q (have %s)", m, strings.Join(metricNames(), ", "))
			}
			o.metrics = append(o.metrics, m)
		}
	}
	return o, nil
}

func metricNames() []string {
	var names []string
	for _, m := range metrics() {
		names = append(names, m.name)
	}
	return names
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.cleanImages {
		err = cleanImages(ctx)
	} else {
		err = run(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run measures the selected metrics, prints the table and writes the JSON. A metric that fails
// is reported as an error row; the others still run.
func run(ctx context.Context, o options) error {
	start := time.Now()
	e, err := newEnv(ctx, o)
	if err != nil {
		return err
	}
	defer e.close(o.keepWork)
	res := &Results{Started: start.UTC(), Quick: o.quick, Scale: o.scale, Host: e.host(ctx), Packing: packingCompressor}
	for _, m := range metrics() {
		if !slices.Contains(o.metrics, m.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		e.step("== %s: %s", m.name, m.about)
		t0 := time.Now()
		rows, err := m.measure(ctx, e)
		if err != nil {
			e.step("%s failed: %v", m.name, err)
			rows = []Row{{ID: m.name, Metric: m.about, Error: err.Error()}}
		}
		for i := range rows {
			rows[i].judge()
			if o.quick && rows[i].Error == "" {
				rows[i].Note += " Scaled down (-quick): not the issue's sizes."
			}
		}
		res.Rows = append(res.Rows, rows...)
		e.step("%s took %s", m.name, time.Since(t0).Round(time.Second))
	}
	res.Seconds = time.Since(start).Round(time.Second).Seconds()
	res.Warnings = e.warnings
	if err := res.PrintTable(os.Stdout); err != nil {
		return err
	}
	if err := res.WriteJSON(o.out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: results written to %s (%s)\n", o.out, time.Since(start).Round(time.Second))
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// cleanImages removes the toolchain images the bench made (tagged pkgdriver-bench/toolchain).
func cleanImages(ctx context.Context) error {
	api, err := newClient(ctx)
	if err != nil {
		return err
	}
	defer api.Close()
	list, err := api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", benchRepository))})
	if err != nil {
		return err
	}
	var errs []error
	for _, img := range list {
		if _, err := api.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: removed %s %v\n", img.ID[:19], img.RepoTags)
	}
	return errors.Join(errs...)
}
