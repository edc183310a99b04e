#!/usr/bin/env bash
# Makes sure Debian's chromium is installed, for the report.html browser test
# (report/html_browser_test.go). Idempotent: does nothing when chromium is on PATH.
# Needs root for the install. Used by .ci/run; the test itself fails under CI=true when chromium
# is missing and skips otherwise.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	log "chromium is not installed and this is not root: apt-get install chromium first"
	exit 1
fi
log "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: the headless test needs neither the sandbox helpers nor extra fonts
# beyond what chromium depends on.
apt-get install -y -qq --no-install-recommends chromium >/dev/null
log "$(chromium --version 2>/dev/null || echo 'chromium installed')"
