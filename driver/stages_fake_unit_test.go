package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/engine/enginetest"
)

// Ctrl-C during the builds: the recipes end cancelled, the report says the run was cancelled,
// and everything the run made is removed with a context that the cancellation does not reach.
func TestExecuteCancelOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("slow", []string{"echo started", "hang"}, nil)
	env.recipe("slower", []string{"hang"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-env.started
		cancel()
	}()
	rep, err := env.execute(ctx)
	assert.Check(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Assert(t, rep != nil)
	assert.Check(t, is.Equal(rep.Status, "cancelled"))
	for _, r := range rep.Recipes {
		assert.Check(t, r.Status == StatusCancelled || r.Status == StatusQueued || r.Status == StatusNotBuilt, "%s: %s", r.Name, r.Status)
	}
	_, err = os.Stat(Layout{Root: env.result}.Report())
	assert.NilError(t, err, "the report is written")
}

// A recipe's --timeout ends its build as timed out; the others are not affected.
func TestRecipeTimeoutOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("stuck", []string{"hang"}, nil)
	env.recipe("fine", []string{"file f x", "init"}, nil)
	env.cfg.Timeout = 200 * time.Millisecond
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(result(t, rep, "stuck").Status, StatusTimedOut))
	assert.Check(t, is.Equal(result(t, rep, "fine").Status, StatusBuilt))
}

// Failures injected into single engine calls stay with the recipe whose call failed, named by
// the phase they happened in.
func TestEngineFailureIsolationOnFake(t *testing.T) {
	for _, tc := range []struct {
		name, method, phase string
	}{
		{name: "create", method: "Create", phase: "create"},
		{name: "copy in", method: "CopyIn", phase: "copy in"},
		{name: "run", method: "Run", phase: "build"},
		{name: "copy out", method: "CopyOut", phase: "gather"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.recipe("victim", []string{"file f x", "init"}, nil)
			env.recipe("bystander", []string{"file f x", "init"}, nil)
			env.eng.Err = func(c enginetest.Call) error {
				if c.Method != tc.method {
					return nil
				}
				victim := c.Spec != nil && c.Spec.Labels[LabelRecipe] == "victim"
				if len(c.Args) > 0 {
					if ct := env.eng.Container(c.Args[0]); ct != nil {
						victim = ct.Spec.Labels[LabelRecipe] == "victim"
					}
				}
				if victim {
					return errors.New("injected " + tc.method + " failure")
				}
				return nil
			}
			rep, err := env.execute(context.Background())
			assert.NilError(t, err)
			v := result(t, rep, "victim")
			assert.Check(t, is.Equal(v.Status, StatusFailed))
			assert.Check(t, is.Equal(v.Phase, tc.phase))
			assert.Check(t, is.Contains(v.Error, "injected"))
			assert.Check(t, is.Contains(v.Error, "recipe victim"))
			assert.Check(t, is.Equal(result(t, rep, "bystander").Status, StatusBuilt))
		})
	}
}

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
		assert.Check(t, is.Equal(result(t, rep, "a").Status, StatusBuilt))
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
		assert.Check(t, is.Equal(rep.Status, "error"))
		assert.Check(t, is.Contains(readFileT(t, Layout{Root: env.result}.Report()), "does not answer"))
	})
	t.Run("no way to connect", func(t *testing.T) {
		env := newFakeEnv(t)
		env.recipe("a", []string{"file f x", "init"}, nil)
		_, err := Execute(context.Background(), env.cfg, nil)
		assert.Check(t, errors.Is(err, ErrUsage), "%v", err)
	})
}

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
	assert.Check(t, is.Equal(result(t, rep, "b").Status, StatusBuilt))
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

// Reap removes what dead runs on this host left, never what a live run or another host made,
// and everything but the caller's own run with All.
func TestReapOnFake(t *testing.T) {
	ctx := context.Background()
	host, _ := os.Hostname()
	dead := unitDeadPID(t)
	eng := enginetest.New()
	eng.AddImage(engine.Image{Tags: []string{"img:latest"}}, nil)
	l := Layout{Root: t.TempDir()}
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

// run --push hands the run's report to Config.Publish with the run's engine; a refusal skips
// the stage, any other failure fails the run.
func TestPublishStageOnFake(t *testing.T) {
	for _, tc := range []struct {
		name    string
		publish error
		wantErr string
	}{
		{name: "published"},
		{name: "refused", publish: fmt.Errorf("nothing was published: %w", ErrNotPublished)},
		{name: "failed", publish: errors.New("registry down"), wantErr: "publish: registry down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.recipe("a", []string{"file f x", "init"}, nil)
			var got *Report
			var gotEngine engine.Engine
			env.cfg.Publish = func(_ context.Context, eng engine.Engine, rep *Report) error {
				got, gotEngine = rep, eng
				return tc.publish
			}
			_, err := env.execute(context.Background())
			if tc.wantErr != "" {
				assert.Check(t, is.ErrorContains(err, tc.wantErr))
			} else {
				assert.NilError(t, err)
			}
			assert.Assert(t, got != nil)
			assert.Check(t, is.Equal(got.RunID, env.cfg.RunID))
			assert.Check(t, is.Equal(got.Toolchain.Commit, fakeCommit))
			assert.Check(t, is.Len(got.Recipes, 1))
			assert.Check(t, gotEngine == engine.Engine(env.eng))
		})
	}
}

// What build.sh leaves that cannot be packaged fails the recipe in gather, naming the cause.
func TestGatherFailuresOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("gone", []string{"rmresult"}, nil)
	env.recipe("empty", []string{"echo nothing"}, nil)
	env.recipe("nometa", []string{"file f x"}, nil)
	env.recipe("pipe", []string{"file f x", "init", "special p fifo"}, nil)
	env.recipe("ships", []string{"file f x"}, map[string]string{"meta/package.yaml": "name: ships\ntitle: T\nauthor: tests\nversion: \"1.0\"\n"})
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	for name, want := range map[string]string{
		"gone":   "$PACKAGE_RESULT_DIR is gone",
		"empty":  "the result directory is empty",
		"nometa": "meta/package.yaml: missing",
		"pipe":   "fifo",
	} {
		r := result(t, rep, name)
		assert.Check(t, is.Equal(r.Status, StatusFailed), name)
		assert.Check(t, is.Contains(r.Error, want), name)
	}
	assert.Check(t, is.Equal(result(t, rep, "ships").Status, StatusBuilt), result(t, rep, "ships").Error)
}

// A recipe whose build.sh is not executable, or whose interpreter is missing, is told so.
func TestBuildExitErrorsOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("killed", []string{"exit 137"}, nil)
	env.recipe("missing", []string{"exit 127"}, nil)
	rep, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Contains(result(t, rep, "killed").Error, "SIGKILL"))
	assert.Check(t, is.Contains(result(t, rep, "missing").Error, "127"))
}

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

// The toolchain image on the fake: a failed build is a BuildError naming the step and the
// last lines, the stage's failure ends the run before any recipe, and --rebuild-image builds
// anew, without the cache, and the run uses that image from then on.
func TestToolchainOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file f x", "init"}, nil)
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		fmt.Fprintln(spec.Log, "Step 3/5 : RUN make")
		return "", &engine.BuildError{Step: "Step 3/5 : RUN make", Message: "returned a non-zero code: 2", Tail: []string{"make: *** [all] Error 2"}}
	}
	rep, err := env.execute(context.Background())
	var be *BuildError
	assert.Assert(t, errors.As(err, &be), "%v", err)
	assert.Check(t, is.ErrorContains(err, "toolchain image build failed at Step 3/5 : RUN make: returned a non-zero code: 2"))
	assert.Check(t, is.Contains(err.Error(), "make: *** [all] Error 2"))
	assert.Check(t, is.Len(env.containers("build", ""), 0))
	assert.Check(t, rep != nil && rep.Status == "error")
	assert.Check(t, is.Contains(readFileT(t, Layout{Root: env.result}.ToolchainLog()), "Step 3/5"))

	env.eng.BuildScript = nil
	env.cfg.RunID += "-2"
	first, err := env.execute(context.Background())
	assert.NilError(t, err)
	env.cfg.RunID += "-3"
	env.cfg.Image.Rebuild = true
	rebuilt, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, rebuilt.Toolchain.ID != first.Toolchain.ID, "rebuilt")
	assert.Check(t, !rebuilt.Toolchain.Reused)
	img, err := env.eng.InspectImage(context.Background(), rebuilt.Toolchain.ID)
	assert.NilError(t, err)
	assert.Check(t, img.Labels[labelRebuilt] != "")
	env.cfg.RunID += "-4"
	env.cfg.Image.Rebuild = false
	later, err := env.execute(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(later.Toolchain.ID, rebuilt.Toolchain.ID), "a later run uses the rebuilt image")
	assert.Check(t, later.Toolchain.Reused)
}
