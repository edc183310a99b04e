package driver

import (
	"context"
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// VerifyReproducible rebuilds the named recipes into a scratch directory on the same engine
// and compares the packages: the fake builds the same files, so they are reproducible.
func TestVerifyReproducibleOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("steady", []string{"file bin/steady same", "init"}, nil)
	_, err := env.execute(context.Background())
	assert.NilError(t, err)
	env.cfg.RunID += "-r"
	verdicts, err := VerifyReproducible(context.Background(), env.cfg, env.eng, []string{"steady"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(verdicts, 1))
	assert.Check(t, verdicts[0].Reproducible, "%+v", verdicts[0])
	_, err = VerifyReproducible(context.Background(), env.cfg, env.eng, []string{"never-built"})
	assert.Check(t, errors.Is(err, ErrUsage), "%v", err)
}
