package driver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
)

// The engine stage opens the engine through Config.Connect when the caller gave none, closes it
// at the end, and turns an unavailable engine into a usage error with a report saying so.
func TestEngineStageConnect(t *testing.T) {
	t.Run("connects and closes", func(t *testing.T) {
		env := newFakeEnv(t)
		env.recipe("a", []string{"file f x", "init"}, nil)
		opened := 0
		env.cfg.Connect = func(context.Context) (engine.Engine, error) { opened++; return env.eng, nil }
		rep, err := Execute(context.Background(), env.cfg, nil)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(opened, 1))
		assert.Check(t, env.eng.Closed())
		assert.Check(t, is.Equal(result(t, rep, "a").Status, report.StatusBuilt))
	})
	t.Run("unavailable", func(t *testing.T) {
		env := newFakeEnv(t)
		env.recipe("a", []string{"file f x", "init"}, nil)
		env.cfg.Connect = func(context.Context) (engine.Engine, error) {
			return nil, fmt.Errorf("docker engine at unix:///nowhere does not answer: %w", engine.ErrUnavailable)
		}
		rep, err := Execute(context.Background(), env.cfg, nil)
		assert.Check(t, errors.Is(err, ErrUsage), "%v", err)
		assert.Check(t, is.ErrorContains(err, "does not answer"))
		assert.Assert(t, rep != nil)
		assert.Check(t, is.Equal(rep.Status, report.RunError))
		assert.Check(t, is.Contains(readFileT(t, resultdir.Layout{Root: env.result}.Report()), "does not answer"))
	})
	t.Run("no way to connect", func(t *testing.T) {
		env := newFakeEnv(t)
		env.recipe("a", []string{"file f x", "init"}, nil)
		_, err := Execute(context.Background(), env.cfg, nil)
		assert.Check(t, errors.Is(err, ErrUsage), "%v", err)
	})
}
