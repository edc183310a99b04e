#!/usr/bin/env bash
# Makes sure cosign is installed for the supply-chain interoperability test
# (driver/supplychain_integration_test.go): `go install`s a pinned cosign from the Go module proxy
# into Go's bin directory ($(go env GOPATH)/bin, or GOBIN), where the test looks for it.
# Idempotent: does nothing when that version is there. Building cosign takes several minutes on a
# small machine. Used by .ci/run and the README.
set -euo pipefail

version=v2.6.1
log() { printf 'ensure-cosign: %s\n' "$*" >&2; }

bin=$(go env GOBIN)
if [ -z "$bin" ]; then
	bin=$(go env GOPATH)/bin
fi
if [ -x "$bin/cosign" ] && "$bin/cosign" version 2>/dev/null | grep -q "GitVersion:[[:space:]]*$version$"; then
	exit 0
fi
log "installing cosign $version into $bin (go install; this takes a few minutes)"
GOFLAGS=-buildvcs=false go install "github.com/sigstore/cosign/v2/cmd/cosign@$version"
log "cosign $version is installed: $bin/cosign"
