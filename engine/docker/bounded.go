package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// boundedClient gives each engine call that should answer at once a deadline, so an engine
// that stops answering mid-run fails the call instead of hanging the run.
type boundedClient struct{ client.APIClient }

var _ client.APIClient = boundedClient{}

func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, callTimeout,
		fmt.Errorf("the docker engine did not answer within %s", callTimeout))
}

func (c boundedClient) Ping(ctx context.Context) (types.Ping, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.Ping(ctx)
}

func (c boundedClient) Info(ctx context.Context) (system.Info, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.Info(ctx)
}

func (c boundedClient) ServerVersion(ctx context.Context) (types.Version, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ServerVersion(ctx)
}

func (c boundedClient) ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ImageInspect(ctx, ref, opts...)
}

func (c boundedClient) ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ImageList(ctx, opts)
}

func (c boundedClient) ImageTag(ctx context.Context, src, ref string) error {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ImageTag(ctx, src, ref)
}

func (c boundedClient) ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ContainerList(ctx, opts)
}

func (c boundedClient) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ContainerInspect(ctx, id)
}

func (c boundedClient) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig,
	network *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ContainerCreate(ctx, cfg, host, network, platform, name)
}

func (c boundedClient) ContainerStart(ctx context.Context, id string, opts container.StartOptions) error {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.ContainerStart(ctx, id, opts)
}

func (c boundedClient) VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.VolumeList(ctx, opts)
}

func (c boundedClient) VolumeCreate(ctx context.Context, opts volume.CreateOptions) (volume.Volume, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.VolumeCreate(ctx, opts)
}

func (c boundedClient) VolumeInspect(ctx context.Context, name string) (volume.Volume, error) {
	ctx, cancel := callContext(ctx)
	defer cancel()
	return c.APIClient.VolumeInspect(ctx, name)
}
