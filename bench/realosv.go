package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/report"
)

// The realosv metric needs a real OSv checkout (-osv-src or OSV_SRC) and works on a copy of it
// (the tracked and untracked files, not build/), so the checkout itself is only read. A file
// with this run's time is added to the copy: no layer an earlier build cached matches it, so
// the builds from scratch really compile the kernel. The copy is built as it is (--allow-dirty):
// a checkout whose submodules are not all initialised is dirty anyway.

func measureRealOSv(ctx context.Context, e *env) ([]Row, error) {
	if e.osvSrc == "" {
		return nil, errors.New("needs a real OSv checkout: -osv-src DIR or OSV_SRC=DIR")
	}
	var commits [2]string
	for i, c := range e.osvCommits {
		out, err := exec.CommandContext(ctx, "git", "-C", e.osvSrc, "rev-parse", "--verify", c+"^{commit}").Output()
		if err != nil {
			return nil, fmt.Errorf("-osv-commits %s in %s: %w", c, e.osvSrc, err)
		}
		commits[i] = strings.TrimSpace(string(out))
	}
	dir, err := e.dir("realosv")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	src := filepath.Join(dir, "osv")
	e.step("realosv: copying %s (without build/) and checking out %s", e.osvSrc, commits[0][:12])
	nonce := fmt.Sprintf("%d", time.Now().UnixNano())
	if _, err := e.shell(ctx, "realosv-copy", `mkdir -p "$DST" && tar -C "$SRC" --exclude=./build -cf - . | tar -C "$DST" -xf -
echo "pkgdriver bench $NONCE" >"$DST/pkgdriver-bench-nonce"
git -C "$DST" checkout -q --detach "$N"`, map[string]string{"SRC": e.osvSrc, "DST": src, "NONCE": nonce, "N": commits[0]}); err != nil {
		return nil, err
	}
	toolchainOnly := []string{"--recipes", "[]", "--skip-tests"}
	img := &toolchainImage{Src: src}
	e.step("realosv: toolchain image of N = %s (from scratch unless an image of the same lineage exists)", commits[0][:12])
	if _, err := e.runPkgdriver(ctx, pkgRun{Name: "osv-n", Result: filepath.Join(dir, "result-n"), Image: img, RealOSv: true, Extra: toolchainOnly}); err != nil {
		return nil, err
	}
	// The catalogue as the nightly users have it: last night's run on N, then tonight's on N+1 in
	// the same result directory, with last night's durations as its history.
	catRes := filepath.Join(dir, "result-catalogue")
	e.step("realosv: the built-in catalogue on N's toolchain (last night: the history of the measured run)")
	night, err := e.runPkgdriver(ctx, pkgRun{Name: "osv-catalogue-n", Result: catRes, Image: img, RealOSv: true, AllowFailed: true})
	if err != nil {
		return nil, err
	}
	if _, err := e.shell(ctx, "realosv-checkout", `git -C "$DST" checkout -q --detach "$N1"`, map[string]string{"DST": src, "N1": commits[1]}); err != nil {
		return nil, err
	}
	e.step("realosv: toolchain image of N+1 = %s, incremental on N's", commits[1][:12])
	load := loadAverage()
	incRes := filepath.Join(dir, "result-n1")
	inc, err := e.runPkgdriver(ctx, pkgRun{Name: "osv-n1-incremental", Result: incRes, Image: img, RealOSv: true, Extra: toolchainOnly})
	if err != nil {
		return nil, err
	}
	if inc.Report.Toolchain == nil || inc.Report.Toolchain.BuiltOn == "" {
		return nil, errors.New("the toolchain image of N+1 was not built on N's: no incremental build happened")
	}
	e.step("realosv: toolchain image of N+1 from scratch")
	scratch, err := e.runPkgdriver(ctx, pkgRun{Name: "osv-n1-scratch", Result: filepath.Join(dir, "result-n1-scratch"), Image: img, RealOSv: true,
		Extra: append([]string{"--toolchain-from-scratch", "--image-build-arg", "PKGDRIVER_BENCH_FROM_SCRATCH=" + nonce}, toolchainOnly...)})
	if err != nil {
		return nil, err
	}
	load += " / " + loadAverage()
	incKernel, err := e.kernelIdentity(ctx, inc.Report.Toolchain.ID)
	if err != nil {
		return nil, err
	}
	scratchKernel, err := e.kernelIdentity(ctx, scratch.Report.Toolchain.ID)
	if err != nil {
		return nil, err
	}
	rows := []Row{{
		ID: "toolchain-incremental", Metric: "toolchain image of OSv N+1 after N: incremental against from scratch (real OSv)", Unit: "s",
		Pkgdriver: inc.Wall.Seconds(), Baseline: scratch.Wall.Seconds(), Ratio: inc.Wall.Seconds() / scratch.Wall.Seconds(),
		RatioMeans: "the share of a from-scratch build of N+1 that the incremental build after N takes",
		Targets:    []Target{{On: "ratio", Op: "<=", Value: 0.25}},
		Details: map[string]any{"n": commits[0], "n1": commits[1], "built_on": inc.Report.Toolchain.BuiltOn,
			"kernel_incremental": incKernel, "kernel_from_scratch": scratchKernel, "load_average": load},
	}}
	// OSv links loader.elf with ld and no --build-id, so it has no build-id note: the stripped
	// kernel's bytes are compared instead (debug info left out, which holds build paths).
	if k := "loader-stripped.elf sha256"; incKernel[k] != scratchKernel[k] {
		rows[0].Error = fmt.Sprintf("the kernels differ: loader-stripped.elf sha256 %s incremental, %s from scratch",
			incKernel[k], scratchKernel[k])
	}

	e.step("realosv: the built-in catalogue on N+1's toolchain, in last night's result directory")
	load = loadAverage()
	cat, err := e.runPkgdriver(ctx, pkgRun{Name: "osv-catalogue-n1", Result: catRes, Image: img, RealOSv: true, AllowFailed: true})
	if err != nil {
		return append(rows, Row{ID: "catalogue-schedule", Metric: "catalogue", Error: err.Error()}), nil
	}
	return append(rows, catalogueRow(night, cat, load+" / "+loadAverage())), nil
}

// catalogueRow is the schedule of cat, tonight's catalogue run, after night's on the previous
// toolchain in the same result directory.
func catalogueRow(night, cat *pkgOutcome, load string) Row {
	row := Row{ID: "catalogue-schedule", Metric: "built-in catalogue on real OSv, OSv N+1 after N: wall time of builds and tests against their critical path", Unit: "s",
		RatioMeans: "how much longer than its longest build-and-test chain the run took (1: the slots cost nothing)",
		Targets:    []Target{{On: "ratio", Op: "<=", Value: 1.15}}}
	s := cat.Report.Schedule
	if s == nil || s.CriticalPathSeconds <= 0 {
		row.Error = "the report has no schedule"
		return row
	}
	row.Pkgdriver, row.Baseline, row.Ratio = s.WallSeconds, s.CriticalPathSeconds, s.WallSeconds/s.CriticalPathSeconds
	row.Details = map[string]any{"jobs": s.Jobs, "critical_path": s.CriticalPath, "run_seconds": cat.Wall.Seconds(),
		"work_seconds": s.WorkSeconds, "lower_bound_seconds": s.LowerBoundSeconds,
		"wall_against_lower_bound": s.WallSeconds / s.LowerBoundSeconds,
		"built":                    countStatus(cat.Report, report.StatusBuilt), "cached": countStatus(cat.Report, report.StatusCached),
		"status": cat.Report.Status, "load_average": load}
	if ns := night.Report.Schedule; ns != nil {
		row.Details["previous_night"] = map[string]any{"wall_seconds": ns.WallSeconds, "critical_path_seconds": ns.CriticalPathSeconds,
			"lower_bound_seconds": ns.LowerBoundSeconds, "run_seconds": night.Wall.Seconds()}
	}
	if n := countStatus(cat.Report, report.StatusCached); n > 0 {
		// A new toolchain changes every recipe's inputs: a cached one would not be tonight's build.
		row.Error = fmt.Sprintf("%d recipes came from the cache on N+1's toolchain: the run is not the night after an OSv commit", n)
	}
	return row
}

// kernelIdentity reads the sha256 of the image's kernel files, and loader.elf's build-id when it
// has one.
func (e *env) kernelIdentity(ctx context.Context, image string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, e.docker, "run", "--rm", "--network", "none", "--label", "pkgdriver.run="+e.runLabel,
		image, "sh", "-c", `cd /osv/build/release && printf 'loader.elf build-id %s\n' "$(readelf -n loader.elf | sed -n 's/.*Build ID: //p')" && sha256sum loader.img loader-stripped.elf vmlinuz.bin`).Output()
	if err != nil {
		return nil, fmt.Errorf("read the kernel of %s: %w", image, err)
	}
	id := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if v, ok := strings.CutPrefix(line, "loader.elf build-id "); ok {
			id["loader.elf build-id"] = v
		} else if sum, name, ok := strings.Cut(line, "  "); ok {
			id[name+" sha256"] = sum
		}
	}
	return id, nil
}

// loadAverage is the host's 1, 5 and 15 minute load average.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}
