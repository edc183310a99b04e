package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/report"
)

// withFlag returns args with flag's value replaced.
func withFlag(t *testing.T, args []string, flag, value string) []string {
	out := slices.Clone(args)
	i := slices.Index(out, flag)
	assert.Assert(t, i >= 0 && i+1 < len(out), "no %s in %v", flag, args)
	out[i+1] = value
	return out
}

// runBinary runs pkgdriver and returns its exit status and combined output.
func runBinary(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(testutil.Pkgdriver(t), args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("pkgdriver: %v\n%s", err, out)
	return 0, ""
}

func readReport(t *testing.T, result string) report.Report {
	t.Helper()
	var rep report.Report
	assert.NilError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(result, "report.json"))), &rep))
	return rep
}

// toolchainImages are the images a toolchain build made (its kernel image first), for
// removeImagesAtEnd.
func toolchainImages(tc *driver.Toolchain) []string { return toolchainRecordImages(&tc.Toolchain) }

// toolchainRecordImages is toolchainImages of a report's toolchain.
func toolchainRecordImages(tc *report.Toolchain) []string { return []string{tc.KernelImage, tc.ID} }

// removeImagesAtEnd removes images this test built (never a shared one) when it ends.
func removeImagesAtEnd(t *testing.T, api client.APIClient, ids *[]string) {
	t.Cleanup(func() {
		for i := len(*ids) - 1; i >= 0; i-- { // newest first: a parent after its children
			id := (*ids)[i]
			if _, err := api.ImageRemove(context.Background(), id, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				t.Logf("remove test image %s: %v", id, err)
			}
		}
	})
}

// TestDirtyOSvSource: a stand-in checkout with an uncommitted change and an untracked file is
// refused (status 2, both named, a report saying why, no image made); with --allow-dirty it
// is built, untracked file included, and the image, its tag and the report say <commit>-dirty
// while the clean commit's tag stays on the clean image. Two different dirty trees never share
// an image.
func TestDirtyOSvSource(t *testing.T) {
	ctx := context.Background()
	api := testutil.Engine(t)
	recipes, result := t.TempDir(), t.TempDir()
	testutil.Recipe(t, recipes, "plain", script(`echo hi > "$PACKAGE_RESULT_DIR/hi"`, packageInit), nil)
	// A repository of this test's own, so its tags move for nobody else.
	const repo = "pkgdriver-test-dirty/toolchain"
	args := withFlag(t, runArgs(t, recipes, result), "--toolchain-repository", repo)
	osv := args[slices.Index(args, "--osv-src")+1]
	var built []string
	removeImagesAtEnd(t, api, &built)

	code, out := runBinary(t, args...)
	assert.Equal(t, code, 0, out)
	clean := readReport(t, result).Toolchain
	assert.Check(t, !strings.HasSuffix(clean.Commit, "-dirty"))
	cleanTag := clean.Tags[0]
	assert.Check(t, is.Regexp(`_`+clean.Commit[:7]+`$`, cleanTag))

	// Uncommitted work: a tracked file changed and a new file, unique to this run so the image
	// cannot come from an earlier test run.
	stamp := fmt.Sprintf("%d-%d", time.Now().UnixNano(), os.Getpid())
	kernel := filepath.Join(osv, "kernel", "kernel.c")
	src := readFile(t, kernel)
	assert.NilError(t, os.WriteFile(kernel, []byte(src+"\n/* local change "+stamp+" */\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(osv, "NOTES"), []byte(stamp+"\n"), 0o644))

	refusedAt := time.Now().Unix()
	code, out = runBinary(t, args...)
	assert.Equal(t, code, 2, out)
	assert.Check(t, is.Contains(out, "modified: kernel/kernel.c"))
	assert.Check(t, is.Contains(out, "untracked: NOTES"))
	assert.Check(t, is.Contains(out, "--allow-dirty"))
	refused := readReport(t, result)
	assert.Check(t, is.Equal(refused.Status, report.RunError))
	assert.Check(t, is.Contains(refused.Error, "modified: kernel/kernel.c"))
	assert.Check(t, is.Equal(resultOf(t, &refused, "plain").Status, report.StatusNotStarted))
	dirtyImages, err := api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	assert.NilError(t, err)
	for _, img := range dirtyImages {
		// Only images of this run count: an earlier, interrupted run of this test may have left one.
		built := img.Created >= refusedAt
		assert.Check(t, !built || !strings.HasSuffix(img.Labels["pkgdriver.osv.commit"], clean.Commit+"-dirty"), "refused, yet built: %s", img.ID)
	}

	dirty := func() *report.Toolchain {
		t.Helper()
		code, out := runBinary(t, append(args, "--allow-dirty")...)
		assert.Assert(t, code == 0, out)
		rep := readReport(t, result)
		tc := rep.Toolchain
		built = append(built, toolchainRecordImages(tc)...)
		assert.Check(t, is.Equal(tc.Commit, clean.Commit+"-dirty"))
		assert.Check(t, !tc.Reused)
		assert.Check(t, is.Equal(resultOf(t, &rep, "plain").OSVCommit, clean.Commit+"-dirty"))
		assert.Check(t, is.Equal(rep.Settings["allow dirty"], "true"))
		info, err := api.ImageInspect(ctx, tc.ID)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(info.Config.Labels["pkgdriver.osv.commit"], clean.Commit+"-dirty"))
		dirtyTag := cleanTag[:strings.LastIndex(cleanTag, ":")+1] + time.Now().UTC().Format("2006-01-02") + "_" + clean.Commit[:7] + "-dirty"
		assert.Check(t, slices.Contains(tc.Tags, dirtyTag), "tags %v", tc.Tags)
		assert.Check(t, !slices.Contains(tc.Tags, cleanTag), "tags %v", tc.Tags)
		tagged, err := api.ImageInspect(ctx, dirtyTag)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(tagged.ID, tc.ID))
		// The clean tag did not move.
		still, err := api.ImageInspect(ctx, cleanTag)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(still.ID, clean.ID))
		assert.Check(t, tc.ID != clean.ID)
		return tc
	}
	first := dirty()

	// What was built is the tree as it is: the untracked file and the change are in the image.
	run := docker.Wrap(api)
	id, err := run.Create(ctx, engine.ContainerSpec{
		Image: first.ID, NoNetwork: true, Labels: map[string]string{driver.LabelRun: "test-dirty"},
		Cmd: []string{"sh", "-c", "cat /osv/NOTES; tail -n 1 /osv/kernel/kernel.c; cat /etc/pkgdriver-toolchain"},
	})
	assert.NilError(t, err)
	defer run.Remove(context.Background(), id)
	var inside strings.Builder
	_, err = run.Run(ctx, id, &inside, &inside)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(inside.String(), stamp+"\n/* local change "+stamp+" */"))
	assert.Check(t, is.Contains(inside.String(), "commit="+clean.Commit+"-dirty"))

	// Another dirty tree of the same commit: another image.
	assert.NilError(t, os.WriteFile(filepath.Join(osv, "NOTES"), []byte(stamp+" second\n"), 0o644))
	second := dirty()
	assert.Check(t, second.ID != first.ID)
	assert.Check(t, second.InputHash != first.InputHash)
}
