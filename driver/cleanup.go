package driver

import (
	"context"
	"errors"
	"os"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// cleanupRun removes everything this run made on the engine and its staging directory. Each
// container is already removed by the code that made it; this is the safety net that also
// covers a path that forgot, and the shared volume.
func cleanupRun(ctx context.Context, r *Run) error {
	var errs []error
	if r.Engine != nil && r.Config.RunID != "" {
		f := filters.NewArgs(filters.Arg("label", LabelRun+"="+r.Config.RunID))
		list, err := r.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		errs = append(errs, err)
		for _, c := range list {
			errs = append(errs, r.Runner.Remove(ctx, c.ID))
		}
	}
	if r.SharedVolume != "" {
		errs = append(errs, ignoreGone(r.Engine.VolumeRemove(ctx, r.SharedVolume, true)))
	}
	if r.Config.RunID != "" {
		errs = append(errs, os.RemoveAll(r.Layout.Staging(r.Config.RunID)))
	}
	return errors.Join(errs...)
}
