package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkgdriver/pkgdriver/internal/rss"
	"github.com/pkgdriver/pkgdriver/report"
)

// pkgRun is one `pkgdriver run` of the bench: the built binary, as users run it, so its wall
// time includes everything a run does and its peak RSS can be read.
type pkgRun struct {
	Name    string // for the log file's name
	Recipes string // --recipes-dir
	Result  string // --result-dir
	Image   *toolchainImage
	Jobs    int // 0: the engine's CPU count (pkgdriver's default)
	NoCache bool
	Share   bool
	// RealOSv: Image.Src is a real OSv checkout, built as it is (--allow-dirty) with OSv's
	// own dependencies and build arguments; Recipes empty means the built-in recipes, and
	// their demos are tested.
	RealOSv bool
	// Extra are more arguments of the run (the Kubernetes runner's, say).
	Extra []string
	// AllowFailed accepts a run whose report says a recipe or test failed.
	AllowFailed bool
}

// pkgOutcome is how a run went.
type pkgOutcome struct {
	Start time.Time
	Wall  time.Duration
	// MaxRSS is the process's peak resident set (VmHWM), in bytes; see internal/rss.
	MaxRSS int64
	// RusageMaxRSS is getrusage's maxrss, which also counts the bench's own memory at exec.
	RusageMaxRSS int64
	Report       *report.Report
}

// cleanEnv is the bench's environment without the variables pkgdriver reads as fallbacks: they
// must not change what its runs do.
func cleanEnv() []string {
	contractEnv := []string{"RECIPES=", "TEST_RECIPES=", "SKIP_TESTS=", "SHARE_OSV_DIR=", "KEEP_RECIPES=",
		"SILENT=", "SOURCE_DATE_EPOCH=", "PKGDRIVER_"}
	var out []string
next:
	for _, kv := range os.Environ() {
		for _, p := range contractEnv {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// runPkgdriver runs pkgdriver and checks that every recipe built (or came from the cache).
func (e *env) runPkgdriver(ctx context.Context, r pkgRun) (*pkgOutcome, error) {
	e.runs++
	logPath := filepath.Join(e.work, "logs", fmt.Sprintf("run-%03d-%s.log", e.runs, r.Name))
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	args := []string{"run", "--result-dir", r.Result, "--base-image", e.baseImage, "--osv-src", r.Image.Src,
		"--toolchain-repository", benchRepository, "--capstan-binary", e.bin,
		"--accel", "tcg", "--silent", "--log-format", "json", "--timeout", "1h"}
	switch {
	case !r.RealOSv:
		args = append(args, "--builtin-recipes=false", "--recipes-dir", r.Recipes, "--osv-build-args", osvBuildArgs,
			"--image-build-arg", "OSV_DEPS=", "--image-build-arg", "APP_PACKAGES=", "--skip-tests")
	case r.Recipes != "":
		args = append(args, "--allow-dirty", "--builtin-recipes=false", "--recipes-dir", r.Recipes)
	default:
		args = append(args, "--allow-dirty")
	}
	args = append(args, r.Extra...)
	if r.Jobs > 0 {
		args = append(args, "--jobs", strconv.Itoa(r.Jobs))
	}
	if r.NoCache {
		args = append(args, "--no-cache")
	}
	if r.Share {
		args = append(args, "--share-osv-dir")
	}
	args = append(args, r.Extra...)
	cmd := exec.CommandContext(ctx, e.bin, args...)
	// pkgdriver's cache directory is the bench's own: durations learnt by the user's runs (or an
	// earlier bench) must not order this one's builds.
	cmd.Env = append(cleanEnv(), "PKGDRIVER_CACHE_DIR="+filepath.Join(e.work, "cache"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Interrupted, pkgdriver removes its own containers; a kill would leave them behind.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second

	out := &pkgOutcome{Start: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	peak := rss.WatchPeak(cmd.Process.Pid, stop)
	runErr := cmd.Wait()
	out.Wall = time.Since(out.Start)
	close(stop)
	out.MaxRSS = <-peak
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		out.RusageMaxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	e.log.Info().Str("run", r.Name).Dur("wall", out.Wall).Int64("peak_rss", out.MaxRSS).
		Int64("rusage_maxrss", out.RusageMaxRSS).Str("log", logPath).Msg("pkgdriver run")

	// pkgdriver removes its containers itself; this only catches what a crash left.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := e.removeContainers(cctx, ownerLabel(cmd.Process.Pid)); err != nil {
		e.warn("cleanup after %s: %v", r.Name, err)
	}

	if runErr != nil && !(r.AllowFailed && failedRun(runErr)) {
		return nil, fmt.Errorf("pkgdriver run (%s): %w; last lines of %s:\n%s", r.Name, runErr, logPath, tail(logPath, 15))
	}
	data, err := os.ReadFile(filepath.Join(r.Result, "report.json"))
	if err != nil {
		return nil, fmt.Errorf("pkgdriver run (%s): %w", r.Name, err)
	}
	out.Report = &report.Report{}
	if err := json.Unmarshal(data, out.Report); err != nil {
		return nil, fmt.Errorf("pkgdriver run (%s): report.json: %w", r.Name, err)
	}
	if out.Report.Status != "ok" && !(r.AllowFailed && out.Report.Status == "failed") {
		return nil, fmt.Errorf("pkgdriver run (%s): report status %q: %s", r.Name, out.Report.Status, out.Report.Error)
	}
	return out, nil
}

// failedRun reports whether err is pkgdriver's exit status 1: the run ended, and a recipe or a
// test failed (its report says which); the realosv catalogue has recipes that need the network.
func failedRun(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 1
}

// countStatus counts the recipes of a report with the given status.
func countStatus(rep *report.Report, status report.Status) int {
	n := 0
	for _, r := range rep.Recipes {
		if r.Status == status {
			n++
		}
	}
	return n
}
