package driver

import (
	"context"
	"fmt"
	"os"
)

// lockStage takes the result directory's lock (see lock.go); from here on the run owns the
// result directory and writes its report there, whatever happens.
type lockStage struct{}

func (lockStage) String() string { return "lock the result directory" }

func (lockStage) Run(ctx context.Context, r *Run) error {
	if err := usableResultDir(r.Layout); err != nil {
		return err
	}
	lock, err := AcquireLock(ctx, r.Layout.Lock(), thisRun(r.Config.RunID), LockOptions{Wait: r.Config.Wait, Log: r.Config.Log})
	if err != nil {
		return err
	}
	r.lock = lock
	return nil
}

// usableResultDir makes the result directory's state directory, or says in a usage error
// (exit status 2) why the result directory cannot be used: it is a file, or not writable.
func usableResultDir(l Layout) error {
	err := os.MkdirAll(l.State(), 0o755)
	if err == nil {
		return nil
	}
	if fi, serr := os.Stat(l.Root); serr == nil && !fi.IsDir() {
		return usageError(fmt.Errorf("--result-dir %s is a file, not a directory", l.Root))
	}
	return usageError(fmt.Errorf("--result-dir %s cannot be written (%w)", l.Root, err))
}
