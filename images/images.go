// Package images embeds the Dockerfiles pkgdriver builds through the Engine API, so the binary
// alone is enough on a build host.
package images

import (
	"bytes"
	_ "embed"
	"errors"
	"slices"
)

// ToolchainDockerfile builds the toolchain image (see toolchain/Dockerfile).
//
//go:embed toolchain/Dockerfile
var ToolchainDockerfile []byte

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
