package driver

import (
	"context"
	"os"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/pkgdriver/pkgdriver/engine"
)

// On the fake: which builds a run makes. The first builds the kernel image and adds capstan; a new
// capstan binary only adds it to the same kernel image; the same binary again builds nothing;
// --rebuild-image builds a fresh base, the kernel and capstan again.
func TestToolchainBuildsOnFake(t *testing.T) {
	env := newFakeEnv(t)
	env.recipe("a", []string{"file f x", "init"}, nil)
	var builds []string
	env.eng.BuildScript = func(_ context.Context, spec engine.BuildSpec) (string, error) {
		name := spec.Dockerfile
		if name == "" {
			name = "Dockerfile"
			if _, rebuilt := spec.Args["OSV_COMMIT"]; !rebuilt {
				name = "rebuild base"
			}
		}
		builds = append(builds, name)
		return env.eng.AddImage(engine.Image{Labels: spec.Labels}, toolchainFiles()), nil
	}
	ctx := context.Background()
	run := func(want ...string) *Toolchain {
		t.Helper()
		builds = nil
		env.cfg.RunID += "-"
		rep, err := env.execute(ctx)
		assert.NilError(t, err)
		assert.Check(t, is.DeepEqual(builds, want))
		return &Toolchain{Toolchain: *rep.Toolchain}
	}

	first := run("Dockerfile", capstanDockerfile)
	assert.Check(t, !first.Reused && !first.KernelReused)
	assert.Assert(t, first.KernelImage != "")
	kernel, err := env.eng.InspectImage(ctx, first.KernelImage)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(kernel.Labels[LabelRole], roleKernel))
	assert.Check(t, is.Equal(kernel.Labels[labelCommit], first.Commit))

	// A new pkgdriver binary: the same kernel image, capstan added again.
	data, err := os.ReadFile(env.cfg.Image.Capstan)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile(env.cfg.Image.Capstan, append(data, "# a new build\n"...), 0o755))
	second := run(capstanDockerfile)
	assert.Check(t, !second.Reused && second.KernelReused)
	assert.Check(t, is.Equal(second.KernelImage, first.KernelImage))
	assert.Check(t, second.ID != first.ID)
	assert.Check(t, second.InputHash != first.InputHash)
	assert.Check(t, is.Equal(second.Commit, first.Commit))
	img, err := env.eng.InspectImage(ctx, second.ID)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(img.Labels[LabelRole], roleToolchain))
	assert.Check(t, is.Equal(img.Labels[labelKernel], first.KernelImage))

	again := run()
	assert.Check(t, again.Reused && again.KernelReused)
	assert.Check(t, is.Equal(again.ID, second.ID))

	env.cfg.Image.Rebuild = true
	rebuilt := run("rebuild base", "Dockerfile", capstanDockerfile)
	assert.Check(t, !rebuilt.Reused && !rebuilt.KernelReused)
	assert.Check(t, rebuilt.KernelImage != first.KernelImage)
	env.cfg.Image.Rebuild = false
	after := run()
	assert.Check(t, is.Equal(after.ID, rebuilt.ID), "a later run uses the rebuilt image")
}
