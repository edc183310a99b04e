#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io when dockerd is
# missing, starts dockerd in the background when nothing answers, and waits up to a minute.
# Idempotent: on a machine whose engine already answers it does nothing. Needs root for the
# install and start steps. Used by the Makefile, .ci/run and the README.
set -euo pipefail

log() { printf 'ensure-engine: %s\n' "$*" >&2; }

engine_answers() {
	# DOCKER_HOST is honoured by the client; the default is the local socket.
	docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

if command -v docker >/dev/null 2>&1 && engine_answers; then
	exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		log "dockerd is not installed and this is not root: install docker.io (or Docker Engine >= 20.10) first"
		exit 1
	fi
	log "installing Debian's docker.io"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq docker.io >/dev/null
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
	log "DOCKER_HOST=$DOCKER_HOST does not answer, and a remote engine cannot be started from here"
	exit 1
fi

if ! engine_answers; then
	if [ "$(id -u)" -ne 0 ]; then
		log "no engine answers and this is not root: start dockerd (e.g. systemctl start docker)"
		exit 1
	fi
	if ! pgrep -x dockerd >/dev/null 2>&1; then
		mkdir -p /var/log
		log "starting dockerd (log: /var/log/pkgdriver-dockerd.log)"
		# setsid: the daemon must outlive the shell that provisions it.
		setsid nohup dockerd >/var/log/pkgdriver-dockerd.log 2>&1 </dev/null &
	fi
	for _ in $(seq 1 60); do
		engine_answers && break
		sleep 1
	done
fi

if ! engine_answers; then
	log "the engine did not answer within a minute; last lines of its log:"
	tail -n 20 /var/log/pkgdriver-dockerd.log >&2 || true
	exit 1
fi
log "engine $(docker version --format '{{.Server.Version}}') answers"
