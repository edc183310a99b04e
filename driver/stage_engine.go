package driver

import (
	"context"
	"errors"

	"github.com/pkgdriver/pkgdriver/engine"
)

// engineStage makes the first contact with the engine through Config.Connect, unless the caller
// gave one. An engine that does not answer within the engine timeout ends the run here, with
// a report saying so.
type engineStage struct{}

func (engineStage) String() string { return "contact the engine" }

func (engineStage) Run(ctx context.Context, r *Run) error {
	if r.Engine != nil {
		return errSkip{"the caller's engine"}
	}
	if r.Config.Connect == nil {
		return usageError(errors.New("no engine: Config.Connect is not set"))
	}
	eng, err := r.Config.Connect(ctx)
	if errors.Is(err, engine.ErrUnavailable) {
		return usageError(err)
	}
	if err != nil {
		return err
	}
	r.Engine = eng
	r.closeEngine = eng.Close
	return nil
}
