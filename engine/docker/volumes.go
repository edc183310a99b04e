package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/volume"

	"github.com/pkgdriver/pkgdriver/engine"
)

// CreateVolume makes a named local volume.
func (e *Engine) CreateVolume(ctx context.Context, name string, labels map[string]string) error {
	if _, err := e.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels}); err != nil {
		return wrapErr(fmt.Errorf("create volume %s: %w", name, err))
	}
	return nil
}

// RemoveVolume force-removes a volume, and then the volume holding its upper directory when it
// is an image directory volume; one already gone is fine.
func (e *Engine) RemoveVolume(ctx context.Context, name string) error {
	v, err := e.api.VolumeInspect(ctx, name)
	if err = engine.IgnoreGone(wrapErr(err)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	if err := engine.IgnoreGone(wrapErr(e.api.VolumeRemove(ctx, name, true))); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	// Only once the overlay is gone: its upper directory must not go while it may be mounted.
	if upper := v.Labels[labelUpper]; upper != "" {
		return e.RemoveVolume(ctx, upper)
	}
	return nil
}

// ListVolumes lists volumes by label.
func (e *Engine) ListVolumes(ctx context.Context, sel engine.Selector) ([]engine.Volume, error) {
	resp, err := e.api.VolumeList(ctx, volume.ListOptions{Filters: labelFilter(sel)})
	if err != nil {
		return nil, wrapErr(fmt.Errorf("list volumes %s: %w", sel, err))
	}
	out := make([]engine.Volume, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		out = append(out, engine.Volume{Name: v.Name, Labels: v.Labels})
	}
	return out, nil
}
