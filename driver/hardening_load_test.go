package driver_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/rss"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/report"
)

func skipLoad(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("load test (not with -short)")
	}
}

// TestLoadManyRecipes builds 60 trivial recipes with --jobs 8: every one is built and nothing
// of the run is left on the engine.
func TestLoadManyRecipes(t *testing.T) {
	skipLoad(t)
	api := testutil.Engine(t)
	recipes := t.TempDir()
	for i := range 60 {
		testutil.Recipe(t, recipes, fmt.Sprintf("load-%02d", i), script(
			fmt.Sprintf(`echo %d > "$PACKAGE_RESULT_DIR/n"`, i), packageInit), nil)
	}
	cfg, _ := testConfig(t, recipes, t.TempDir())
	cfg.Jobs = 8
	start := time.Now()
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Logf("60 recipes, 8 jobs: %s", time.Since(start).Round(time.Second))
	assert.Check(t, is.Len(rep.Recipes, 60))
	for _, r := range rep.Recipes {
		assert.Check(t, is.Equal(r.Status, report.StatusBuilt), "%s: %s", r.Name, r.Error)
	}
	assert.Check(t, is.Len(listDir(t, filepath.Join(cfg.ResultDir, "packages")), 240)) // .mpm, .yaml, SBOM, provenance
}

// TestLoadManyFiles delivers a package of 20,000 files: it is packed, verifies, and its
// unpacked tree holds every file.
func TestLoadManyFiles(t *testing.T) {
	skipLoad(t)
	api := testutil.Engine(t)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "many", script(
		`cd "$PACKAGE_RESULT_DIR"`,
		`for d in $(seq -w 0 199); do mkdir -p "files/$d"; done`,
		// 100 files in each of 200 directories, written by one awk process.
		`awk 'BEGIN { for (i = 0; i < 20000; i++) { f = sprintf("files/%03d/f%05d", int(i / 100), i); print i > f; close(f) } }'`,
		packageInit,
	), nil)
	cfg, _ := testConfig(t, recipes, t.TempDir())
	start := time.Now()
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	res := resultOf(t, rep, "many")
	assert.Assert(t, is.Equal(res.Status, report.StatusBuilt), res.Error)
	t.Logf("20,000 files: built in %.1fs, package of %d bytes, run %s", res.Duration, res.Package.Size, time.Since(start).Round(time.Second))

	arch, err := packager.VerifyFile(filepath.Join(cfg.ResultDir, "packages", "many.mpm"))
	assert.NilError(t, err)
	files := 0
	for _, e := range arch.Entries {
		if e.Type == tar.TypeReg && strings.HasPrefix(e.Name, "files/") {
			files++
		}
	}
	assert.Check(t, is.Equal(files, 20000))
	assert.Check(t, is.Equal(readFile(t, filepath.Join(cfg.ResultDir, "intermediate", "many", "files", "199", "f19999")), "19999\n"))
}

// TestLoadOutputMemory runs the real binary on a recipe printing 64 MiB and then 512 MiB of
// log (and a line of 4 MiB without a newline): pkgdriver's peak RSS must not grow with the
// output, and stays under 100 MiB.
func TestLoadOutputMemory(t *testing.T) {
	skipLoad(t)
	testutil.Engine(t)
	bin := testutil.Pkgdriver(t)
	peak := map[int]int64{}
	for _, mib := range []int{64, 512} {
		recipes, result := t.TempDir(), t.TempDir()
		testutil.Recipe(t, recipes, "loud", script(
			`head -c 4194304 /dev/zero | tr '\000' z`,
			fmt.Sprintf(`yes "$(head -c 1000 /dev/zero | tr '\000' y)" | head -c %d`, mib<<20),
			packageInit), nil)
		cmd := exec.Command(bin, append(runArgs(t, recipes, result), "--no-cache")...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		assert.NilError(t, cmd.Start())
		// VmHWM of pkgdriver itself: getrusage's maxrss would count this test process's memory
		// too (see internal/rss).
		stop := make(chan struct{})
		hwm := rss.WatchPeak(cmd.Process.Pid, stop)
		err := cmd.Wait()
		close(stop)
		assert.NilError(t, err, out.String())
		fi, err := os.Stat(filepath.Join(result, "log", "loud.log"))
		assert.NilError(t, err)
		assert.Check(t, fi.Size() >= int64(mib)<<20+4<<20, "the log holds %d bytes", fi.Size())
		peak[mib] = <-hwm
		assert.Assert(t, peak[mib] > 0, "no VmHWM read")
		t.Logf("%d MiB of output: peak RSS %d MiB", mib, peak[mib]>>20)
	}
	assert.Check(t, peak[512] < peak[64]+16<<20, "peak RSS grew from %d MiB to %d MiB with the output", peak[64]>>20, peak[512]>>20)
	assert.Check(t, peak[512] < 100<<20, "peak RSS %d MiB", peak[512]>>20)
}
