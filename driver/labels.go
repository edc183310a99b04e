package driver

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// LabelOwner says which process on which host made a resource, so the reaper never removes
// what a live run on this host is still using.
const LabelOwner = "pkgdriver.owner"

const cleanupTimeout = 30 * time.Second

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
	if err := r.Runner.Remove(cctx, id); err != nil {
		r.Config.Log.Warn().Err(err).Msg("cleanup")
	}
}

// NewRunID makes a run id that sorts by time and is unique enough for one host.
func NewRunID(now time.Time) string {
	return fmt.Sprintf("%s-%d", now.UTC().Format("20060102T150405"), os.Getpid())
}
