package driver

import (
	"context"
	"errors"

	"github.com/pkgdriver/pkgdriver/report"
)

// publishStage is `run --push`: after the tests, it publishes like `pkgdriver publish`, from
// what this run's report will say.
type publishStage struct{}

func (publishStage) String() string { return "publish" }

func (publishStage) Run(ctx context.Context, r *Run) error {
	cfg := r.Config.Publish
	if !cfg.Push {
		return errSkip{"--push not set"}
	}
	if r.Results == nil {
		return errSkip{"no recipe was selected"}
	}
	p := &Publisher{
		Client: r.Engine, Config: cfg, Layout: r.Layout,
		Credentials: CredentialSource{}, Log: r.Config.Log,
	}
	rep := &report.Report{RunID: r.Config.RunID, Start: r.Start.UTC(), Toolchain: r.Toolchain.record(), Recipes: r.Results.list()}
	_, err := p.Publish(ctx, rep)
	var refused *NotPublishedError
	if errors.As(err, &refused) {
		// Already said, at warn level; the recipes' own failures fail the run.
		return errSkip{refused.Error()}
	}
	return err
}
