package docker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/engine"
)

// deadlineEngine records the deadline of each call it gets; the other methods are not used.
type deadlineEngine struct {
	client.APIClient
	got map[string]time.Duration // method: time left when called; -1 without a deadline
}

func (e *deadlineEngine) saw(ctx context.Context, method string) {
	d, ok := ctx.Deadline()
	e.got[method] = -1
	if ok {
		e.got[method] = time.Until(d)
	}
}

func (e *deadlineEngine) Ping(ctx context.Context) (types.Ping, error) {
	e.saw(ctx, "Ping")
	return types.Ping{}, nil
}

func (e *deadlineEngine) Info(ctx context.Context) (system.Info, error) {
	e.saw(ctx, "Info")
	return system.Info{}, nil
}

func (e *deadlineEngine) ServerVersion(ctx context.Context) (types.Version, error) {
	e.saw(ctx, "ServerVersion")
	return types.Version{}, nil
}

func (e *deadlineEngine) ImageInspect(ctx context.Context, _ string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	e.saw(ctx, "ImageInspect")
	return image.InspectResponse{}, nil
}

func (e *deadlineEngine) ImageList(ctx context.Context, _ image.ListOptions) ([]image.Summary, error) {
	e.saw(ctx, "ImageList")
	return nil, nil
}

func (e *deadlineEngine) ImageTag(ctx context.Context, _, _ string) error {
	e.saw(ctx, "ImageTag")
	return nil
}

func (e *deadlineEngine) ContainerList(ctx context.Context, _ container.ListOptions) ([]container.Summary, error) {
	e.saw(ctx, "ContainerList")
	return nil, nil
}

func (e *deadlineEngine) ContainerInspect(ctx context.Context, _ string) (container.InspectResponse, error) {
	e.saw(ctx, "ContainerInspect")
	return container.InspectResponse{}, nil
}

func (e *deadlineEngine) ContainerCreate(ctx context.Context, _ *container.Config, _ *container.HostConfig,
	_ *network.NetworkingConfig, _ *ocispec.Platform, _ string) (container.CreateResponse, error) {
	e.saw(ctx, "ContainerCreate")
	return container.CreateResponse{}, nil
}

func (e *deadlineEngine) ContainerStart(ctx context.Context, _ string, _ container.StartOptions) error {
	e.saw(ctx, "ContainerStart")
	return nil
}

func (e *deadlineEngine) VolumeList(ctx context.Context, _ volume.ListOptions) (volume.ListResponse, error) {
	e.saw(ctx, "VolumeList")
	return volume.ListResponse{}, nil
}

func (e *deadlineEngine) VolumeCreate(ctx context.Context, _ volume.CreateOptions) (volume.Volume, error) {
	e.saw(ctx, "VolumeCreate")
	return volume.Volume{}, nil
}

func (e *deadlineEngine) VolumeInspect(ctx context.Context, _ string) (volume.Volume, error) {
	e.saw(ctx, "VolumeInspect")
	return volume.Volume{}, nil
}

// Every call an engine answers at once reaches the engine with a deadline of its own, also when
// the caller's context has none.
func TestBoundedClientDeadlines(t *testing.T) {
	t.Parallel()
	fake := &deadlineEngine{got: map[string]time.Duration{}}
	var c client.APIClient = boundedClient{fake}
	ctx := context.Background()
	_, _ = c.Ping(ctx)
	_, _ = c.Info(ctx)
	_, _ = c.ServerVersion(ctx)
	_, _ = c.ImageInspect(ctx, "x")
	_, _ = c.ImageList(ctx, image.ListOptions{})
	_ = c.ImageTag(ctx, "x", "y")
	_, _ = c.ContainerList(ctx, container.ListOptions{})
	_, _ = c.ContainerInspect(ctx, "x")
	_, _ = c.ContainerCreate(ctx, nil, nil, nil, nil, "")
	_ = c.ContainerStart(ctx, "x", container.StartOptions{})
	_, _ = c.VolumeList(ctx, volume.ListOptions{})
	_, _ = c.VolumeCreate(ctx, volume.CreateOptions{})
	_, _ = c.VolumeInspect(ctx, "x")
	assert.Equal(t, len(fake.got), 13)
	for method, left := range fake.got {
		assert.Check(t, left > 0 && left <= callTimeout, "%s: %v left", method, left)
	}

	// A shorter deadline of the caller's stays.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, _ = c.Info(short)
	assert.Check(t, fake.got["Info"] <= time.Second)
}

func TestEngineTimeoutSetting(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{env: "", want: DefaultTimeout},
		{env: "3s", want: 3 * time.Second},
		{env: "1m30s", want: 90 * time.Second},
		{env: "3", bad: true},
		{env: "0s", bad: true},
		{env: "-1s", bad: true},
	} {
		t.Setenv("PKGDRIVER_ENGINE_TIMEOUT", tc.env)
		got, err := Timeout()
		if tc.bad {
			assert.Check(t, err != nil && errors.Is(err, engine.ErrUnavailable), "%q: %v", tc.env, err)
			continue
		}
		assert.NilError(t, err)
		assert.Equal(t, got, tc.want)
	}
}
