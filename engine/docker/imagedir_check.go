package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
)

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
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, engine.ErrUnavailable):
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
