package driver_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// listOSv writes the recipe's view of the OSv tree into its package: every entry with its type,
// mode, owner, size, time and link target, and every file's checksum.
const listOSv = `cd "$OSV_DIR" && find . -printf '%p %y %m %U:%G %s %T@ %l\n' | LC_ALL=C sort > "$PACKAGE_RESULT_DIR/listing" && ` +
	`find . -type f -exec sha256sum {} + | LC_ALL=C sort > "$PACKAGE_RESULT_DIR/sums"`

// --share-osv-dir on the real engine, where the engine can show the toolchain image's tree
// without copying it: the recipes see the same tree a recipe sees without sharing, share it
// within the run, and a later run sees none of their writes (nor does the image); a run stopped
// while a recipe uses the tree leaves nothing behind.
func TestSharedOSvView(t *testing.T) {
	api := testutil.Engine(t)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "a-list", script(listOSv, `rm -rf "$OSV_DIR/scripts"`, `echo mark > "$OSV_DIR/marker"`, packageInit), nil)
	testutil.Recipe(t, recipes, "c-shared", script(`test -e "$OSV_DIR/marker"`, `test ! -e "$OSV_DIR/scripts"`, packageInit), nil)
	testutil.Recipe(t, recipes, "d-fresh", script(`test ! -e "$OSV_DIR/marker"`, `test -e "$OSV_DIR/scripts/build"`, packageInit), nil)
	testutil.Recipe(t, recipes, "e-wait", script(`echo ready`, `sleep 120`, packageInit), nil)
	run := func(ctx context.Context, share bool, names ...string) (*report.Report, string, error) {
		cfg, _ := testConfig(t, recipes, t.TempDir())
		cfg.Jobs, cfg.ShareOSVDir = 1, share
		cfg.Recipes = recipe.Selection{Names: names}
		rep, err := execute(t, ctx, api, cfg)
		return rep, cfg.ResultDir, err
	}
	built := func(rep *report.Report, name string) {
		t.Helper()
		res := resultOf(t, rep, name)
		assert.Check(t, is.Equal(res.Status, report.StatusBuilt), "%s: %s", name, res.Error)
	}

	rep, own, err := run(context.Background(), false, "a-list")
	assert.NilError(t, err)
	built(rep, "a-list")
	_, hasSetting := rep.Settings["shared OSv tree"]
	assert.Check(t, !hasSetting)

	rep, shared, err := run(context.Background(), true, "a-list", "c-shared")
	assert.NilError(t, err)
	built(rep, "a-list")
	built(rep, "c-shared")
	assert.Check(t, is.Equal(rep.Settings["shared OSv tree"], "a copy-on-write view of the toolchain image's /osv (nothing copied)"))
	for _, f := range []string{"listing", "sums"} {
		want := readFile(t, filepath.Join(own, "intermediate", "a-list", f))
		assert.Check(t, strings.Count(want, "\n") > 10, "%s: %s", f, want)
		assert.Check(t, is.Equal(readFile(t, filepath.Join(shared, "intermediate", "a-list", f)), want), f)
	}

	rep, _, err = run(context.Background(), true, "d-fresh")
	assert.NilError(t, err)
	built(rep, "d-fresh")

	// Where the engine cannot make the view, the tree is copied into a volume: the same tree
	// (but for the times of directories, which the engine's copy does not keep), shared, and the
	// report says why.
	cfg, _ := testConfig(t, recipes, t.TempDir())
	cfg.Jobs, cfg.ShareOSVDir = 1, true
	cfg.Recipes = recipe.Selection{Names: []string{"a-list", "c-shared"}}
	rep, err = driver.Execute(context.Background(), cfg, noViews{docker.Wrap(api)})
	assert.NilError(t, err)
	built(rep, "a-list")
	built(rep, "c-shared")
	assert.Check(t, is.Equal(rep.Settings["shared OSv tree"], "copied from the toolchain image into a volume: no views here: not supported by this engine"))
	assert.Check(t, is.Equal(readFile(t, filepath.Join(cfg.ResultDir, "intermediate", "a-list", "sums")),
		readFile(t, filepath.Join(own, "intermediate", "a-list", "sums"))))
	assert.Check(t, is.Equal(withoutTimes(readFile(t, filepath.Join(cfg.ResultDir, "intermediate", "a-list", "listing"))),
		withoutTimes(readFile(t, filepath.Join(own, "intermediate", "a-list", "listing")))))
	containers, volumes := testutil.Leftovers(t, api, cfg.RunID)
	assert.Check(t, is.Len(containers, 0))
	assert.Check(t, is.Len(volumes, 0))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, _ = testConfig(t, recipes, t.TempDir())
	cfg.ShareOSVDir, cfg.Recipes = true, recipe.Selection{Names: []string{"e-wait"}}
	go func() {
		if _, err := recipeContainer(ctx, t, api, cfg, "e-wait", "ready"); err == nil {
			cancel()
		}
	}()
	_, err = execute(t, ctx, api, cfg)
	assert.Check(t, err != nil, "the stopped run succeeded")

	// A view a killed run left behind (its owner process gone) is reaped with its upper volume.
	dead := exec.Command("true")
	assert.NilError(t, dead.Run())
	host, _ := os.Hostname()
	leftRun := cfg.RunID + "-killed"
	eng := docker.Wrap(api)
	assert.NilError(t, eng.CreateImageDirVolume(context.Background(), "pkgdriver-osv-layered-"+leftRun, rep.Toolchain.ID, "/osv",
		map[string]string{driver.LabelRun: leftRun, driver.LabelOwner: host + ":" + strconv.Itoa(dead.ProcessState.Pid())}))
	_, volumes = testutil.Leftovers(t, api, leftRun)
	assert.Check(t, is.Len(volumes, 2), "%v", volumes)
	_, err = driver.Reap(context.Background(), eng, resultdir.Layout{Root: t.TempDir()}, driver.ReapOptions{})
	assert.NilError(t, err)
	containers, volumes = testutil.Leftovers(t, api, leftRun)
	assert.Check(t, is.Len(containers, 0))
	assert.Check(t, is.Len(volumes, 0), "%v", volumes)
}

// noViews is an engine that cannot make image directory views.
type noViews struct{ *docker.Engine }

func (noViews) CreateImageDirVolume(context.Context, string, string, string, map[string]string) error {
	return fmt.Errorf("no views here: %w", engine.ErrNotSupported)
}

// withoutTimes is a listOSv listing without its time column.
func withoutTimes(listing string) string {
	lines := strings.Split(listing, "\n")
	for i, line := range lines {
		if f := strings.Split(line, " "); len(f) > 5 {
			f[5] = "-"
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\n")
}
