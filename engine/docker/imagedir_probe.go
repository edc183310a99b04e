package docker

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
)

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
