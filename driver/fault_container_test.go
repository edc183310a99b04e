package driver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// recipeContainer waits until the recipe's build container of the run is running and its log
// holds marker, and returns the container's id.
func recipeContainer(ctx context.Context, t *testing.T, api client.APIClient, cfg *driver.Config, name, marker string) (string, error) {
	f := filters.NewArgs(
		filters.Arg("label", "pkgdriver.run="+cfg.RunID),
		filters.Arg("label", "pkgdriver.recipe="+name),
		filters.Arg("label", "pkgdriver.role=build"),
		filters.Arg("status", "running"),
	)
	for {
		list, err := api.ContainerList(ctx, container.ListOptions{Filters: f})
		if err != nil {
			return "", err
		}
		data, _ := os.ReadFile(filepath.Join(cfg.ResultDir, "log", name+".log"))
		if len(list) == 1 && strings.Contains(string(data), marker) {
			return list[0].ID, nil
		}
		select {
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestFaultContainerKilled kills a recipe's container from outside (docker kill) while it
// builds: that recipe fails saying it was killed by SIGKILL (137), the others build.
func TestFaultContainerKilled(t *testing.T) {
	api := testutil.Engine(t)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "victim", script(`echo ready`, `sleep 300`, packageInit), nil)
	testutil.Recipe(t, recipes, "bystander-a", script(`sleep 2`, packageInit), nil)
	testutil.Recipe(t, recipes, "bystander-b", script(packageInit), nil)
	cfg, out := testConfig(t, recipes, t.TempDir())
	cfg.Timeout = 2 * time.Minute

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	killed := make(chan error, 1)
	go func() {
		id, err := recipeContainer(ctx, t, api, cfg, "victim", "ready")
		if err == nil {
			err = api.ContainerKill(ctx, id, "KILL")
		}
		killed <- err
	}()
	rep, err := execute(t, ctx, api, cfg)
	assert.NilError(t, err)
	assert.NilError(t, <-killed)
	t.Log(out.String())

	victim := resultOf(t, rep, "victim")
	assert.Check(t, is.Equal(victim.Status, report.StatusFailed))
	assert.Check(t, is.Equal(victim.Phase, "build"))
	assert.Check(t, victim.ExitCode != nil && *victim.ExitCode == 137, "exit code %v", victim.ExitCode)
	assert.Check(t, is.Contains(victim.Error, "recipe victim: build.sh was killed by signal 9 (SIGKILL) (exit status 137)"))
	assert.Check(t, victim.Duration < 100, "it waited for its timeout: %.1fs", victim.Duration)
	for _, name := range []string{"bystander-a", "bystander-b"} {
		res := resultOf(t, rep, name)
		assert.Check(t, is.Equal(res.Status, report.StatusBuilt), "%s: %s", name, res.Error)
	}
	_, err = os.Stat(filepath.Join(cfg.ResultDir, "packages", "victim.mpm"))
	assert.Check(t, os.IsNotExist(err))
}

// TestFaultOutOfMemory runs a recipe that allocates more than --memory: it fails as out of
// memory (the container's swap is limited to its memory, so swap cannot hide it), and a
// recipe within the limit builds beside it.
func TestFaultOutOfMemory(t *testing.T) {
	api := testutil.Engine(t)
	recipes := t.TempDir()
	// dd allocates its 256 MiB block and fills it from /dev/zero.
	testutil.Recipe(t, recipes, "hungry", script(`echo allocating`, `dd if=/dev/zero of=/dev/null bs=256M count=1`, packageInit), nil)
	testutil.Recipe(t, recipes, "modest", script(`dd if=/dev/zero of=/dev/null bs=8M count=1`, packageInit), nil)
	cfg, out := testConfig(t, recipes, t.TempDir())
	cfg.Memory = 64 << 20

	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	t.Log(out.String())
	hungry := resultOf(t, rep, "hungry")
	assert.Check(t, is.Equal(hungry.Status, report.StatusFailed))
	assert.Check(t, is.Equal(hungry.Phase, "build"))
	assert.Check(t, hungry.OOMKilled, "the report does not say OOM")
	assert.Check(t, is.Contains(hungry.Error, "recipe hungry: build.sh was killed: out of memory (limit 64.0 MiB)"))
	modest := resultOf(t, rep, "modest")
	assert.Check(t, is.Equal(modest.Status, report.StatusBuilt), modest.Error)
}
