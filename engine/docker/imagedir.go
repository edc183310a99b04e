package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strconv"
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
	if err := e.CreateVolume(ctx, upper, labels); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			cctx, cancel := engine.CleanupContext(ctx)
			defer cancel()
			_ = e.RemoveVolume(cctx, upper)
		}
	}()
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
	if err := e.checkView(ctx, image, dir, name, labels); err != nil {
		cctx, cancel := engine.CleanupContext(ctx)
		defer cancel()
		_ = engine.IgnoreGone(wrapErr(e.api.VolumeRemove(cctx, name, true)))
		return err
	}
	return nil
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

// probeScript makes the upper and work directories (the upper one with the owner, mode and
// time of the image's $DIR: an overlay's root shows its upper directory's), then prints, top
// layer first, the number of each layer whose diff holds $DIR as a directory, with the layer's
// short name (its link file: the storage's l/ directory has a link of that name to its diff). It
// stops at a layer where $DIR or a directory above it is something else (a whiteout, a file, a
// link): that hides the layers below.
const probeScript = `set -e
if [ -L "$DIR" ] || [ ! -d "$DIR" ]; then exit 0; fi
u=/pkgdriver/upper/upper
mkdir "$u" /pkgdriver/upper/work
chown "$(stat -c %u:%g "$DIR")" "$u"
chmod "$(stat -c %a "$DIR")" "$u"
touch -r "$DIR" "$u"
i=0
while [ "$i" -lt "$LAYERS" ]; do
	p=/pkgdriver/layer/$i/diff
	for c in $(echo "$DIR" | tr / ' '); do
		p=$p/$c
		if [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; then exit 0; fi
	done
	if [ -d "$p" ]; then echo "$i $(cat /pkgdriver/layer/$i/link 2>/dev/null || echo -)"; fi
	i=$((i+1))
done
`

// probeLayers runs a container of image that sees each layer read-only and the upper volume,
// and returns the lower directories of an overlay of dir, top first.
func (e *Engine) probeLayers(ctx context.Context, image, dir, upper string, layers []string, labels map[string]string) ([]string, error) {
	binds := make([]string, len(layers))
	for i, l := range layers {
		binds[i] = path.Dir(l) + ":/pkgdriver/layer/" + strconv.Itoa(i) + ":ro"
	}
	var out, errOut bytes.Buffer
	exit, err := e.helper(ctx, engine.ContainerSpec{
		Image: image, Cmd: []string{"/bin/sh", "-c", probeScript},
		Env:    []string{"DIR=" + dir, "LAYERS=" + strconv.Itoa(len(layers))},
		Labels: withLabel(labels, engine.LabelRole, "image-dir-probe"), NoNetwork: true, VolumesNoCopy: true,
		Volumes: map[string]string{upper: "/pkgdriver/upper"},
	}, binds, &out, &errOut)
	if err != nil {
		return nil, fmt.Errorf("probe the layers of image %.19s: %w", image, err)
	}
	if exit.Code != 0 {
		return nil, fmt.Errorf("probe the layers of image %.19s: exit %d: %s", image, exit.Code, strings.TrimSpace(errOut.String()))
	}
	lowers, err := lowerDirs(layers, dir, out.String())
	if err != nil {
		return nil, fmt.Errorf("probe the layers of image %.19s: %w", image, err)
	}
	return lowers, nil
}

// lowerDirs makes the probe's lines ("<layer number> <short name or ->") the overlay's lower
// directories: dir under the storage's short link of each layer where it has one (the mount's
// options hold one page, and a short name is about half a full layer path), else under its
// diff directory.
func lowerDirs(layers []string, dir, probed string) ([]string, error) {
	var lowers []string
	for _, line := range strings.Split(strings.TrimSpace(probed), "\n") {
		if line == "" {
			continue
		}
		num, link, _ := strings.Cut(line, " ")
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 || i >= len(layers) {
			return nil, fmt.Errorf("unexpected output %q", probed)
		}
		lower := layers[i]
		if shortName(link) {
			lower = path.Join(path.Dir(path.Dir(lower)), "l", link)
		}
		lowers = append(lowers, lower+dir)
	}
	return lowers, nil
}

// shortName reports whether s is a layer's short name as overlay2 makes them (letters and
// digits).
func shortName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// listScript lists $DIR and the view, one line per entry, with a line "--" between.
const listScript = `set -e
cd "$DIR"
find . -printf '%p\t%y\t%m\t%U:%G\t%s\t%T@\t%l\n'
echo --
cd /pkgdriver/view
find . -printf '%p\t%y\t%m\t%U:%G\t%s\t%T@\t%l\n'
`

// checkView mounts volume in a container of image and compares its listing with the image's
// dir. A view that cannot be mounted or differs is ErrNotSupported, saying why.
func (e *Engine) checkView(ctx context.Context, image, dir, volume string, labels map[string]string) error {
	var out, errOut bytes.Buffer
	exit, err := e.helper(ctx, engine.ContainerSpec{
		Image: image, Cmd: []string{"/bin/sh", "-c", listScript}, Env: []string{"DIR=" + dir},
		Labels: withLabel(labels, engine.LabelRole, "image-dir-check"), NoNetwork: true, VolumesNoCopy: true,
		Volumes: map[string]string{volume: "/pkgdriver/view"},
	}, nil, &out, &errOut)
	switch {
	case ctx.Err() != nil || errors.Is(err, engine.ErrUnavailable):
		return err
	case err != nil:
		return notSupported("the engine could not mount the overlay: %v", err)
	case exit.Code != 0:
		return notSupported("listing the overlay exited %d: %s", exit.Code, strings.TrimSpace(errOut.String()))
	}
	mine, view, ok := strings.Cut(out.String(), "--\n")
	if !ok {
		return notSupported("listing the overlay printed no separator")
	}
	want, got := entries(mine), entries(view)
	if d := firstDifference(want, got); d != "" {
		return notSupported("the overlay of the image's layers differs from the image's %s (a layer replaced it whole?): %s", dir, d)
	}
	return nil
}

// entries are a listing's lines by their path (what comes before the first tab).
func entries(listing string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(listing, "\n"), "\n") {
		p, _, _ := strings.Cut(line, "\t")
		m[p] = line
	}
	return m
}

// firstDifference names the first path (in order) only one listing has, or whose details
// differ; "" when they are the same.
func firstDifference(want, got map[string]string) string {
	paths := slices.Sorted(maps.Keys(want))
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		w, inImage := want[p]
		g, inView := got[p]
		switch {
		case !inView:
			return "missing " + p
		case !inImage:
			return "extra " + p
		case w != g:
			return fmt.Sprintf("%s is %q, in the image %q", p, g, w)
		}
	}
	return ""
}

// helper runs a container of this package's own with binds and removes it.
func (e *Engine) helper(ctx context.Context, spec engine.ContainerSpec, binds []string, stdout, stderr io.Writer) (engine.Exit, error) {
	id, err := e.create(ctx, spec, binds)
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
