package driver

import (
	"context"
	"fmt"
	"io"

	"github.com/pkgdriver/pkgdriver/engine"
)

// shareStage makes, with SHARE_OSV_DIR, one named volume holding the OSv tree that every recipe
// container mounts: the old container's faster mode where recipes may see each other's changes.
// The engine fills an empty volume from the image the first time it is mounted; a seed container
// does that once, before recipes race for it.
type shareStage struct{}

func (shareStage) String() string { return "shared OSv volume" }

func (shareStage) Run(ctx context.Context, r *Run) error {
	if !r.Config.ShareOSVDir {
		return errSkip{"each recipe gets its own copy-on-write OSv tree"}
	}
	vol := "pkgdriver-osv-" + r.Config.RunID
	if err := r.Engine.CreateVolume(ctx, vol, r.labels("osv-volume", "")); err != nil {
		return fmt.Errorf("create the shared OSv volume: %w", err)
	}
	r.SharedVolume = vol
	id, err := r.Engine.Create(ctx, engine.ContainerSpec{
		Image: r.Toolchain.ID, Cmd: []string{"true"}, Labels: r.labels("osv-volume-seed", ""),
		Volumes: map[string]string{vol: "/osv"}, NoNetwork: true,
	})
	if err != nil {
		return err
	}
	defer r.removeContainer(ctx, id)
	exit, err := r.Engine.Run(ctx, id, io.Discard, io.Discard)
	if err == nil && exit.Code != 0 {
		err = fmt.Errorf("seeding the shared OSv volume exited %d", exit.Code)
	}
	return err
}
