#!/usr/bin/env bash
# Makes sure the tools the publish tests need are installed: Debian's docker-registry (the
# Distribution registry, `docker-registry serve CONFIG`) and apache2-utils (htpasswd, for the
# registry that requires basic auth). Installs what is missing with apt-get; idempotent, does
# nothing when both are there. It never starts the registry: the Debian service is kept from
# starting during the install (there is no systemd here), and the tests start their own registry
# processes on 127.0.0.1 with a temporary configuration. Needs root for the install. Used by
# .ci/run and the README.
set -euo pipefail

log() { printf 'ensure-registry: %s\n' "$*" >&2; }

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	log "missing ${missing[*]} and this is not root: install them with apt-get first"
	exit 1
fi

# invoke-rc.d asks policy-rc.d whether a package's service may start; 101 means "no". Only a
# policy this script wrote is removed again.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for tool in docker-registry htpasswd; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		log "$tool is still missing after the install"
		exit 1
	fi
done
log "docker-registry and htpasswd are installed"
