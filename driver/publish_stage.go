package driver

import (
	"context"
	"errors"

	"github.com/pkgdriver/pkgdriver/report"
)

// ErrNotPublished marks a publish refused because the run did not build and pass every
// selected recipe: the refusal is logged by the publisher and the recipes' own failures fail
// the run, so the stage is skipped, not failed.
var ErrNotPublished = errors.New("not published")

// publishStage is `run --push`: after the tests, it publishes like `pkgdriver publish`, from
// what this run's report will say, through Config.Publish.
type publishStage struct{}

func (publishStage) String() string { return "publish" }

func (publishStage) Run(ctx context.Context, r *Run) error {
	if r.Config.Publish == nil {
		return errSkip{"--push not set"}
	}
	if r.Results == nil {
		return errSkip{"no recipe was selected"}
	}
	rep := &report.Report{RunID: r.Config.RunID, Start: r.Start.UTC(), Toolchain: r.Toolchain.record(), Recipes: r.Results.list()}
	err := r.Config.Publish(ctx, r.Engine, rep)
	if errors.Is(err, ErrNotPublished) {
		return errSkip{err.Error()}
	}
	return err
}
