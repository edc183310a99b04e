package driver

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
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

// SHARE_OSV_DIR on an engine that can show the image's tree without copying it: no seed, every
// recipe mounts the view (never filled from the image), removed at the end; the report says
// which way was used. Where the view cannot be made the tree is copied as before, the report
// saying why; an engine that stopped answering ends the run instead.
func TestShareStageViewOrCopy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		views    bool
		err      error
		wantVol  string // prefix of the volume recipes mount, before the run id
		noCopy   bool
		seeds    int
		settings string
		runErr   string
	}{
		{name: "view", views: true, wantVol: "pkgdriver-osv-layered-", noCopy: true,
			settings: "a copy-on-write view of the toolchain image's /osv (nothing copied)"},
		{name: "not supported", wantVol: "pkgdriver-osv-", seeds: 1,
			settings: "copied from the toolchain image into a volume: fake engine: no layered image storage: not supported by this engine"},
		{name: "view failed", views: true, err: errors.New("probe container: no such image"), wantVol: "pkgdriver-osv-", seeds: 1,
			settings: "copied from the toolchain image into a volume: probe container: no such image"},
		{name: "engine gone", views: true, err: fmt.Errorf("engine stopped: %w", engine.ErrUnavailable),
			runErr: "engine stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.recipe("a", []string{"file f x", "init"}, nil)
			env.recipe("b", []string{"file f x", "init"}, nil)
			env.cfg.ShareOSVDir = true
			env.eng.ImageDirVolumes = tc.views
			env.eng.Err = func(c enginetest.Call) error {
				if c.Method == "CreateImageDirVolume" {
					return tc.err
				}
				return nil
			}
			rep, err := env.execute(context.Background())
			if tc.runErr != "" {
				assert.Check(t, is.ErrorContains(err, tc.runErr))
				assert.Check(t, is.Len(env.containers("build", env.cfg.RunID), 0))
				assert.Check(t, is.Len(env.containers("osv-volume-seed", env.cfg.RunID), 0))
				return
			}
			assert.NilError(t, err)
			vol := tc.wantVol + env.cfg.RunID
			assert.Check(t, is.Len(env.containers("osv-volume-seed", env.cfg.RunID), tc.seeds))
			builds := env.containers("build", env.cfg.RunID)
			assert.Check(t, is.Len(builds, 2))
			for _, c := range builds {
				assert.Check(t, is.DeepEqual(c.Spec.Volumes, map[string]string{vol: containerOSV}))
				assert.Check(t, is.Equal(c.Spec.VolumesNoCopy, tc.noCopy))
			}
			assert.Check(t, is.Equal(result(t, rep, "b").Status, report.StatusBuilt))
			assert.Check(t, is.Equal(rep.Settings[settingSharedTree], tc.settings))
			_, live := env.eng.Live()
			assert.Check(t, is.Len(live, 0), "volumes left: %v", live)
		})
	}
}
