package driver

import "context"

// engineStage makes the first contact with the engine the environment names, unless the caller
// gave one. An engine that does not answer within the engine timeout ends the run here, with
// a report saying so.
type engineStage struct{}

func (engineStage) String() string { return "contact the engine" }

func (engineStage) Run(ctx context.Context, r *Run) error {
	if r.Engine != nil {
		return errSkip{"the caller's engine client"}
	}
	cli, err := NewClient(ctx, r.Config.Version)
	if err != nil {
		return err
	}
	r.useEngine(cli)
	r.closeEngine = cli.Close
	return nil
}
