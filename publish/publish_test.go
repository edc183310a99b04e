package publish

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

func TestPublishBlockers(t *testing.T) {
	test := func(s driver.TestStatus) *driver.TestResult { return &driver.TestResult{Status: s} }
	for _, tc := range []struct {
		name   string
		rep    driver.Report
		reason []string
	}{
		{name: "all good", rep: driver.Report{Status: "ok", Recipes: []driver.RecipeResult{
			{Name: "a", Status: driver.StatusBuilt, Test: test(driver.TestPassed)},
			{Name: "b", Status: driver.StatusCached, Test: test(driver.TestCached)},
			{Name: "c", Status: driver.StatusBuilt, Test: test(driver.TestUntested)},
			{Name: "d", Status: driver.StatusBuilt, Test: test(driver.TestSkipped)},
			{Name: "e", Status: driver.StatusBuilt},
			{Name: "f", Status: driver.StatusNotBuilt, Test: test(driver.TestPassed)},
		}}},
		{name: "build failed", rep: driver.Report{Status: "failed", Recipes: []driver.RecipeResult{
			{Name: "a", Status: driver.StatusBuilt}, {Name: "b", Status: driver.StatusFailed}, {Name: "c", Status: driver.StatusTimedOut},
		}}, reason: []string{"b: build failed", "c: build timed out"}},
		{name: "test failed", rep: driver.Report{Status: "failed", Recipes: []driver.RecipeResult{
			{Name: "a", Status: driver.StatusBuilt, Test: test(driver.TestFailed)},
			{Name: "b", Status: driver.StatusNotBuilt, Test: test(driver.TestTimedOut)},
		}}, reason: []string{"a: test failed", "b: test timed out"}},
		{name: "interrupted", rep: driver.Report{Status: "cancelled", Recipes: []driver.RecipeResult{
			{Name: "a", Status: driver.StatusQueued}, {Name: "b", Status: driver.StatusBuilt, Test: test(driver.TestCancelled)},
		}}, reason: []string{"the run ended with status cancelled", "a: build queued", "b: test cancelled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.DeepEqual(t, publishBlockers(&tc.rep), tc.reason)
		})
	}
}

func TestPublishConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{name: "nothing", cfg: Config{}},
		{name: "push", cfg: Config{Push: true, Repository: "127.0.0.1:5000/pkgdriver/capstan-packages", KeepTags: 3}},
		{name: "push without repository", cfg: Config{Push: true}, err: "--push needs --repository"},
		{name: "tagged", cfg: Config{Repository: "reg.example.com/a:v1"}, err: "without a tag"},
		{name: "bad name", cfg: Config{Repository: "reg.example.com/A"}, err: "must be lowercase"},
		{name: "negative keep", cfg: Config{KeepTags: -1}, err: "--keep-tags -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.err == "" {
				assert.NilError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.err)
			assert.Check(t, errors.Is(err, driver.ErrUsage))
		})
	}
}

// TestPublishRefusedWritesRecord: a failed recipe stops the publish before anything happens, and
// publish.json says why.
func TestPublishRefusedWritesRecord(t *testing.T) {
	l := pubResult(t)
	dir := filepath.Join(t.TempDir(), "repo")
	p := &Publisher{Config: Config{PackagesTo: dir}, Layout: l, Log: zerolog.Nop()}
	rep := &driver.Report{RunID: "run-1", Status: "failed", Recipes: []driver.RecipeResult{{Name: "a", Status: driver.StatusBuilt}, {Name: "b", Status: driver.StatusFailed}}}
	_, err := p.Publish(context.Background(), rep)
	var refused *NotPublishedError
	assert.Assert(t, errors.As(err, &refused), "%v", err)
	assert.DeepEqual(t, refused.Reasons, []string{"b: build failed"})
	_, statErr := os.Stat(dir)
	assert.Check(t, os.IsNotExist(statErr), "nothing copied")

	var pub Publication
	data, err := os.ReadFile(l.PublishRecord())
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(data, &pub))
	assert.Check(t, is.DeepEqual(pub.NotPublished, []string{"b: build failed"}))
	assert.Check(t, is.Equal(pub.RunID, "run-1"))

	p.Config.PushOnFailure = true
	pub2, err := p.Publish(context.Background(), rep)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(pub2.PackagesTo, dir))
	assert.Check(t, is.Contains(testutil.Snapshot(t, dir), `packages/a.mpm -rw-r--r-- "new a"`))
}

func TestPublishLoadReport(t *testing.T) {
	l := driver.Layout{Root: t.TempDir()}
	_, err := LoadReport(l)
	assert.ErrorContains(t, err, "publish needs the result of `pkgdriver run`")
	assert.NilError(t, os.WriteFile(l.Report(), []byte(`{"run_id":"r","toolchain":{"id":"sha256:1","osv_commit":"0123456789"},"recipes":[]}`), 0o644))
	rep, err := LoadReport(l)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(rep.Toolchain.ShortCommit(), "0123456"))
}
