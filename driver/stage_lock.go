package driver

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// lockStage takes the result directory's lock (see internal/resultdir/lock.go); from here on the run owns the
// result directory and writes its report there, whatever happens.
type lockStage struct{}

func (lockStage) String() string { return "lock the result directory" }

func (lockStage) Run(ctx context.Context, r *Run) error {
	if err := usableResultDir(r.Layout); err != nil {
		return err
	}
	lock, err := LockResultDir(ctx, r.Layout, r.Config.RunID, resultdir.LockOptions{Wait: r.Config.Wait, Log: r.Config.Log})
	if err != nil {
		return err
	}
	r.lock = lock
	return nil
}

// LockResultDir takes the lock of the result directory l for work id (a run's id, "publish"...).
// Another run holding it is a usage error (exit status 2): the user waits (--wait) or picks
// another directory; the *resultdir.LockedError stays reachable with errors.As.
func LockResultDir(ctx context.Context, l resultdir.Layout, id string, opt resultdir.LockOptions) (*resultdir.ResultLock, error) {
	lock, err := resultdir.AcquireLock(ctx, l.Lock(), resultdir.ThisProcess(id), opt)
	var locked *resultdir.LockedError
	if errors.As(err, &locked) {
		return nil, usageError(err)
	}
	return lock, err
}

// usableResultDir makes the result directory's state directory, or says in a usage error
// (exit status 2) why the result directory cannot be used: it is a file, or not writable.
func usableResultDir(l resultdir.Layout) error {
	err := os.MkdirAll(l.State(), 0o755)
	if err == nil {
		return nil
	}
	if fi, serr := os.Stat(l.Root); serr == nil && !fi.IsDir() {
		return usageError(fmt.Errorf("--result-dir %s is a file, not a directory", l.Root))
	}
	return usageError(fmt.Errorf("--result-dir %s cannot be written (%w)", l.Root, err))
}
