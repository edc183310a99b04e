// Package images embeds the Dockerfiles pkgdriver builds through the Engine API, so the binary
// alone is enough on a build host.
package images

import _ "embed"

// ToolchainDockerfile builds the toolchain image (see toolchain/Dockerfile).
//
//go:embed toolchain/Dockerfile
var ToolchainDockerfile []byte
