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
	// The kernel images' builds (each run also adds capstan to its kernel image).
	kernelBuild := func(spec engine.BuildSpec) {
		if spec.Dockerfile != capstanDockerfile {
			dockerfiles = append(dockerfiles, spec.Dockerfile+" PREVIOUS="+spec.Args["PREVIOUS"])
		}
	}
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		kernelBuild(spec)
		return env.eng.AddImage(engine.Image{Labels: spec.Labels}, toolchainFiles()), nil
	}

	first, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(first.Toolchain.BuiltOn, ""))
	assert.Assert(t, first.Toolchain.KernelImage != "")
	img, err := env.eng.InspectImage(ctx, first.Toolchain.ID)
	assert.NilError(t, err)
	assert.Check(t, img.Labels[labelLineage] != "")

	testutil.CommitStandin(t, src, "kernel/boot16.S", "# next\n")
	env.cfg.RunID += "-2"
	next, err := env.execute(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(next.Toolchain.BuiltOn, first.Toolchain.KernelImage), "not built on the first kernel image")
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
		kernelBuild(spec)
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
		incrementalDockerfile + " PREVIOUS=" + first.Toolchain.KernelImage,
		" PREVIOUS=",
		incrementalDockerfile + " PREVIOUS=" + scratch.Toolchain.KernelImage,
		" PREVIOUS=",
	})
}

// The previous image is the newest kernel image of the lineage below the generation limit (not a
// toolchain image, which carries its kernel's lineage and a capstan).
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

	old := add(100, roleKernel, 0, "L")
	add(200, roleKernel, 0, "other lineage")
	add(300, "toolchain-stage", 0, "L")
	add(400, roleKernel, maxGenerations, "L")
	add(500, roleToolchain, 0, "L")
	prev, err = b.previous(ctx, "L")
	assert.NilError(t, err)
	assert.Equal(t, prev.ID, old)

	newer := add(150, roleKernel, maxGenerations-1, "L")
	prev, err = b.previous(ctx, "L")
	assert.NilError(t, err)
	assert.Equal(t, prev.ID, newer)
}
