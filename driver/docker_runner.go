package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// DockerRunner runs containers on a Docker engine through its API only, so it works the same
// against a remote engine (DOCKER_HOST) where bind mounts would name the wrong machine.
type DockerRunner struct {
	Client client.APIClient
}

var _ Runner = (*DockerRunner)(nil)

// Create makes a container with least privilege: no new privileges, no engine socket, only the
// devices asked for, an init process that reaps whatever build.sh leaves behind, and no
// daemon-side copy of the output (it is streamed once, into the run's log file).
func (d *DockerRunner) Create(ctx context.Context, spec ContainerSpec) (string, error) {
	cfg := &container.Config{
		Image:      spec.Image,
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		WorkingDir: spec.WorkingDir,
		Labels:     spec.Labels,
	}
	initProcess := true
	host := &container.HostConfig{
		Init:        &initProcess,
		Privileged:  spec.Privileged,
		LogConfig:   container.LogConfig{Type: "none"},
		SecurityOpt: []string{"no-new-privileges"},
		Resources: container.Resources{
			NanoCPUs: int64(spec.CPUs * 1e9),
			Memory:   spec.Memory,
		},
	}
	if spec.Memory > 0 {
		// Memory and swap together equal to the limit: no swap on top of it, so a recipe over
		// its limit is killed and reported as out of memory instead of crawling through swap.
		host.Resources.MemorySwap = spec.Memory
	}
	if spec.PidsLimit > 0 {
		host.Resources.PidsLimit = &spec.PidsLimit
	}
	if spec.NoNetwork {
		host.NetworkMode = "none"
	}
	for _, dev := range spec.Devices {
		host.Resources.Devices = append(host.Resources.Devices, container.DeviceMapping{
			PathOnHost: dev, PathInContainer: dev, CgroupPermissions: "rwm",
		})
	}
	for vol, target := range spec.Volumes {
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeVolume, Source: vol, Target: target})
	}
	resp, err := d.Client.ContainerCreate(ctx, cfg, host, nil, nil, "")
	if err != nil {
		return "", engineErr(fmt.Errorf("create container from %s: %w", spec.Image, err))
	}
	return resp.ID, nil
}

// CopyIn extracts a tar stream under dir inside the container.
func (d *DockerRunner) CopyIn(ctx context.Context, id, dir string, content io.Reader) error {
	if err := d.Client.CopyToContainer(ctx, id, dir, content, container.CopyToContainerOptions{}); err != nil {
		return engineErr(fmt.Errorf("copy into container %.12s: %w", id, err))
	}
	return nil
}

// Run attaches before starting so no early output is lost, then waits. Both streams are
// demultiplexed in the order the engine sent them.
func (d *DockerRunner) Run(ctx context.Context, id string, stdout, stderr io.Writer) (Exit, error) {
	att, err := d.Client.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return Exit{}, engineErr(fmt.Errorf("attach to container %.12s: %w", id, err))
	}
	defer att.Close()
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, att.Reader)
		if err != nil {
			// A writer failed (the log's disk is full): keep reading and drop the rest, or the
			// container would block on a full pipe until its timeout.
			_, _ = io.Copy(io.Discard, att.Reader)
		}
		copied <- err
	}()
	if err := d.Client.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return Exit{}, engineErr(fmt.Errorf("start container %.12s: %w", id, err))
	}

	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	waited, waitErr := d.Client.ContainerWait(waitCtx, id, container.WaitConditionNotRunning)
	var stopped error
	select {
	case <-ctx.Done():
		stopped = context.Cause(ctx)
		kctx, cancel := cleanupContext(ctx)
		_ = ignoreGone(d.Client.ContainerKill(kctx, id, "KILL"))
		cancel()
		select {
		case <-waited:
		case <-waitErr:
		}
	case err := <-waitErr:
		return Exit{}, engineErr(fmt.Errorf("wait for container %.12s: %w", id, err))
	case <-waited:
	}
	// The attach stream ends once the container has exited; all output is in the log after this.
	streamErr := <-copied

	ictx, cancel := cleanupContext(ctx)
	defer cancel()
	info, err := d.Client.ContainerInspect(ictx, id)
	if err != nil {
		return Exit{}, engineErr(fmt.Errorf("inspect container %.12s: %w", id, err))
	}
	exit := Exit{Code: info.State.ExitCode, OOMKilled: info.State.OOMKilled}
	if stopped != nil {
		return exit, stopped
	}
	if streamErr != nil {
		return exit, fmt.Errorf("output of container %.12s: %w", id, streamErr)
	}
	return exit, nil
}

// CopyOut returns path as a tar stream.
func (d *DockerRunner) CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error) {
	rc, _, err := d.Client.CopyFromContainer(ctx, id, path)
	if err != nil {
		return nil, engineErr(fmt.Errorf("copy %s out of container %.12s: %w", path, id, err))
	}
	return rc, nil
}

// Remove force-removes the container and its anonymous volumes; one already gone is fine.
func (d *DockerRunner) Remove(ctx context.Context, id string) error {
	err := d.Client.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err = ignoreGone(err); err != nil {
		return engineErr(fmt.Errorf("remove container %.12s: %w", id, err))
	}
	return nil
}

// engineErr marks a failed engine call whose cause is a lost connection to the engine, so the
// report says so plainly: what the run made on the engine stays there until the next run on
// this host reaps it.
func engineErr(err error) error {
	if !connectionBroke(err) {
		return err
	}
	return fmt.Errorf("the connection to the Docker engine broke (%w); the containers of this run may still exist: the next run on this host removes them", err)
}

// connectionBroke tells a lost connection to the engine (it stopped, restarted, or the network
// to it went) from an answer of the engine.
func connectionBroke(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || client.IsErrConnectionFailed(err) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &netErr)
}
