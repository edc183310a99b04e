package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// ownedBy lists the containers and volumes a pkgdriver process made (label pkgdriver.owner).
func ownedBy(t *testing.T, api client.APIClient, pid int) []string {
	t.Helper()
	host, err := os.Hostname()
	assert.NilError(t, err)
	f := filters.NewArgs(filters.Arg("label", "pkgdriver.owner="+host+":"+strconv.Itoa(pid)))
	ctx := context.Background()
	list, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	assert.NilError(t, err)
	var out []string
	for _, c := range list {
		out = append(out, "container "+c.ID[:12]+" "+c.Labels["pkgdriver.role"])
	}
	vols, err := api.VolumeList(ctx, volume.ListOptions{Filters: f})
	assert.NilError(t, err)
	for _, v := range vols.Volumes {
		out = append(out, "volume "+v.Name)
	}
	return out
}

// snapshotPackages reads every file of packages/.
func snapshotPackages(t *testing.T, result string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	for _, name := range listDir(t, filepath.Join(result, "packages")) {
		snap[name] = readFile(t, filepath.Join(result, "packages", name))
		if strings.HasSuffix(name, supplychain.AttestationSuffix) {
			// A rebuild states the same provenance but for its run details (run, times).
			st := statementOf(t, filepath.Join(result, "packages", name))
			delete(st["predicate"].(map[string]any), "runDetails")
			data, err := json.Marshal(st)
			assert.NilError(t, err)
			snap[name] = string(data)
		}
	}
	return snap
}

// TestFaultSignals interrupts real `pkgdriver run` processes at random moments with SIGINT,
// SIGTERM, SIGINT twice (the second one meant to force the exit) or SIGKILL (a forced exit
// for certain). After each: no container or volume of that process is left (after a forced
// exit, at the latest once the next run has reaped them), no staging and no temporary file of the run, and packages/ holds exactly the
// files of the earlier complete run, byte for byte (the recipes are deterministic, so a package
// rebuilt before the signal is the same file). PKGDRIVER_TEST_SEED replays a sequence.
func TestFaultSignals(t *testing.T) {
	api := testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	recipes, result, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	args := append(runArgs(t, recipes, result), "--no-cache", "--jobs", "2")
	testutil.Recipe(t, recipes, "quick", script(`echo quick > "$PACKAGE_RESULT_DIR/q"`, packageInit), nil)
	testutil.Recipe(t, recipes, "medium", script(`sleep 1`, `head -c 200000 /dev/zero > "$PACKAGE_RESULT_DIR/m"`, packageInit), nil)
	testutil.Recipe(t, recipes, "slow", script(
		`sleep 2`, `mkdir "$PACKAGE_RESULT_DIR/s"`,
		`i=0; while [ $i -lt 1000 ]; do echo $i > "$PACKAGE_RESULT_DIR/s/$i"; i=$((i+1)); done`,
		packageInit), nil)
	run := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		return cmd
	}

	// A complete run: the packages every interrupted run must leave as they are. A second one
	// shows a rebuild gives the same bytes, and how long a warm run takes.
	out, err := run().CombinedOutput()
	assert.NilError(t, err, string(out))
	want := snapshotPackages(t, result)
	assert.Equal(t, len(want), 12) // .mpm, .yaml, .spdx.json, .intoto.jsonl of each recipe
	start := time.Now()
	out, err = run().CombinedOutput()
	assert.NilError(t, err, string(out))
	full := time.Since(start)
	assert.Assert(t, is.DeepEqual(snapshotPackages(t, result), want), "the recipes are not deterministic")

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PKGDRIVER_TEST_SEED"); s != "" {
		seed, err = strconv.ParseUint(s, 10, 64)
		assert.NilError(t, err)
	}
	t.Logf("seed %d (PKGDRIVER_TEST_SEED replays it); a full run takes %s", seed, full.Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(seed, 0))
	// A second SIGINT forces the exit (default signal handling is back); SIGKILL too: nothing
	// of pkgdriver runs after it, and the next run reaps what is left.
	kinds := []string{"SIGINT", "SIGTERM", "SIGINT twice", "SIGKILL", "SIGINT", "SIGTERM", "SIGINT twice", "SIGKILL"}
	for i, kind := range kinds {
		delay := time.Duration(rng.Int64N(int64(full * 9 / 10)))
		second := time.Duration(rng.Int64N(int64(time.Second)))
		cmd := run()
		var log strings.Builder
		cmd.Stdout, cmd.Stderr = &log, &log
		assert.NilError(t, cmd.Start())
		pid := cmd.Process.Pid
		time.Sleep(delay)
		sig := map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL}[kind]
		if sig == 0 {
			sig = syscall.SIGINT
		}
		_ = cmd.Process.Signal(sig)
		if kind == "SIGINT twice" {
			time.Sleep(second)
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err = <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("%d %s after %s: pkgdriver did not stop within a minute:\n%s", i, kind, delay, log.String())
		}
		status := "exit 0"
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			status = exit.ProcessState.String()
			// 130 once the run has started; killed by the signal itself before the handler is
			// set, or by SIGKILL.
			assert.Check(t, exit.ExitCode() == 130 || exit.ExitCode() == -1, "%d %s after %s: %s\n%s", i, kind, delay, status, log.String())
			assert.Check(t, kind == "SIGKILL" || kind == "SIGINT twice" || exit.ExitCode() == 130 || delay < 200*time.Millisecond, "%d %s after %s: %s", i, kind, delay, status)
		} else {
			assert.NilError(t, err)
		}
		t.Logf("%d: %s after %s (then %s): %s", i, kind, delay.Round(time.Millisecond), second.Round(time.Millisecond), status)

		left := ownedBy(t, api, pid)
		staging, _ := os.ReadDir(filepath.Join(result, ".pkgdriver", "staging"))
		if (kind == "SIGINT twice" || kind == "SIGKILL") && len(left)+len(staging) > 0 {
			// A forced exit may leave resources; the next run on this host must reap them.
			t.Logf("%d: a forced exit left %v and %d staging directories; the next run reaps them", i, left, len(staging))
			out, err := run().CombinedOutput()
			assert.NilError(t, err, string(out))
			left = ownedBy(t, api, pid)
			staging, _ = os.ReadDir(filepath.Join(result, ".pkgdriver", "staging"))
		}
		assert.Check(t, is.Len(left, 0), "%d %s after %s: left on the engine", i, kind, delay)
		assert.Check(t, is.Len(staging, 0), "%d %s after %s: staging left", i, kind, delay)
		assert.Check(t, is.DeepEqual(listDir(t, tmp), []string{}), "%d %s after %s: temporary files left", i, kind, delay)
		assert.Check(t, is.DeepEqual(snapshotPackages(t, result), want), "%d %s after %s: packages/ changed", i, kind, delay)
		if t.Failed() {
			t.Log(log.String())
			return
		}
	}
}
