package driver

import (
	"context"
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine/enginetest"
	"github.com/pkgdriver/pkgdriver/report"
)

// SHARE_OSV_DIR: one volume holds the OSv tree, seeded once, mounted by every recipe, removed
// at the end of the run.
func TestShareStageOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file f x", "init"}, nil)
	env.recipe("b", []string{"file f x", "init"}, nil)
	env.cfg.ShareOSVDir = true
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	vol := "pkgdriver-osv-" + env.cfg.RunID
	assert.Check(t, is.Len(env.containers("osv-volume-seed", env.cfg.RunID), 1))
	for _, c := range env.containers("build", env.cfg.RunID) {
		assert.Check(t, is.DeepEqual(c.Spec.Volumes, map[string]string{vol: containerOSV}))
	}
	assert.Check(t, is.Equal(result(t, rep, "b").Status, report.StatusBuilt))
	var created, removed bool
	for _, c := range env.eng.Calls() {
		created = created || (c.Method == "CreateVolume" && c.Args[0] == vol)
		removed = removed || (c.Method == "RemoveVolume" && c.Args[0] == vol)
	}
	assert.Check(t, created && removed)

	// A volume that cannot be made ends the run before any recipe runs.
	env.cfg.RunID += "-2"
	env.eng.Err = func(c enginetest.Call) error {
		if c.Method == "CreateVolume" {
			return errors.New("no space for volumes")
		}
		return nil
	}
	_, err = env.execute(context.Background())
	assert.Check(t, is.ErrorContains(err, "create the shared OSv volume: no space for volumes"))
	assert.Check(t, is.Len(env.containers("build", env.cfg.RunID), 0))
}
