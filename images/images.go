// Package images embeds the Dockerfiles pkgdriver builds through the Engine API, so the binary
// alone is enough on a build host.
package images

import (
	"bytes"
	_ "embed"
	"errors"
	"slices"
)

// ToolchainDockerfile builds the toolchain's kernel image (see toolchain/Dockerfile).
//
//go:embed toolchain/Dockerfile
var ToolchainDockerfile []byte

// ToolchainCapstan builds the toolchain image from a kernel image: it adds `capstan` (see
// toolchain/capstan.Dockerfile).
//
//go:embed toolchain/capstan.Dockerfile
var ToolchainCapstan []byte

// ToolchainIncremental is the head of the incremental toolchain build (see
// toolchain/incremental.Dockerfile); ToolchainAfterKernel gives the steps that follow it.
//
//go:embed toolchain/incremental.Dockerfile
var ToolchainIncremental []byte

// afterKernelMarker starts the steps of toolchain/Dockerfile that follow the kernel's build.
const afterKernelMarker = "# ---- after the kernel ----\n"

// ToolchainAfterKernel returns the steps of toolchain/Dockerfile after the kernel's build (from
// its "after the kernel" line), which the incremental build runs too.
func ToolchainAfterKernel() ([]byte, error) {
	_, tail, ok := bytes.Cut(ToolchainDockerfile, []byte(afterKernelMarker))
	if !ok {
		return nil, errors.New("toolchain/Dockerfile has no \"after the kernel\" line")
	}
	return tail, nil
}

// ToolchainIncrementalDockerfile is the whole incremental build: its head, then the steps of
// toolchain/Dockerfile after the kernel.
func ToolchainIncrementalDockerfile() ([]byte, error) {
	tail, err := ToolchainAfterKernel()
	if err != nil {
		return nil, err
	}
	return append(append(slices.Clip(ToolchainIncremental), []byte(afterKernelMarker)...), tail...), nil
}

// ToolchainRebuildBase is a Dockerfile that makes a fresh image of the toolchain's base image: the
// lines of toolchain/Dockerfile through its FROM (so the same BASE_IMAGE and default), then
// LABEL label (KEY="VALUE"). A --rebuild-image build starts from it instead of the base, so no
// layer it makes has the layer-cache key of another build's.
func ToolchainRebuildBase(label string) ([]byte, error) {
	i := bytes.Index(ToolchainDockerfile, []byte("\nFROM "))
	if i < 0 {
		return nil, errors.New("toolchain/Dockerfile has no FROM line")
	}
	end := bytes.IndexByte(ToolchainDockerfile[i+1:], '\n')
	if end < 0 {
		return nil, errors.New("toolchain/Dockerfile ends at its FROM line")
	}
	head := ToolchainDockerfile[:i+1+end+1]
	return append(slices.Clip(head), []byte("LABEL "+label+"\n")...), nil
}
