#!/bin/bash
# A small TCP client the server demos use to talk to their server inside the unikernel.
set -euo pipefail
gcc -O2 -Wall -fpie -rdynamic -pie -o "$PACKAGE_RESULT_DIR/tcp-probe" tcp-probe.c
cd "$PACKAGE_RESULT_DIR"
capstan package init --name "$PACKAGE_NAME" --title "TCP probe" --author pkgdriver \
	--version 1.0 --platform "$PLATFORM"
