package driver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/client"
)

// Stage is one step of the pipeline.
type Stage interface {
	fmt.Stringer
	Run(ctx context.Context, r *Run) error
}

// errSkip is returned by a stage that does not apply to this run; it is logged, not failed.
type errSkip struct{ reason string }

func (e errSkip) Error() string { return "skipped: " + e.reason }

// stages is the whole flow of a run, top to bottom.
func stages() []Stage {
	return []Stage{
		selectStage{},  // discover recipes, apply --recipes
		prepareStage{}, // result directory, the previous report, KEEP_RECIPES
		reapStage{},    // containers and volumes an earlier crashed run left behind
		imageStage{},   // build or reuse the toolchain image
		accelStage{},   // KVM where it really boots OSv, TCG otherwise
		loaderStage{},  // mike/osv-loader from the built kernel
		shareStage{},   // one OSv volume for every recipe, with SHARE_OSV_DIR
		attestStage{},  // the toolchain's Debian packages and base image, for SBOMs and provenance
		buildStage{},   // one container per recipe, in parallel
		testStage{},    // boot each demo unikernel, match its console
		publishStage{}, // --push: tag and push the toolchain and packages images
	}
}

// Execute runs the pipeline. It holds the result directory's lock from before the first stage
// until the report is written (a *LockedError when another run has it, unless cfg.Wait).
// Whatever happens, the run's own resources are removed and the report is written; the returned
// report says how each recipe ended.
func Execute(ctx context.Context, cfg *Config, cli client.APIClient) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	layout := Layout{Root: cfg.ResultDir}
	lock, err := AcquireLock(ctx, layout.Lock(), thisRun(cfg.RunID), LockOptions{Wait: cfg.Wait, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	defer func() { // after the report is written
		if err := lock.Release(); err != nil {
			cfg.Log.Warn().Err(err).Msg("result directory lock")
		}
	}()
	r := &Run{
		Config: cfg,
		Engine: cli,
		Runner: &DockerRunner{Client: cli},
		Layout: layout,
		Start:  time.Now(),
	}
	err = runStages(ctx, r, stages())

	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if cerr := cleanupRun(cctx, r); cerr != nil {
		cfg.Log.Warn().Err(cerr).Msg("cleanup was incomplete")
	}
	if r.Results == nil { // stopped before any recipe was selected
		return nil, err
	}
	rep, rerr := writeReport(r, err)
	return rep, errors.Join(err, rerr)
}

func runStages(ctx context.Context, r *Run, list []Stage) error {
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		start := time.Now()
		err := s.Run(ctx, r)
		var skip errSkip
		switch {
		case errors.As(err, &skip):
			r.Config.Log.Debug().Str("stage", s.String()).Str("reason", skip.reason).Msg("stage skipped")
		case err != nil:
			return fmt.Errorf("%s: %w", s, err)
		default:
			r.Config.Log.Debug().Str("stage", s.String()).Dur("took", time.Since(start)).Msg("stage done")
		}
	}
	return nil
}
