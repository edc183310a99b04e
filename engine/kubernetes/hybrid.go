package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/pkgdriver/pkgdriver/engine"
)

// OnCluster is what `pkgdriver run --runner kubernetes` uses: the containers run as pods on the
// cluster, while images are built, inspected and published on the Docker engine, as before.
// The pipeline names the toolchain image by its Docker ID; a pod needs a reference the node can
// find, so Create gives the pod ToolchainRef (when it names that image) or the image's own tag,
// and checks that the node runs the very image the run built whenever the node says which.
type OnCluster struct {
	// Images is the Docker engine: images, and the toolchain build.
	engine.Engine
	// Pods runs the containers.
	Pods *Engine
	// ToolchainRef is the toolchain image as the cluster pulls it (--toolchain-image); empty:
	// the image's tag on the Docker engine, which must then be on the nodes (imported).
	ToolchainRef string

	mu   sync.Mutex
	refs map[string]string
}

// NewOnCluster joins a Docker engine (images) and a cluster (containers).
func NewOnCluster(images engine.Engine, pods *Engine, toolchainRef string) *OnCluster {
	return &OnCluster{Engine: images, Pods: pods, ToolchainRef: toolchainRef, refs: map[string]string{}}
}

// Create makes the pod, with the image given by a reference the cluster can resolve.
func (o *OnCluster) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	want := spec.Image
	ref, err := o.reference(ctx, spec.Image)
	if err != nil {
		return "", err
	}
	spec.Image = ref
	id, err := o.Pods.Create(ctx, spec)
	if err != nil {
		return "", err
	}
	// An imported image is reported by its ID; a pulled one by its registry digest, which the
	// Docker ID cannot be compared with (the registry made it equal when it was pushed).
	if got := o.Pods.ImageID(id); strings.HasPrefix(want, "sha256:") && strings.HasPrefix(got, "sha256:") && got != want {
		_ = o.Pods.Remove(context.WithoutCancel(ctx), id)
		return "", fmt.Errorf("kubernetes: node %s has another image under %s (%s, not %s): import the toolchain image again (scripts/ensure-kubernetes.sh import %s) or push it",
			o.Pods.Node(id), ref, short(got), short(want), ref)
	}
	return id, nil
}

// reference turns a Docker image ID into a reference for pods; a reference stays as it is.
func (o *OnCluster) reference(ctx context.Context, image string) (string, error) {
	if !strings.HasPrefix(image, "sha256:") {
		return image, nil
	}
	o.mu.Lock()
	ref, ok := o.refs[image]
	o.mu.Unlock()
	if ok {
		return ref, nil
	}
	ref, err := o.resolve(ctx, image)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	o.refs[image] = ref
	o.mu.Unlock()
	return ref, nil
}

func (o *OnCluster) resolve(ctx context.Context, id string) (string, error) {
	if o.ToolchainRef != "" {
		img, err := o.Engine.InspectImage(ctx, o.ToolchainRef)
		switch {
		case errors.Is(err, engine.ErrNotFound):
			// Only in a registry: trust the reference.
			return o.ToolchainRef, nil
		case err != nil:
			return "", fmt.Errorf("--toolchain-image %s: %w", o.ToolchainRef, err)
		case img.ID != id:
			return "", fmt.Errorf("--toolchain-image %s is image %s on the Docker engine, not the toolchain this run uses (%s)", o.ToolchainRef, short(img.ID), short(id))
		}
		return o.ToolchainRef, nil
	}
	img, err := o.Engine.InspectImage(ctx, id)
	if err != nil {
		return "", fmt.Errorf("kubernetes: image %s: %w", short(id), err)
	}
	tags := append([]string(nil), img.Tags...)
	// A dated tag names one image for good; latest moves.
	sort.SliceStable(tags, func(i, j int) bool {
		return !strings.HasSuffix(tags[i], ":latest") && strings.HasSuffix(tags[j], ":latest")
	})
	if len(tags) == 0 {
		return "", fmt.Errorf("kubernetes: image %s has no tag a pod could name: give --toolchain-image", short(id))
	}
	return tags[0], nil
}

func short(id string) string {
	if s, ok := strings.CutPrefix(id, "sha256:"); ok && len(s) > 12 {
		return s[:12]
	}
	return id
}

// CopyIn copies into the pod.
func (o *OnCluster) CopyIn(ctx context.Context, id, dir string, content io.Reader) error {
	return o.Pods.CopyIn(ctx, id, dir, content)
}

// Run runs the pod's command.
func (o *OnCluster) Run(ctx context.Context, id string, stdout, stderr io.Writer) (engine.Exit, error) {
	return o.Pods.Run(ctx, id, stdout, stderr)
}

// CopyOut copies out of the pod.
func (o *OnCluster) CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error) {
	return o.Pods.CopyOut(ctx, id, path)
}

// Remove deletes the pod.
func (o *OnCluster) Remove(ctx context.Context, id string) error { return o.Pods.Remove(ctx, id) }

// ListContainers lists pods.
func (o *OnCluster) ListContainers(ctx context.Context, sel engine.Selector) ([]engine.Container, error) {
	return o.Pods.ListContainers(ctx, sel)
}

// CreateVolume is not supported on the cluster.
func (o *OnCluster) CreateVolume(ctx context.Context, name string, labels map[string]string) error {
	return o.Pods.CreateVolume(ctx, name, labels)
}

// CreateImageDirVolume is not supported on the cluster.
func (o *OnCluster) CreateImageDirVolume(ctx context.Context, name, image, dir string, labels map[string]string) error {
	return o.Pods.CreateImageDirVolume(ctx, name, image, dir, labels)
}

// RemoveVolume is not supported on the cluster.
func (o *OnCluster) RemoveVolume(ctx context.Context, name string) error {
	return o.Pods.RemoveVolume(ctx, name)
}

// ListVolumes lists nothing.
func (o *OnCluster) ListVolumes(ctx context.Context, sel engine.Selector) ([]engine.Volume, error) {
	return o.Pods.ListVolumes(ctx, sel)
}

// Info describes the cluster (its CPUs size the default --jobs).
func (o *OnCluster) Info(ctx context.Context) (engine.Info, error) { return o.Pods.Info(ctx) }

// Ping checks both.
func (o *OnCluster) Ping(ctx context.Context) error {
	return errors.Join(o.Engine.Ping(ctx), o.Pods.Ping(ctx))
}

// Close closes both.
func (o *OnCluster) Close() error { return errors.Join(o.Pods.Close(), o.Engine.Close()) }

// ImageEngine is the Docker engine: the toolchain is built and read there, before any node may
// have it.
func (o *OnCluster) ImageEngine() engine.Engine { return o.Engine }

// Node is the node that runs pod id.
func (o *OnCluster) Node(id string) string { return o.Pods.Node(id) }
