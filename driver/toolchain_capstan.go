package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/images"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
)

// capstanDockerfile is the name of capstan.Dockerfile in its build context.
const capstanDockerfile = "capstan.Dockerfile"

// kernelLabels are the labels of a kernel image its toolchain images carry as they are: the
// OSv tree it was built from and how.
var kernelLabels = []string{labelCommit, labelCommitTime, labelDescribe, labelPlatform, labelLineage, labelGeneration, labelBuiltOn}

// toolchainInput is the toolchain image's input hash: its kernel image's, the capstan binary's
// SHA-256 and the Dockerfile that adds it.
func toolchainInput(kernelInput, capstanDigest string) string {
	h := sha256.New()
	fmt.Fprintf(h, "kernel %s\ncapstan %s\n", kernelInput, capstanDigest)
	h.Write(images.ToolchainCapstan)
	return hex.EncodeToString(h.Sum(nil))
}

// addCapstan builds the toolchain image of input: the kernel image with capstan added (a context
// of its own, with the binary and capstan.Dockerfile only), labelled and tagged.
func (t *toolchainBuild) addCapstan(ctx context.Context, kernel *engine.Image, input, capstan string) (*Toolchain, error) {
	id, err := t.buildSmall(ctx, func(tw *tarball.Writer) error {
		if err := tw.Bytes(capstanDockerfile, images.ToolchainCapstan, 0o644); err != nil {
			return err
		}
		return tw.File(ctx, capstan, "capstan")
	}, map[string]string{"KERNEL": kernel.ID}, capstanDockerfile)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		labelInput:   input,
		labelKernel:  kernel.ID,
		labelRebuilt: t.rebuiltLabel(),
		LabelRole:    roleToolchain,
	}
	for _, k := range kernelLabels {
		labels[k] = kernel.Labels[k]
	}
	committed, err := t.Engine.LabelImage(ctx, id, labels, "pkgdriver toolchain")
	if err != nil {
		return nil, fmt.Errorf("label the toolchain image: %w", err)
	}
	tc, err := t.describeImage(ctx, committed)
	if err != nil {
		return nil, err
	}
	return tc, t.tag(ctx, tc)
}
