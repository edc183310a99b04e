package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/pkgdriver/pkgdriver/engine"
)

// Create makes a container with least privilege: no new privileges, no engine socket, only the
// devices asked for, an init process that reaps whatever build.sh leaves behind, and no
// daemon-side copy of the output (it is streamed once, into the run's log file).
func (e *Engine) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	return e.create(ctx, spec, nil)
}

// create is Create with binds (host:container[:ro]) of the engine's machine, which only this
// package's own helper containers get.
func (e *Engine) create(ctx context.Context, spec engine.ContainerSpec, binds []string) (string, error) {
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
		Binds:       binds,
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
		m := mount.Mount{Type: mount.TypeVolume, Source: vol, Target: target}
		if spec.VolumesNoCopy {
			m.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
		}
		host.Mounts = append(host.Mounts, m)
	}
	resp, err := e.api.ContainerCreate(ctx, cfg, host, nil, nil, "")
	if err != nil {
		return "", wrapErr(fmt.Errorf("create container from %s: %w", spec.Image, err))
	}
	return resp.ID, nil
}

// CopyIn extracts a tar stream under dir inside the container.
func (e *Engine) CopyIn(ctx context.Context, id, dir string, content io.Reader) error {
	if err := e.api.CopyToContainer(ctx, id, dir, content, container.CopyToContainerOptions{}); err != nil {
		return wrapErr(fmt.Errorf("copy into container %.12s: %w", id, err))
	}
	return nil
}

// Run attaches before starting so no early output is lost, then waits. Both streams are
// demultiplexed in the order the engine sent them.
func (e *Engine) Run(ctx context.Context, id string, stdout, stderr io.Writer) (engine.Exit, error) {
	att, err := e.api.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return engine.Exit{}, wrapErr(fmt.Errorf("attach to container %.12s: %w", id, err))
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
	if err := e.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return engine.Exit{}, wrapErr(fmt.Errorf("start container %.12s: %w", id, err))
	}

	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	waited, waitErr := e.api.ContainerWait(waitCtx, id, container.WaitConditionNotRunning)
	var stopped error
	select {
	case <-ctx.Done():
		stopped = context.Cause(ctx)
		kctx, cancel := engine.CleanupContext(ctx)
		_ = engine.IgnoreGone(wrapErr(e.api.ContainerKill(kctx, id, "KILL")))
		cancel()
		select {
		case <-waited:
		case <-waitErr:
		}
	case err := <-waitErr:
		return engine.Exit{}, wrapErr(fmt.Errorf("wait for container %.12s: %w", id, err))
	case <-waited:
	}
	// The attach stream ends once the container has exited; all output is in the log after this.
	streamErr := <-copied

	ictx, cancel := engine.CleanupContext(ctx)
	defer cancel()
	info, err := e.api.ContainerInspect(ictx, id)
	if err != nil {
		return engine.Exit{}, wrapErr(fmt.Errorf("inspect container %.12s: %w", id, err))
	}
	exit := engine.Exit{Code: info.State.ExitCode, OOMKilled: info.State.OOMKilled}
	if stopped != nil {
		return exit, stopped
	}
	if streamErr != nil {
		return exit, fmt.Errorf("output of container %.12s: %w", id, streamErr)
	}
	return exit, nil
}

// CopyOut returns path as a tar stream.
func (e *Engine) CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error) {
	rc, _, err := e.api.CopyFromContainer(ctx, id, path)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("copy %s out of container %.12s: %w", path, id, err))
	}
	return rc, nil
}

// Remove force-removes the container and its anonymous volumes; one already gone is fine.
func (e *Engine) Remove(ctx context.Context, id string) error {
	err := e.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err = engine.IgnoreGone(wrapErr(err)); err != nil {
		return fmt.Errorf("remove container %.12s: %w", id, err)
	}
	return nil
}

// ListContainers lists containers, running or not, by label.
func (e *Engine) ListContainers(ctx context.Context, sel engine.Selector) ([]engine.Container, error) {
	list, err := e.api.ContainerList(ctx, container.ListOptions{All: true, Filters: labelFilter(sel)})
	if err != nil {
		return nil, wrapErr(fmt.Errorf("list containers %s: %w", sel, err))
	}
	out := make([]engine.Container, len(list))
	for i, c := range list {
		out[i] = engine.Container{ID: c.ID, Labels: c.Labels}
	}
	return out, nil
}

func labelFilter(sel engine.Selector) filters.Args {
	return filters.NewArgs(filters.Arg("label", sel.String()))
}
