package driver_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/internal/testutil"
	"github.com/pkgdriver/pkgdriver/recipe"
	"github.com/pkgdriver/pkgdriver/report"
)

// smallFilesystem mounts a tmpfs of size bytes on a new directory, which needs root; the test is
// skipped otherwise.
func smallFilesystem(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a small file system for the result directory needs root (mount -t tmpfs)")
	}
	dir := filepath.Join(t.TempDir(), "small")
	assert.NilError(t, os.Mkdir(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillUpTo leaves about free bytes free on the file system of dir.
func fillUpTo(t *testing.T, dir string, free int64) {
	t.Helper()
	var st syscall.Statfs_t
	assert.NilError(t, syscall.Statfs(dir, &st))
	avail := int64(st.Bavail) * st.Bsize
	if avail <= free {
		return
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	assert.NilError(t, err)
	defer f.Close()
	assert.NilError(t, f.Truncate(0))
	buf := make([]byte, 64<<10)
	for left := avail - free; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			t.Fatalf("filling %s: %v", dir, err)
		}
	}
}

// treeSize is the space the files under dir take, in bytes.
func treeSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += (fi.Size() + 4095) &^ 4095
		}
		return err
	})
	assert.NilError(t, err)
	return n
}

// TestFaultResultDiskFull fills the result directory's file system: a rebuilt package that no
// longer fits and a recipe whose log no longer fits both fail, the errors name the path and say
// the disk is full, the build does not hang on a log it cannot write, and the packages of the
// earlier run stay byte for byte.
func TestFaultResultDiskFull(t *testing.T) {
	api := testutil.Engine(t)
	result := smallFilesystem(t, 16<<20)
	recipes := t.TempDir()
	testutil.Recipe(t, recipes, "keeper", script(`head -c 65536 /dev/urandom > "$PACKAGE_RESULT_DIR/data"`, packageInit), nil)
	testutil.Recipe(t, recipes, "talker", script(`echo quiet`, packageInit), nil)
	cfg, _ := testConfig(t, recipes, result)
	rep, err := execute(t, context.Background(), api, cfg)
	assert.NilError(t, err)
	for _, r := range rep.Recipes {
		assert.Assert(t, r.Status == report.StatusBuilt, "%s: %s", r.Name, r.Error)
	}
	before := map[string]string{}
	for _, f := range []string{"keeper.mpm", "keeper.yaml", "keeper.spdx.json", "keeper.intoto.jsonl",
		"talker.mpm", "talker.yaml", "talker.spdx.json", "talker.intoto.jsonl"} {
		before[f] = readFile(t, filepath.Join(result, "packages", f))
	}
	keeperData := readFile(t, filepath.Join(result, "intermediate", "keeper", "data"))

	// Now keeper delivers 3 MiB that cannot be compressed, talker prints 8 MiB of log; 1 MiB is
	// free beyond what the new loader takes: enough for the report, not for either.
	testutil.Recipe(t, recipes, "keeper", script(`head -c 3145728 /dev/urandom > "$PACKAGE_RESULT_DIR/data"`, packageInit), nil)
	testutil.Recipe(t, recipes, "talker", script(`yes "$(head -c 1000 /dev/zero | tr '\000' y)" | head -c 8388608`, packageInit), nil)
	fillUpTo(t, result, 1<<20+treeSize(t, filepath.Join(result, "mike")))
	cfg, out := testConfig(t, recipes, result)
	cfg.NoCache = true
	cfg.Jobs = 1
	cfg.Timeout = 2 * time.Minute
	cfg.Recipes = recipe.Selection{Names: []string{"keeper", "talker"}}
	rep, err = execute(t, context.Background(), api, cfg)
	t.Log(out.String())
	if err != nil { // the report itself may not fit any more; then the error says where
		t.Log(err)
		assert.Check(t, is.Contains(err.Error(), result))
	}
	assert.Assert(t, rep != nil, "%v", err)

	keeper := resultOf(t, rep, "keeper")
	assert.Check(t, is.Equal(keeper.Status, report.StatusFailed))
	assert.Check(t, is.Contains(keeper.Error, "no space left on device"))
	assert.Check(t, is.Contains(keeper.Error, result), "the error names the path")
	talker := resultOf(t, rep, "talker")
	assert.Check(t, is.Equal(talker.Status, report.StatusFailed), "not timed out: the log stream is drained")
	assert.Check(t, is.Contains(talker.Error, "no space left on device"))
	assert.Check(t, is.Contains(talker.Error, filepath.Join(result, "log", "talker.log")))
	assert.Check(t, talker.Duration < 60, "talker took %.1fs", talker.Duration)

	for f, data := range before {
		assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "packages", f)), data), "packages/%s changed", f)
	}
	assert.Check(t, is.Equal(readFile(t, filepath.Join(result, "intermediate", "keeper", "data")), keeperData))
	for _, name := range listDir(t, filepath.Join(result, "packages")) {
		_, ok := before[name]
		assert.Check(t, ok, "unexpected packages/%s", name)
	}
	// report.json is replaced atomically or not at all: whichever it is, it is whole.
	assert.Check(t, json.Valid(readOptional(filepath.Join(result, "report.json"))))
	_, err = os.Stat(filepath.Join(result, ".pkgdriver", "staging", cfg.RunID))
	assert.Check(t, errors.Is(err, os.ErrNotExist), "staging left")
}
