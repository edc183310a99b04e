package driver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
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
		selectStage{},  // discover recipes, apply --recipes (reads only: a bad selection writes nothing)
		lockStage{},    // hold the result directory until the report is written
		engineStage{},  // first contact with the engine, bounded in time
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

// Execute runs the pipeline on eng, or, when eng is nil, on the engine cfg.Connect opens (and
// closes at the end). It holds the result directory's lock from before anything is
// written there until the report is written (a *LockedError when another run has it, unless
// cfg.Wait). Whatever happens once the lock is held, the run's own resources are removed and
// the report is written, also when the run could not start (the engine did not answer, the
// toolchain image failed); the returned report says how each recipe ended.
func Execute(ctx context.Context, cfg *Config, eng engine.Engine) (*report.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := CheckOverlap(cfg.ResultDir, cfg.RecipeDirs); err != nil {
		return nil, err
	}
	r := &Run{
		Config: cfg,
		Layout: resultdir.Layout{Root: cfg.ResultDir},
		Start:  time.Now(),
		Engine: eng,
	}
	defer r.releaseLock() // after the report is written
	err := runStages(ctx, r, stages())

	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if cerr := cleanupRun(cctx, r); cerr != nil {
		cfg.Log.Warn().Err(cerr).Msg("cleanup was incomplete")
	}
	if r.closeEngine != nil {
		defer r.closeEngine()
	}
	if r.lock == nil { // stopped before the result directory was ours: nothing to report there
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
		case errors.Is(err, ErrUsage):
			return err // says what to change; the stage's name would only be noise
		case err != nil && strings.HasPrefix(err.Error(), s.String()):
			return err // names the stage already ("toolchain image build failed ...")
		case err != nil:
			return fmt.Errorf("%s: %w", s, err)
		default:
			r.Config.Log.Debug().Str("stage", s.String()).Dur("took", time.Since(start)).Msg("stage done")
		}
	}
	return nil
}
