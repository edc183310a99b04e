package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// reapStage removes containers and volumes that an earlier run on this host left behind when it
// crashed or was killed: labelled by pkgdriver, owned by a process that no longer exists.
type reapStage struct{}

func (reapStage) String() string { return "reap leftovers" }

func (reapStage) Run(ctx context.Context, r *Run) error {
	n, err := Reap(ctx, r.Engine, r.Layout, ReapOptions{Except: r.Config.RunID})
	if n > 0 {
		r.Config.Log.Warn().Int("resources", n).Msg("removed containers and volumes left by an earlier run that did not finish")
	}
	return err
}

// ReapOptions say what Reap removes.
type ReapOptions struct {
	// All removes every pkgdriver resource, also of runs that may be alive or ran elsewhere.
	All bool
	// Except is a run id whose resources stay (the running run's own).
	Except string
}

// Reap removes from eng what runs that are no longer alive left behind (everything pkgdriver
// made but opt.Except's, with opt.All), and their staging in the result directory l. It
// returns how many containers and volumes it removed.
func Reap(ctx context.Context, eng engine.Engine, l resultdir.Layout, opt ReapOptions) (int, error) {
	host, _ := os.Hostname()
	stale := func(labels map[string]string) bool {
		if opt.Except != "" && labels[LabelRun] == opt.Except {
			return false
		}
		if opt.All {
			return true
		}
		h, pidStr, ok := strings.Cut(labels[LabelOwner], ":")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || h != host {
			return false // made elsewhere: its owner may still be running
		}
		return !processAlive(pid)
	}
	f := engine.Selector{Key: LabelRun}
	list, err := eng.ListContainers(ctx, f)
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
		if err := eng.Remove(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	vols, err := eng.ListVolumes(ctx, f)
	if err != nil {
		return n, errors.Join(append(errs, err)...)
	}
	for _, v := range vols {
		if !stale(v.Labels) {
			continue
		}
		runs[v.Labels[LabelRun]] = true
		if err := eng.RemoveVolume(ctx, v.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	for id := range runs {
		// Staging left by that run in this result directory: never a delivered file.
		_ = os.RemoveAll(l.Staging(filepath.Base(id)))
	}
	return n, errors.Join(errs...)
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
