package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
)

// Reap removes what dead runs on this host left, never what a live run or another host made,
// and everything but the caller's own run with All.
func TestReapOnFake(t *testing.T) {
	ctx := context.Background()
	host, _ := os.Hostname()
	dead := unitDeadPID(t)
	eng := enginetest.New()
	eng.AddImage(engine.Image{Tags: []string{"img:latest"}}, nil)
	l := resultdir.Layout{Root: t.TempDir()}
	leave := func(run, owner string) string {
		id, err := eng.Create(ctx, engine.ContainerSpec{Image: "img", Labels: map[string]string{LabelRun: run, LabelOwner: owner}})
		assert.NilError(t, err)
		assert.NilError(t, eng.CreateVolume(ctx, "vol-"+run, map[string]string{LabelRun: run, LabelOwner: owner}))
		return id
	}
	deadID := leave("dead", fmt.Sprintf("%s:%d", host, dead))
	aliveID := leave("alive", fmt.Sprintf("%s:%d", host, os.Getpid()))
	elsewhereID := leave("elsewhere", "other-host:1")
	mineID := leave("mine", fmt.Sprintf("%s:%d", host, dead))
	staging := filepath.Join(l.State(), "staging", "dead")
	assert.NilError(t, os.MkdirAll(staging, 0o755))

	n, err := Reap(ctx, eng, l, ReapOptions{Except: "mine"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n, 2))
	assert.Check(t, eng.Container(deadID).Removed)
	assert.Check(t, !eng.Container(aliveID).Removed && !eng.Container(elsewhereID).Removed && !eng.Container(mineID).Removed)
	_, err = os.Stat(staging)
	assert.Check(t, os.IsNotExist(err), "the dead run's staging is removed")

	n, err = Reap(ctx, eng, l, ReapOptions{All: true, Except: "mine"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n, 4))
	live, vols := eng.Live()
	assert.Check(t, is.Len(live, 1))
	assert.Check(t, is.DeepEqual(vols, []string{"vol-mine"}))

	eng.Err = func(c enginetest.Call) error {
		if c.Method == "ListContainers" {
			return errors.New("engine gone")
		}
		return nil
	}
	_, err = Reap(ctx, eng, l, ReapOptions{All: true})
	assert.Check(t, is.ErrorContains(err, "engine gone"))
}
