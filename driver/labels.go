package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
)

// Labels every resource pkgdriver creates carries, so leftovers can be found and reaped.
const (
	LabelRun    = engine.LabelRun
	LabelRecipe = engine.LabelRecipe
	LabelRole   = engine.LabelRole
	LabelOwner  = engine.LabelOwner
)

// cleanupContext gives cleanup its own deadline and survives the cancellation of ctx, so Ctrl-C
// never skips removing what a run created.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return engine.CleanupContext(ctx)
}

var errInterrupted = errors.New("interrupted")

func ownerLabel() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

// labels are the labels of every container and volume of this run.
func (r *Run) labels(role, recipeName string) map[string]string {
	l := map[string]string{
		LabelRun:   r.Config.RunID,
		LabelRole:  role,
		LabelOwner: ownerLabel(),
	}
	if recipeName != "" {
		l[LabelRecipe] = recipeName
	}
	return l
}

// removeContainer removes a container of the run even when ctx is already cancelled; a failure
// only warns, the reaper of a later run finds what is left by its labels.
func (r *Run) removeContainer(ctx context.Context, id string) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := r.Engine.Remove(cctx, id); err != nil {
		r.Config.Log.Warn().Err(err).Msg("cleanup")
	}
}

// NewRunID makes a run id that sorts by time and is unique enough for one host.
func NewRunID(now time.Time) string {
	return fmt.Sprintf("%s-%d", now.UTC().Format("20060102T150405"), os.Getpid())
}
