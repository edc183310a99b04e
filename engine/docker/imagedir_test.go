package docker

import (
	"context"
	"errors"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/storage"
	"github.com/docker/docker/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// inspectEngine answers ImageInspect with a storage driver and its data.
type inspectEngine struct {
	client.APIClient
	driver storage.DriverData
}

func (e inspectEngine) ImageInspect(context.Context, string, ...client.ImageInspectOption) (image.InspectResponse, error) {
	return image.InspectResponse{GraphDriver: e.driver}, nil
}

// The image's layers, top first, from the overlay2 driver's data; any other storage, or a
// layer path an overlay option cannot hold, is ErrNotSupported saying why.
func TestImageLayers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		driver storage.DriverData
		want   []string
		err    string
	}{
		{name: "one layer", driver: storage.DriverData{Name: "overlay2", Data: map[string]string{"UpperDir": "/d/top/diff"}},
			want: []string{"/d/top/diff"}},
		{name: "layers", driver: storage.DriverData{Name: "overlay2", Data: map[string]string{
			"UpperDir": "/d/top/diff", "LowerDir": "/d/mid/diff:/d/base/diff", "WorkDir": "/d/top/work"}},
			want: []string{"/d/top/diff", "/d/mid/diff", "/d/base/diff"}},
		{name: "btrfs", driver: storage.DriverData{Name: "btrfs"}, err: `the engine stores images with "btrfs", not overlay2`},
		{name: "comma", driver: storage.DriverData{Name: "overlay2", Data: map[string]string{"UpperDir": "/d/a,b/diff"}},
			err: `a layer directory "/d/a,b/diff" that cannot be`},
		{name: "not a diff", driver: storage.DriverData{Name: "overlay2", Data: map[string]string{"UpperDir": "/d/top/merged"}},
			err: `a layer directory "/d/top/merged" that cannot be`},
		{name: "no dirs", driver: storage.DriverData{Name: "overlay2"}, err: `a layer directory "" that cannot be`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{api: inspectEngine{driver: tc.driver}}
			got, err := e.imageLayers(context.Background(), "img")
			if tc.err != "" {
				assert.Check(t, errors.Is(err, engine.ErrNotSupported), "%v", err)
				assert.Check(t, is.ErrorContains(err, tc.err))
				return
			}
			assert.NilError(t, err)
			assert.Check(t, is.DeepEqual(got, tc.want))
		})
	}
}

// The overlay's options: Docker's own (no index; user.* attributes on a rootless engine), within
// one page.
func TestMountOptions(t *testing.T) {
	got, err := mountOptions([]string{"/s/l/A/osv", "/s/l/B/osv"}, "/v/up/_data", false)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, "index=off,lowerdir=/s/l/A/osv:/s/l/B/osv,upperdir=/v/up/_data/upper,workdir=/v/up/_data/work"))
	got, err = mountOptions([]string{"/s/l/A/osv"}, "/v/up/_data", true)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, "index=off,userxattr,lowerdir=/s/l/A/osv,upperdir=/v/up/_data/upper,workdir=/v/up/_data/work"))

	many := make([]string, 80)
	for i := range many {
		many[i] = "/var/lib/docker/overlay2/l/ABCDEFGHIJKLMNOPQRSTUVWXYZ/osv"
	}
	_, err = mountOptions(many, "/v/up/_data", false)
	assert.Check(t, errors.Is(err, engine.ErrNotSupported), "%v", err)
	assert.Check(t, is.ErrorContains(err, "the overlay of 80 layers needs 4"))
}
