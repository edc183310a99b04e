package docker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/docker"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// layeredOSv is a stand-in toolchain image whose /osv is made in three layers, with a layer
// between that does not touch it: owners, modes (setuid, group-writable root), a symlink, an
// empty directory, a file deleted later, a directory replaced later (opaque in its layer) and a
// file changed later.
const layeredOSv = `RUN mkdir -p /osv/build/release.x64 /osv/sub/gone /osv/empty && echo a > /osv/a && echo b > /osv/b && \
    echo x > /osv/sub/gone/x && chown 1000:1000 /osv/a && chmod 640 /osv/a && ln -s a /osv/link && \
    echo s > /osv/build/tool && chmod 4755 /osv/build/tool && chown 123:456 /osv && chmod 775 /osv
RUN echo other > /etc/pkgdriver-other
RUN rm /osv/b && rm -rf /osv/sub/gone && mkdir /osv/sub/gone && echo y > /osv/sub/gone/y && echo c > /osv/c && echo a2 >> /osv/a
`

// listing prints dir's entries with their type, mode, owner, link target, and every file's
// checksum, sorted: what must be equal between the image's tree and a view of it.
const listing = `cd "$1" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort`

type dirVolumeTest struct {
	t      *testing.T
	api    *client.Client
	e      *docker.Engine
	run    string
	labels map[string]string
}

func newDirVolumeTest(t *testing.T) *dirVolumeTest {
	api := testutil.Engine(t)
	run := fmt.Sprintf("test-imagedir-%d-%d", time.Now().UnixNano(), os.Getpid())
	return &dirVolumeTest{t: t, api: api, e: docker.Wrap(api), run: run, labels: map[string]string{engine.LabelRun: run, engine.LabelRole: "engine-test"}}
}

// image builds a stand-in image from the base image and the Dockerfile steps; it is removed
// with the test.
func (d *dirVolumeTest) image(steps string) string {
	ctx := context.Background()
	tag := fmt.Sprintf("pkgdriver-test/imagedir-%d", time.Now().UnixNano())
	_, err := d.e.BuildImage(ctx, engine.BuildSpec{
		Context: testutil.TarOf(d.t, map[string]string{"Dockerfile": "FROM " + testutil.BaseImage + "\n" + steps}),
		Tags:    []string{tag}, Labels: map[string]string{engine.LabelRun: d.run}, Log: &bytes.Buffer{},
	})
	assert.NilError(d.t, err)
	d.t.Cleanup(func() { _ = d.e.RemoveImage(context.Background(), tag) })
	return tag
}

// sh runs script in a container of image with volumes mounted (never filled from the image)
// and returns its output; it must exit 0.
func (d *dirVolumeTest) sh(image string, volumes map[string]string, script string, args ...string) string {
	out, err := d.try(image, volumes, script, args...)
	assert.NilError(d.t, err)
	return out
}

// try is sh for any goroutine: it returns what went wrong.
func (d *dirVolumeTest) try(image string, volumes map[string]string, script string, args ...string) (string, error) {
	ctx := context.Background()
	id, err := d.e.Create(ctx, engine.ContainerSpec{
		Image: image, Cmd: append([]string{"/bin/sh", "-c", script, "sh"}, args...), Labels: d.labels,
		NoNetwork: true, Volumes: volumes, VolumesNoCopy: true,
	})
	if err != nil {
		return "", err
	}
	defer d.e.Remove(context.Background(), id)
	var out, errOut bytes.Buffer
	exit, err := d.e.Run(ctx, id, &out, &errOut)
	if err == nil && exit.Code != 0 {
		err = fmt.Errorf("%s: exit %d: %s", script, exit.Code, errOut.String())
	}
	return out.String(), err
}

func (d *dirVolumeTest) leftovers() {
	d.t.Helper()
	containers, volumes := testutil.Leftovers(d.t, d.api, d.run)
	assert.Check(d.t, is.Len(containers, 0))
	assert.Check(d.t, is.Len(volumes, 0))
}

// An image directory volume shows the image's /osv as it is, files, owners, modes, links,
// deletions and contents; writes go to the volume only (the image and a second volume of the
// same image see none); removing it leaves nothing.
func TestImageDirVolumeOnDocker(t *testing.T) {
	d := newDirVolumeTest(t)
	ctx := context.Background()
	img := d.image(layeredOSv)
	want := d.sh(img, nil, listing, "/osv")
	for _, s := range []string{"./a f 640 1000:1000 5 ", ". d 775 123:456 ", "./build/tool f 4755 ", "./link l 777 0:0 1 a", "./sub/gone/y f", "./empty d"} {
		assert.Check(t, is.Contains(want, s))
	}
	for _, s := range []string{"./b ", "./sub/gone/x"} {
		assert.Check(t, !strings.Contains(want, s), "%s is in the image's tree", s)
	}

	vol := "pkgdriver-" + d.run
	assert.NilError(t, d.e.CreateImageDirVolume(ctx, vol, img, "/osv", d.labels))
	defer d.e.RemoveVolume(context.Background(), vol)
	// The lower directories are named by the layers' short links: the options hold one page.
	v, err := d.api.VolumeInspect(ctx, vol)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(v.Options["type"], "overlay"))
	assert.Check(t, is.Contains(v.Options["o"], "/l/"))
	assert.Check(t, !strings.Contains(v.Options["o"], "/diff/"), "%s", v.Options["o"])
	assert.Check(t, is.Equal(d.sh(img, map[string]string{vol: "/view"}, listing, "/view"), want))
	// Mounted where the image has the tree, as recipes mount it: the same.
	assert.Check(t, is.Equal(d.sh(img, map[string]string{vol: "/osv"}, listing, "/osv"), want))

	d.sh(img, map[string]string{vol: "/osv"}, "echo new > /osv/new && rm /osv/a && echo changed > /osv/c && mkdir /osv/d && chmod 700 /osv/build/tool")
	after := d.sh(img, map[string]string{vol: "/osv"}, listing, "/osv")
	assert.Check(t, is.Contains(after, "./new f"))
	assert.Check(t, is.Contains(after, "./build/tool f 700 "))
	assert.Check(t, !strings.Contains(after, "./a f"))
	assert.Check(t, is.Equal(d.sh(img, nil, listing, "/osv"), want), "the image saw the writes")

	// Recipes running at once share the one view: each sees what all wrote.
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := d.try(img, map[string]string{vol: "/osv"}, `echo $1 > /osv/w-$1 && i=0; while [ $(ls /osv | grep -c '^w-') -lt 4 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; ls /osv | grep -c '^w-' | grep -qx 4`, strconv.Itoa(i))
			errs <- err
		}()
	}
	for range 4 {
		assert.Check(t, <-errs)
	}

	next := vol + "-next"
	assert.NilError(t, d.e.CreateImageDirVolume(ctx, next, img, "/osv", d.labels))
	defer d.e.RemoveVolume(context.Background(), next)
	assert.Check(t, is.Equal(d.sh(img, map[string]string{next: "/osv"}, listing, "/osv"), want), "the next volume saw the writes")

	assert.NilError(t, d.e.RemoveVolume(ctx, vol))
	assert.NilError(t, d.e.RemoveVolume(ctx, next))
	assert.NilError(t, d.e.RemoveVolume(ctx, next), "a volume already gone is fine")
	d.leftovers()
}

// Where the view cannot be the image's tree, CreateImageDirVolume says why, as ErrNotSupported,
// and leaves nothing behind: a layer that replaced /osv whole (its opaque mark is not honoured
// on an overlay's lower root), an image without the directory.
func TestImageDirVolumeRefusedOnDocker(t *testing.T) {
	d := newDirVolumeTest(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, steps, dir, want string
	}{
		{name: "replaced", steps: layeredOSv + "RUN rm -rf /osv && mkdir /osv && echo z > /osv/z\n", dir: "/osv",
			want: "the overlay of the image's layers differs from the image's /osv (a layer replaced it whole?): extra ./a"},
		{name: "removed", steps: layeredOSv + "RUN rm -rf /osv/sub\n", dir: "/osv/sub", want: "has no directory /osv/sub in its layers"},
		{name: "missing", steps: "RUN true\n", dir: "/osv", want: "has no directory /osv in its layers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := d.image(tc.steps)
			err := d.e.CreateImageDirVolume(ctx, "pkgdriver-"+d.run+"-"+tc.name, img, tc.dir, d.labels)
			assert.Check(t, errors.Is(err, engine.ErrNotSupported), "%v", err)
			assert.Check(t, is.ErrorContains(err, tc.want))
			d.leftovers()
		})
	}
}

// Stopped at any point of its making (probe, volume, check), CreateImageDirVolume returns the
// cause and leaves no volume and no container behind.
func TestImageDirVolumeStoppedOnDocker(t *testing.T) {
	d := newDirVolumeTest(t)
	img := d.image(layeredOSv)
	for i, after := range []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second} {
		cause := errors.New("stopped by the test")
		ctx, cancel := context.WithTimeoutCause(context.Background(), after, cause)
		err := d.e.CreateImageDirVolume(ctx, fmt.Sprintf("pkgdriver-%s-%d", d.run, i), img, "/osv", d.labels)
		cancel()
		if err == nil {
			t.Logf("made within %s", after)
			assert.NilError(t, d.e.RemoveVolume(context.Background(), fmt.Sprintf("pkgdriver-%s-%d", d.run, i)))
		} else {
			assert.Check(t, errors.Is(err, cause) || errors.Is(err, context.DeadlineExceeded), "after %s: %v", after, err)
		}
		d.leftovers()
	}
}
