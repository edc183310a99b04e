package driver

import (
	"context"
)

// imageStage builds or reuses the toolchain image.
type imageStage struct{}

func (imageStage) String() string { return "toolchain image" }

func (imageStage) Run(ctx context.Context, r *Run) error {
	b := &ToolchainBuilder{
		Engine:    r.Engine,
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
	r.EngineCPUs = info.CPUs
	r.Config.Log.Info().Str("image", tc.Tags[0]).Str("osv", tc.Describe).Str("commit", tc.ShortCommit()).
		Bool("reused", tc.Reused).Msg("toolchain image ready")
	return nil
}
