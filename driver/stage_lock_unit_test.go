package driver

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gotest.tools/v3/assert"

	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// Execute takes the lock before anything else: a second run fails before it needs the engine.
func TestExecuteLocked(t *testing.T) {
	t.Parallel()
	cfg := &Config{
		ResultDir: filepath.Join(t.TempDir(), "result"), Timeout: time.Minute, TestTimeout: time.Minute,
		Accel: AccelAuto, Image: ImageConfig{OSVRepo: "https://example.invalid/osv.git"},
		RunID: "second", Log: zerolog.Nop(),
	}
	holder, err := resultdir.AcquireLock(context.Background(), resultdir.Layout{Root: cfg.ResultDir}.Lock(), resultdir.ThisProcess("first"), resultdir.LockOptions{Log: zerolog.Nop()})
	assert.NilError(t, err)
	defer holder.Release()

	rep, err := Execute(context.Background(), cfg, nil) // no engine: it must not get that far
	assert.Check(t, rep == nil)
	var locked *resultdir.LockedError
	assert.Assert(t, errors.As(err, &locked), "%v", err)
	assert.Check(t, errors.Is(err, ErrUsage), "exit status 2")
	assert.Equal(t, locked.Holder.RunID, "first")

	cfg.Wait = true
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Execute(ctx, cfg, nil)
	assert.Check(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}
