package driver

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pkgdriver/pkgdriver/engine"
)

// shareStage gives, with SHARE_OSV_DIR, every recipe container one OSv tree: the old container's
// faster mode where recipes may see each other's changes. The engine first tries a view of the
// toolchain image's tree that copies nothing (its writes go to storage of the run's own); where
// it cannot (another storage driver, a remote or rootless engine that refuses the mount, an
// image whose layers the view would not show faithfully), the tree is copied into a volume: the
// engine fills an empty volume from the image the first time it is mounted, and a seed container
// does that once, before recipes race for it. The report's settings say which way was used.
type shareStage struct{}

func (shareStage) String() string { return "shared OSv volume" }

// Settings key of the report saying how the shared tree was made.
const settingSharedTree = "shared OSv tree"

func (shareStage) Run(ctx context.Context, r *Run) error {
	if !r.Config.ShareOSVDir {
		return errSkip{"each recipe gets its own copy-on-write OSv tree"}
	}
	view := "pkgdriver-osv-layered-" + r.Config.RunID
	err := r.Engine.CreateImageDirVolume(ctx, view, r.Toolchain.ID, containerOSV, r.labels("osv-volume", ""))
	if err == nil {
		r.SharedVolume, r.SharedVolumeNoCopy = view, true
		r.SharedTree = "a copy-on-write view of the toolchain image's " + containerOSV + " (nothing copied)"
		r.Config.Log.Info().Str("volume", view).Msg("shared OSv tree: a view of the toolchain image's layers, nothing copied")
		return nil
	}
	if ctx.Err() != nil || errors.Is(err, engine.ErrUnavailable) {
		return err
	}
	r.SharedTree = "copied from the toolchain image into a volume: " + err.Error()
	r.Config.Log.Warn().Err(err).Msg("shared OSv tree: no view of the toolchain image's layers here, copying the tree into a volume instead")
	return seedSharedVolume(ctx, r)
}

// seedSharedVolume makes the volume and has the engine copy the image's tree into it.
func seedSharedVolume(ctx context.Context, r *Run) error {
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
