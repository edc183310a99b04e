package docker

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/volume"

	"github.com/pkgdriver/pkgdriver/engine"
)

// An image directory volume is an overlay mount that the engine's local volume driver makes on
// the engine's machine, like any volume with mount options: its lower directories are dir in
// the image's own layers as they lie in the engine's overlay2 storage (whiteouts and opaque
// directories inside them are the kernel's to honour, as in every container of the image), its
// upper and work directories are in a second, plain volume of the same labels. Nothing is
// copied; the image's layers are never written (an overlay never writes to a lower directory);
// removing the volume removes the upper one with it.
//
// Where a layer replaced dir whole (removed and made it again in one step), the layer marks
// its dir opaque, and an overlay does not honour that mark on a lower directory's root: the
// view would show the older layers' files too. So the view is checked once it is made, in a
// container that mounts it (which is also where a refused mount shows): its listing (names,
// types, modes, owners, sizes, times, link targets) must equal the image's own dir.

// labelUpper names, on an image directory volume, the volume holding its upper directory.
const labelUpper = "pkgdriver.upper-volume"

// maxMountData is what the kernel takes of a mount's options: one page. The local volume
// driver passes the options as they are, so a longer lowerdir list would be cut.
const maxMountData = 4096

// CreateImageDirVolume makes volume name an overlay of dir in image's layers, with writes
// going to a volume of its own; see engine.Volumes.
func (e *Engine) CreateImageDirVolume(ctx context.Context, name, image, dir string, labels map[string]string) (err error) {
	dir = path.Clean("/" + dir)
	layers, err := e.imageLayers(ctx, image)
	if err != nil {
		return err
	}
	upper := name + "-upper"
	// Whatever fails, or stops the making (a create the engine finished after ctx ended
	// included), the view and then its upper volume go; both may not exist, which is fine.
	defer func() {
		if err != nil {
			cctx, cancel := engine.CleanupContext(ctx)
			defer cancel()
			_ = e.RemoveVolume(cctx, name)
			_ = e.RemoveVolume(cctx, upper)
		}
	}()
	if err := e.CreateVolume(ctx, upper, labels); err != nil {
		return err
	}
	lowers, err := e.probeLayers(ctx, image, dir, upper, layers, labels)
	if err != nil {
		return err
	}
	if len(lowers) == 0 {
		return notSupported("image %.19s has no directory %s in its layers", image, dir)
	}
	v, err := e.api.VolumeInspect(ctx, upper)
	if err != nil {
		return wrapErr(fmt.Errorf("inspect volume %s: %w", upper, err))
	}
	info, err := e.api.Info(ctx)
	if err != nil {
		return wrapErr(fmt.Errorf("engine info: %w", err))
	}
	opts, err := mountOptions(lowers, v.Mountpoint, slices.Contains(info.SecurityOptions, "name=rootless"))
	if err != nil {
		return err
	}
	_, err = e.api.VolumeCreate(ctx, volume.CreateOptions{
		Name: name, Driver: "local", Labels: withLabel(labels, labelUpper, upper),
		DriverOpts: map[string]string{"type": "overlay", "device": "overlay", "o": opts},
	})
	if err != nil {
		return wrapErr(fmt.Errorf("create volume %s: %w", name, err))
	}
	return e.checkView(ctx, image, dir, name, labels)
}

// mountOptions are the overlay's options, as the engine's own overlay2 storage mounts its
// containers' layers: no index, and on a rootless engine whiteouts in user.* attributes (it
// writes its layers so). They must fit one page.
func mountOptions(lowers []string, upperMount string, rootless bool) (string, error) {
	opts := "index=off,"
	if rootless {
		opts += "userxattr,"
	}
	opts += "lowerdir=" + strings.Join(lowers, ":") + ",upperdir=" + upperMount + "/upper,workdir=" + upperMount + "/work"
	if len(opts) >= maxMountData {
		return "", notSupported("the overlay of %d layers needs %d bytes of mount options, over the kernel's %d", len(lowers), len(opts), maxMountData)
	}
	return opts, nil
}

// imageLayers are the directories of image's layers on the engine's machine, top first.
func (e *Engine) imageLayers(ctx context.Context, image string) ([]string, error) {
	img, err := e.api.ImageInspect(ctx, image)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("inspect image %s: %w", image, err))
	}
	if img.GraphDriver.Name != "overlay2" {
		return nil, notSupported("the engine stores images with %q, not overlay2", img.GraphDriver.Name)
	}
	layers := []string{img.GraphDriver.Data["UpperDir"]}
	if low := img.GraphDriver.Data["LowerDir"]; low != "" {
		layers = append(layers, strings.Split(low, ":")...)
	}
	for _, l := range layers {
		if !path.IsAbs(l) || path.Base(l) != "diff" || strings.ContainsAny(l, ",:") {
			return nil, notSupported("image %.19s has a layer directory %q that cannot be an overlay's lower directory", image, l)
		}
	}
	return layers, nil
}

// helper runs a container of this package's own with binds and removes it.
func (e *Engine) helper(ctx context.Context, spec engine.ContainerSpec, binds []string, stdout, stderr io.Writer) (engine.Exit, error) {
	// The create is not stopped with ctx: a container the engine made after ctx ended would
	// be left without its id, and with it the volumes it mounts. The engine bounds the call.
	id, err := e.create(context.WithoutCancel(ctx), spec, binds)
	if err != nil {
		return engine.Exit{}, err
	}
	defer func() {
		cctx, cancel := engine.CleanupContext(ctx)
		defer cancel()
		_ = e.Remove(cctx, id)
	}()
	return e.Run(ctx, id, stdout, stderr)
}

// withLabel is a copy of labels with key set to value.
func withLabel(labels map[string]string, key, value string) map[string]string {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[key] = value
	return l
}

func notSupported(format string, args ...any) error {
	return &kindError{fmt.Errorf(format, args...), engine.ErrNotSupported}
}
