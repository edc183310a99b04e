#!/usr/bin/env bash
# Makes the base image pkgdriver/debian:<suite> with debootstrap (minbase) and imports it into the
# engine, for machines that cannot pull from a registry. Idempotent: skips when the image exists.
#   usage: images/base/make-base-image.sh [suite]      (default: bookworm)
# Environment: PKGDRIVER_BASE_IMAGE (default pkgdriver/debian:<suite>),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

suite=${1:-bookworm}
image=${PKGDRIVER_BASE_IMAGE:-pkgdriver/debian:$suite}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf 'make-base-image: %s\n' "$*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then
	log "$image exists, nothing to do"
	exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	log "installing debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq debootstrap >/dev/null
fi

root=$(mktemp -d /var/tmp/pkgdriver-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

log "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -n 30 "$root.log" >&2
	rm -f "$root.log"
	exit 1
}
rm -f "$root.log"

# Updates and security fixes for images built on top of this one.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
# Keep the image small and apt quiet in containers.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

log "importing as $image"
tar --numeric-owner -C "$root" -c . | docker import \
	--change 'CMD ["/bin/bash"]' \
	--change 'ENV LANG=C.UTF-8' \
	- "$image" >/dev/null
log "$image is ready"
