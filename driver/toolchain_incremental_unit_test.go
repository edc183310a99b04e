package driver

import (
	"context"
	"strconv"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/testutil"
)

// On the fake: a local checkout's next commit is built on the previous toolchain image; with
// --toolchain-from-scratch it is not; an incremental build that fails is followed by one from
// scratch.
func TestIncrementalToolchainOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file f x", "init"}, nil)
	src := testutil.StandinOSv(t)
	env.cfg.Image.OSVSrc, env.cfg.Image.OSVRepo, env.cfg.Image.OSVRef = src, "", ""
	ctx := context.Background()
	var dockerfiles []string
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		dockerfiles = append(dockerfiles, spec.Dockerfile+" PREVIOUS="+spec.Args["PREVIOUS"])
		return env.eng.AddImage(engine.Image{Labels: spec.Labels}, toolchainFiles()), nil
	}

	first, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(first.Toolchain.BuiltOn, ""))
	img, err := env.eng.InspectImage(ctx, first.Toolchain.ID)
	assert.NilError(t, err)
	assert.Check(t, img.Labels[labelLineage] != "")

	testutil.CommitStandin(t, src, "kernel/boot16.S", "# next\n")
	env.cfg.RunID += "-2"
	next, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(next.Toolchain.BuiltOn, first.Toolchain.ID))
	img, err = env.eng.InspectImage(ctx, next.Toolchain.ID)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(img.Labels[labelGeneration], "1"))

	testutil.CommitStandin(t, src, "kernel/boot16.S", "# from scratch\n")
	env.cfg.RunID += "-3"
	env.cfg.Image.FromScratch = true
	scratch, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(scratch.Toolchain.BuiltOn, ""))
	env.cfg.Image.FromScratch = false

	// An incremental build that fails: one from scratch follows.
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		dockerfiles = append(dockerfiles, spec.Dockerfile+" PREVIOUS="+spec.Args["PREVIOUS"])
		if spec.Dockerfile == incrementalDockerfile {
			return "", &engine.BuildError{Step: "Step 9/18 : RUN cd /osv && ./scripts/build", Message: "make: *** Error 2"}
		}
		return env.eng.AddImage(engine.Image{Labels: spec.Labels}, toolchainFiles()), nil
	}
	testutil.CommitStandin(t, src, "kernel/boot16.S", "# fails incrementally\n")
	env.cfg.RunID += "-4"
	fallback, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(fallback.Toolchain.BuiltOn, ""))
	assert.DeepEqual(t, dockerfiles, []string{
		" PREVIOUS=",
		incrementalDockerfile + " PREVIOUS=" + first.Toolchain.ID,
		" PREVIOUS=",
		incrementalDockerfile + " PREVIOUS=" + scratch.Toolchain.ID,
		" PREVIOUS=",
	})
}

// The previous image is the newest toolchain image of the lineage below the generation limit.
func TestPreviousToolchain(t *testing.T) {
	env := newFakeEnv(t)
	b := &ToolchainBuilder{Engine: env.eng, Log: env.cfg.Log}
	add := func(created int64, role string, gen int, lineage string) string {
		return env.eng.AddImage(engine.Image{Created: created, Labels: map[string]string{
			LabelRole: role, labelLineage: lineage, labelGeneration: strconv.Itoa(gen)}}, nil)
	}
	ctx := context.Background()
	prev, err := b.previous(ctx, "L")
	assert.NilError(t, err)
	assert.Check(t, prev == nil)

	old := add(100, "toolchain", 0, "L")
	add(200, "toolchain", 0, "other lineage")
	add(300, "toolchain-stage", 0, "L")
	add(400, "toolchain", maxGenerations, "L")
	prev, err = b.previous(ctx, "L")
	assert.NilError(t, err)
	assert.Equal(t, prev.ID, old)

	newer := add(150, "toolchain", maxGenerations-1, "L")
	prev, err = b.previous(ctx, "L")
	assert.NilError(t, err)
	assert.Equal(t, prev.ID, newer)
}
