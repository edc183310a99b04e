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
	"github.com/pkgdriver/pkgdriver/report"
)

func TestPublishBlockers(t *testing.T) {
	test := func(s report.TestStatus) *report.TestResult { return &report.TestResult{Status: s} }
	for _, tc := range []struct {
		name   string
		rep    report.Report
		reason []string
	}{
		{name: "all good", rep: report.Report{Status: "ok", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt, Test: test(report.TestPassed)},
			{Name: "b", Status: report.StatusCached, Test: test(report.TestCached)},
			{Name: "c", Status: report.StatusBuilt, Test: test(report.TestUntested)},
			{Name: "d", Status: report.StatusBuilt, Test: test(report.TestSkipped)},
			{Name: "e", Status: report.StatusBuilt},
			{Name: "f", Status: report.StatusNotBuilt, Test: test(report.TestPassed)},
		}}},
		{name: "build failed", rep: report.Report{Status: "failed", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt}, {Name: "b", Status: report.StatusFailed}, {Name: "c", Status: report.StatusTimedOut},
		}}, reason: []string{"b: build failed", "c: build timed out"}},
		{name: "test failed", rep: report.Report{Status: "failed", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusBuilt, Test: test(report.TestFailed)},
			{Name: "b", Status: report.StatusNotBuilt, Test: test(report.TestTimedOut)},
		}}, reason: []string{"a: test failed", "b: test timed out"}},
		{name: "interrupted", rep: report.Report{Status: "cancelled", Recipes: []report.RecipeResult{
			{Name: "a", Status: report.StatusQueued}, {Name: "b", Status: report.StatusBuilt, Test: test(report.TestCancelled)},
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
	rep := &report.Report{RunID: "run-1", Status: "failed", Recipes: []report.RecipeResult{{Name: "a", Status: report.StatusBuilt}, {Name: "b", Status: report.StatusFailed}}}
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
