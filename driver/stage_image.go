package driver

import (
	"context"

	"github.com/pkgdriver/pkgdriver/engine"
)

// imagesOf is the engine that builds and reads images: the run's own, or, for a backend whose
// containers run elsewhere (Kubernetes), the Docker engine beside it, so that a toolchain built in
// this run is read where it was built.
func imagesOf(e engine.Engine) engine.Engine {
	if s, ok := e.(interface{ ImageEngine() engine.Engine }); ok {
		return s.ImageEngine()
	}
	return e
}

// nodeOf is the machine that runs container id when the backend says (Kubernetes: the node).
func nodeOf(e engine.Engine, id string) string {
	if n, ok := e.(interface{ Node(id string) string }); ok {
		return n.Node(id)
	}
	return ""
}

// imageStage builds or reuses the toolchain image.
type imageStage struct{}

func (imageStage) String() string { return "toolchain image" }

func (imageStage) Run(ctx context.Context, r *Run) error {
	b := &ToolchainBuilder{
		Engine:    imagesOf(r.Engine),
		Config:    r.Config.Image,
		Capstan:   r.Config.Image.Capstan,
		LogPath:   r.Layout.ToolchainLog(),
		StatePath: r.Layout.ToolchainInput(),
		Log:       r.Config.Log,
	}
	if r.Config.Interactive {
		b.Progress = r.Config.Out
	}
	tc, err := b.Ensure(ctx)
	if err != nil {
		return err
	}
	r.Toolchain = tc
	info, err := r.Engine.Info(ctx)
	if err != nil {
		return err
	}
	r.EngineCPUs, r.EngineName = info.CPUs, info.Name
	r.Config.Log.Info().Str("image", tc.Tags[0]).Str("osv", tc.Describe).Str("commit", tc.ShortCommit()).
		Bool("reused", tc.Reused).Bool("kernel_reused", tc.KernelReused).Msg("toolchain image ready")
	return nil
}
