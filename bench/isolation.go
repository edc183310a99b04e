package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/pkgdriver/pkgdriver/driver"
)

// Time to first line is measured with one clock: build.sh's first command prints
// `date +%s.%N` inside the container, which on a local engine reads the host's real-time clock,
// and the bench notes the host time just before it starts pkgdriver and the engine's time of the
// recipe container's create event. "From run start" is what a user waits for and includes the
// run's own steps that depend on the tree (the shared volume is filled once per run); "from
// create" is the recipe container's own start-up: the copy-on-write view, copy-in, start.

// isoCase is one configuration of the isolation metric.
type isoCase struct {
	name   string
	image  *toolchainImage
	result string
	share  bool
	copyA  bool // build.sh first copies the tree, as the old container did per recipe
}

// isoTimes are the seconds until build.sh's first line, and with --share-osv-dir how each
// run made the shared tree (report.json's "shared OSv tree").
type isoTimes struct {
	FromStart  []float64 `json:"from_run_start_s"`
	FromCreate []float64 `json:"from_container_create_s"`
	SharedTree []string  `json:"shared_tree,omitempty"`
}

func measureIsolation(ctx context.Context, e *env) ([]Row, error) {
	small, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("isolation")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	mb := e.scale.TreeMB
	bigSrc := filepath.Join(dir, "osv-big", "osv")
	e.step("isolation: writing a stand-in checkout with %d MB in %d files, and committing it", mb, mb)
	if err := e.standin(ctx, bigSrc, mb); err != nil {
		return nil, err
	}
	smallRes, bigRes := filepath.Join(dir, "result-small"), filepath.Join(dir, "result-big")
	// A first run in each result directory leaves the tree's input hash there, so the timed
	// runs do not hash the tree again, as no run after the first in a result directory does.
	e.step("isolation: toolchain image of the %d MB tree (built once, then reused by input hash)", mb)
	big, err := e.ensureImage(ctx, bigSrc, bigRes)
	if err != nil {
		return nil, err
	}
	if _, err := e.ensureImage(ctx, small.Src, smallRes); err != nil {
		return nil, err
	}
	recipes := filepath.Join(dir, "recipes")
	if err := writeRecipes(recipes, []string{"bench-iso"}, "date +%s.%N"); err != nil {
		return nil, err
	}
	copyRecipes := filepath.Join(dir, "recipes-cp")
	if err := writeRecipes(copyRecipes, []string{"bench-iso-cp"}, `cp -a "$OSV_DIR" /tmp/osv-copy`+"\ndate +%s.%N"); err != nil {
		return nil, err
	}
	cases := []isoCase{
		{name: "small-default", image: small, result: smallRes},
		{name: "big-default", image: big, result: bigRes},
		{name: "small-shared", image: small, result: smallRes, share: true},
		{name: "big-shared", image: big, result: bigRes, share: true},
		{name: "big-cp-a", image: big, result: bigRes, copyA: true},
	}
	times := map[string]*isoTimes{}
	// Each run is short and a busy host moves it by tenths of a second: two more repetitions
	// than the other metrics, each in a rotated order.
	reps := e.scale.Reps + 2
	for i := 0; i < reps; i++ {
		for k := range cases {
			c := cases[(i+k)%len(cases)]
			e.step("isolation %d/%d: %s", i+1, reps, c.name)
			run := pkgRun{Name: "iso-" + c.name, Recipes: recipes, Result: c.result, Image: c.image, Jobs: 1, NoCache: true, Share: c.share}
			name := "bench-iso"
			if c.copyA {
				run.Recipes, name = copyRecipes, "bench-iso-cp"
			}
			start, create, shared, err := e.timeToFirstLine(ctx, run, name)
			if err != nil {
				return nil, err
			}
			t := times[c.name]
			if t == nil {
				t = &isoTimes{}
				times[c.name] = t
			}
			t.FromStart, t.FromCreate = append(t.FromStart, start), append(t.FromCreate, create)
			if shared != "" {
				t.SharedTree = append(t.SharedTree, shared)
			}
		}
	}
	smallBytes, bigBytes := checkoutBytes(small.Src), checkoutBytes(bigSrc)
	at := func(c string) float64 { return median(times[c].FromStart) }
	atCreate := func(c string) float64 { return median(times[c].FromCreate) }
	sizes := fmt.Sprintf("%s vs %s tree", humanBytes(bigBytes), humanBytes(smallBytes))
	details := map[string]any{"times": times, "small_tree_bytes": smallBytes, "big_tree_bytes": bigBytes,
		"big_image": big.Tag, "small_image": small.Tag}
	perContainer := func(kind string) string {
		return fmt.Sprintf("From the recipe container's create event: %.2f s vs %.2f s.", atCreate("big-"+kind), atCreate("small-"+kind))
	}
	return []Row{{
		ID:     "isolation-default",
		Metric: "isolation (default, copy-on-write): first line of build.sh, " + sizes,
		Unit:   "s", Pkgdriver: at("big-default"), Baseline: at("small-default"), Ratio: ratio(at("big-default"), at("small-default")),
		RatioMeans: "time to first line with the large tree / with the small tree, from run start",
		Targets:    []Target{{On: "ratio", Op: "<=", Value: 1.2}},
		Note:       "From pkgdriver's start to build.sh's `date` (same clock); --jobs 1 --no-cache, one recipe. " + perContainer("default"),
		Details:    details,
	}, {
		ID:     "isolation-shared",
		Metric: "isolation (--share-osv-dir): first line of build.sh, " + sizes,
		Unit:   "s", Pkgdriver: at("big-shared"), Baseline: at("small-shared"), Ratio: ratio(at("big-shared"), at("small-shared")),
		RatioMeans: "time to first line with the large tree / with the small tree, from run start",
		Targets:    []Target{{On: "ratio", Op: "<=", Value: 1.2}},
		Note:       "As above with --share-osv-dir; the shared tree was " + sharedWays(times["big-shared"].SharedTree) + ". " + perContainer("shared"),
		Details:    details,
	}, {
		ID:     "isolation-old-way",
		Metric: "isolation: the old way (cp -a of the tree per recipe) vs copy-on-write, " + humanBytes(bigBytes) + " tree",
		Unit:   "s", Pkgdriver: at("big-default"), Baseline: at("big-cp-a"), Ratio: ratio(at("big-cp-a"), at("big-default")),
		RatioMeans: "speedup: time to first line after `cp -a $OSV_DIR` in the container / pkgdriver's copy-on-write time to first line",
		Note:       fmt.Sprintf("The baseline recipe runs `cp -a \"$OSV_DIR\" /tmp/osv-copy` before its first line, the per-recipe copy the old container made (%.2f s from create).", atCreate("big-cp-a")),
		Details:    details,
	}}, nil
}

// sharedWays says how the runs made their shared tree: the one way all used, or each.
func sharedWays(ways []string) string {
	if len(ways) == 0 {
		return "not reported"
	}
	for _, w := range ways[1:] {
		if w != ways[0] {
			return strings.Join(ways, "; ")
		}
	}
	return ways[0]
}

// timeToFirstLine runs one recipe and returns the seconds from pkgdriver's start, and from the
// recipe container's create event, to the time build.sh printed as its first line, and the
// report's word on the shared tree.
func (e *env) timeToFirstLine(ctx context.Context, run pkgRun, recipeName string) (fromStart, fromCreate float64, shared string, err error) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Since replays the engine's recent events, so a create that happens before the
	// subscription is in place is not missed; creates of earlier runs are skipped by time.
	msgs, errs := e.api.Events(ectx, events.ListOptions{
		Since: strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10),
		Filters: filters.NewArgs(filters.Arg("type", "container"), filters.Arg("event", "create"),
			filters.Arg("label", driver.LabelRecipe+"="+recipeName)),
	})
	var creates []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return
				}
				creates = append(creates, time.Unix(0, m.TimeNano))
			case <-errs:
				return
			case <-ectx.Done():
				return
			}
		}
	}()
	out, err := e.runPkgdriver(ctx, run)
	if err != nil {
		return 0, 0, "", err
	}
	first, err := firstLineTime(filepath.Join(run.Result, "log", recipeName+".log"))
	if err != nil {
		return 0, 0, "", err
	}
	if out.Report != nil {
		shared = out.Report.Settings["shared OSv tree"]
	}
	// The event stream lags a little behind the engine; the create is long past by now.
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	for _, t := range creates {
		if t.After(out.Start) && !t.After(first) {
			return first.Sub(out.Start).Seconds(), first.Sub(t).Seconds(), shared, nil
		}
	}
	return 0, 0, "", fmt.Errorf("no create event of the %s container during the run", recipeName)
}

// firstLineTime reads the `date +%s.%N` build.sh printed first.
func firstLineTime(logPath string) (time.Time, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: no first line: %w", logPath, err)
	}
	secStr, nsecStr, ok := strings.Cut(strings.TrimSpace(line), ".")
	sec, err1 := strconv.ParseInt(secStr, 10, 64)
	nsec, err2 := strconv.ParseInt(nsecStr, 10, 64)
	if !ok || err1 != nil || err2 != nil || len(nsecStr) != 9 {
		return time.Time{}, fmt.Errorf("%s: first line %q is not `date +%%s.%%N`", logPath, line)
	}
	return time.Unix(sec, nsec), nil
}

// checkoutBytes is the size of a checkout's files, without .git.
func checkoutBytes(src string) int64 {
	all, _ := treeBytes(src)
	git, _ := treeBytes(filepath.Join(src, ".git"))
	return all - git
}

func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
}
