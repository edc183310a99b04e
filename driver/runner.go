package driver

import (
	"context"
	"io"
)

// Runner is what the pipeline needs from a container engine: make a container, put files in,
// run it with its output streamed, take files out, remove it. The Docker engine is the one
// implementation today; a second backend slots in here without touching the stages.
type Runner interface {
	Create(ctx context.Context, spec ContainerSpec) (id string, err error)
	// CopyIn extracts the tar stream content under dir inside the container.
	CopyIn(ctx context.Context, id, dir string, content io.Reader) error
	// Run starts the container and streams its stdout and stderr until it exits. When ctx ends
	// first the container is killed and the context's cause is returned.
	Run(ctx context.Context, id string, stdout, stderr io.Writer) (Exit, error)
	// CopyOut returns path from the container as a tar stream whose top entry is path's base name.
	CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error)
	Remove(ctx context.Context, id string) error
}

// ContainerSpec is what a container is made from.
type ContainerSpec struct {
	Image      string
	Cmd        []string
	Env        []string
	WorkingDir string
	Labels     map[string]string
	// Devices are host device paths passed through as they are (e.g. /dev/kvm).
	Devices    []string
	Privileged bool
	NoNetwork  bool
	// Volumes maps named volumes to mount points.
	Volumes   map[string]string
	CPUs      float64
	Memory    int64
	PidsLimit int64
}

// Exit is how a container ended.
type Exit struct {
	Code      int
	OOMKilled bool
}
