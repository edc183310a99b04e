package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// logsBaseline runs the same command in a container with the engine's default json-file log
// driver and follows its log into a file, as a shell script around the old container would.
const logsBaseline = `
id=$("$DOCKER" run -d --label "pkgdriver.run=$RUN_LABEL" --label pkgdriver.role=bench-baseline "$IMAGE" /bin/sh -c "$CMD")
"$DOCKER" logs -f "$id" >"$OUT" 2>&1
"$DOCKER" rm -f "$id" >/dev/null
`

// measureLogs is metric 6: a recipe that writes a lot to stdout. Throughput is the volume over
// the time a run takes beyond the same run of a silent command, on each side, so the fixed
// costs of making and removing containers cancel out.
func measureLogs(ctx context.Context, e *env) ([]Row, error) {
	img, err := e.smallImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := e.dir("logs")
	if err != nil {
		return nil, err
	}
	defer e.removeDir(dir)
	size := int64(e.scale.LogMiB) << 20
	// 100-byte lines; yes is far faster than any consumer, so the consumer is what is measured.
	loudCmd := fmt.Sprintf(`yes %s | head -c %d`, strings.Repeat("x", 99), size)
	loud, quiet := filepath.Join(dir, "loud"), filepath.Join(dir, "quiet")
	if err := writeRecipes(loud, []string{"bench-loud"}, loudCmd); err != nil {
		return nil, err
	}
	if err := writeRecipes(quiet, []string{"bench-quiet"}, "true"); err != nil {
		return nil, err
	}
	result := filepath.Join(dir, "result")
	loudRun := pkgRun{Name: "logs-loud", Recipes: loud, Result: result, Image: img, Jobs: 1, NoCache: true}
	quietRun := pkgRun{Name: "logs-quiet", Recipes: quiet, Result: result, Image: img, Jobs: 1, NoCache: true}
	if _, err := e.runPkgdriver(ctx, quietRun); err != nil { // fills the toolchain state; not timed
		return nil, err
	}
	out := filepath.Join(dir, "docker-logs.txt")
	vars := map[string]string{"IMAGE": img.ID, "OUT": out}
	var pkgLoud, pkgQuiet, baseLoud, baseQuiet, rssLoud, rssQuiet, rusageLoud []float64
	for i := 0; i < e.scale.Reps; i++ {
		e.step("log streaming %d/%d: %d MiB to stdout", i+1, e.scale.Reps, e.scale.LogMiB)
		o, err := e.runPkgdriver(ctx, loudRun)
		if err != nil {
			return nil, err
		}
		logPath := filepath.Join(result, "log", "bench-loud.log")
		if fi, err := os.Stat(logPath); err != nil || fi.Size() < size {
			return nil, fmt.Errorf("pkgdriver's log of the loud recipe is short: %v", statSize(fi, err))
		}
		pkgLoud, rssLoud = append(pkgLoud, secs(o.Wall)), append(rssLoud, float64(o.MaxRSS)/(1<<20))
		rusageLoud = append(rusageLoud, float64(o.RusageMaxRSS)/(1<<20))
		os.Remove(logPath)
		syscall.Sync()
		if o, err = e.runPkgdriver(ctx, quietRun); err != nil {
			return nil, err
		}
		pkgQuiet, rssQuiet = append(pkgQuiet, secs(o.Wall)), append(rssQuiet, float64(o.MaxRSS)/(1<<20))

		// The json-file baseline runs at a few MB/s (minutes for a GiB): it is timed once,
		// in the middle of pkgdriver's repetitions.
		if i == e.scale.Reps/2 {
			vars["CMD"] = loudCmd
			t, err := e.shell(ctx, "logs-loud", logsBaseline, vars)
			if err != nil {
				return nil, err
			}
			if fi, err := os.Stat(out); err != nil || fi.Size() < size {
				return nil, fmt.Errorf("docker logs -f output is short: %v", statSize(fi, err))
			}
			baseLoud = append(baseLoud, secs(t))
			os.Remove(out)
			syscall.Sync()
		}
		vars["CMD"] = "true"
		t, err := e.shell(ctx, "logs-quiet", logsBaseline, vars)
		if err != nil {
			return nil, err
		}
		baseQuiet = append(baseQuiet, secs(t))
		os.Remove(out)
	}
	mb := float64(size) / 1e6
	p := mb / (median(pkgLoud) - median(pkgQuiet))
	b := mb / (median(baseLoud) - median(baseQuiet))
	details := map[string]any{"pkgdriver_loud_s": pkgLoud, "pkgdriver_quiet_s": pkgQuiet, "docker_logs_loud_s": baseLoud,
		"docker_logs_quiet_s": baseQuiet, "pkgdriver_rss_loud_mib": rssLoud, "pkgdriver_rss_quiet_mib": rssQuiet,
		"rusage_maxrss_loud_mib": rusageLoud, "bytes": size}
	return []Row{{
		ID:     "logs",
		Metric: fmt.Sprintf("log streaming: %d MiB of stdout into log/", e.scale.LogMiB),
		Unit:   "MB/s", Pkgdriver: p, Baseline: b, Ratio: ratio(p, b),
		RatioMeans: "pkgdriver throughput / throughput of `docker run -d` + `docker logs -f > file`",
		Targets:    []Target{{On: "ratio", Op: ">=", Value: 0.8}},
		Note:       "Throughput = bytes / (run time of the loud command - run time of a silent one), each side its own; pkgdriver attaches with the log driver none, the baseline uses the engine's default json-file driver and reads it back (timed once: it takes minutes).",
		Details:    details,
	}, {
		ID:     "logs-rss",
		Metric: "log streaming: pkgdriver peak RSS",
		Unit:   "MiB", Pkgdriver: median(rssLoud), Baseline: median(rssQuiet), Ratio: ratio(median(rssLoud), median(rssQuiet)),
		RatioMeans: "peak RSS of the loud run / peak RSS of the silent run",
		Targets:    []Target{{On: "pkgdriver", Op: "<=", Value: 64}},
		Note:       "Peak of the pkgdriver process's VmHWM over the whole run (polled from /proc; getrusage's maxrss would also count the bench's own memory, as Go spawns with CLONE_VM); the baseline column is the same for a silent recipe.",
		Details:    details,
	}}, nil
}

func statSize(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d bytes", fi.Size())
}
