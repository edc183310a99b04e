package driver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/report"
)

// run --push hands the run's report to Config.Publish with the run's engine; a refusal skips
// the stage, any other failure fails the run.
func TestPublishStageOnFake(t *testing.T) {
	for _, tc := range []struct {
		name    string
		publish error
		wantErr string
	}{
		{name: "published"},
		{name: "refused", publish: fmt.Errorf("nothing was published: %w", ErrNotPublished)},
		{name: "failed", publish: errors.New("registry down"), wantErr: "publish: registry down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.recipe("a", []string{"file f x", "init"}, nil)
			var got *report.Report
			var gotEngine engine.Engine
			env.cfg.Publish = func(_ context.Context, eng engine.Engine, rep *report.Report) error {
				got, gotEngine = rep, eng
				return tc.publish
			}
			_, err := env.execute(context.Background())
			if tc.wantErr != "" {
				assert.Check(t, is.ErrorContains(err, tc.wantErr))
			} else {
				assert.NilError(t, err)
			}
			assert.Assert(t, got != nil)
			assert.Check(t, is.Equal(got.RunID, env.cfg.RunID))
			assert.Check(t, is.Equal(got.Toolchain.Commit, fakeCommit))
			assert.Check(t, is.Len(got.Recipes, 1))
			assert.Check(t, gotEngine == engine.Engine(env.eng))
		})
	}
}
