package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
)

// reapStage removes containers and volumes that an earlier run on this host left behind when it
// crashed or was killed: labelled by pkgdriver, owned by a process that no longer exists.
type reapStage struct{}

func (reapStage) String() string { return "reap leftovers" }

func (reapStage) Run(ctx context.Context, r *Run) error {
	n, err := Reap(ctx, r, false)
	if n > 0 {
		r.Config.Log.Warn().Int("resources", n).Msg("removed containers and volumes left by an earlier run that did not finish")
	}
	return err
}

// Reap removes leftovers of dead runs (all pkgdriver resources but this run's when all is set).
// It returns how many it removed.
func Reap(ctx context.Context, r *Run, all bool) (int, error) {
	host, _ := os.Hostname()
	stale := func(labels map[string]string) bool {
		if labels[LabelRun] == r.Config.RunID {
			return false
		}
		if all {
			return true
		}
		h, pidStr, ok := strings.Cut(labels[LabelOwner], ":")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || h != host {
			return false // made elsewhere: its owner may still be running
		}
		return !processAlive(pid)
	}
	f := filters.NewArgs(filters.Arg("label", LabelRun))
	list, err := r.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	runs := map[string]bool{}
	for _, c := range list {
		if !stale(c.Labels) {
			continue
		}
		runs[c.Labels[LabelRun]] = true
		if err := r.Runner.Remove(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	vols, err := r.Engine.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return n, errors.Join(append(errs, err)...)
	}
	for _, v := range vols.Volumes {
		if !stale(v.Labels) {
			continue
		}
		runs[v.Labels[LabelRun]] = true
		if err := ignoreGone(r.Engine.VolumeRemove(ctx, v.Name, true)); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	for id := range runs {
		// Staging left by that run in this result directory: never a delivered file.
		_ = os.RemoveAll(r.Layout.Staging(filepath.Base(id)))
	}
	return n, errors.Join(errs...)
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
