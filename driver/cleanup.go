package driver

import (
	"context"
	"errors"
	"os"

	"github.com/pkgdriver/pkgdriver/engine"
)

// cleanupRun removes everything this run made on the engine and its staging directory. Each
// container is already removed by the code that made it; this is the safety net that also
// covers a path that forgot, and the shared volume.
func cleanupRun(ctx context.Context, r *Run) error {
	var errs []error
	if r.Engine != nil && r.Config.RunID != "" {
		list, err := r.Engine.ListContainers(ctx, engine.Selector{Key: LabelRun, Value: r.Config.RunID})
		errs = append(errs, err)
		for _, c := range list {
			errs = append(errs, r.Engine.Remove(ctx, c.ID))
		}
	}
	if r.SharedVolume != "" {
		errs = append(errs, r.Engine.RemoveVolume(ctx, r.SharedVolume))
	}
	if r.Config.RunID != "" {
		errs = append(errs, os.RemoveAll(r.Layout.Staging(r.Config.RunID)))
	}
	return errors.Join(errs...)
}
