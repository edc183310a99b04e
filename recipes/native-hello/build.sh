#!/bin/bash
# Builds a small native C program as a position-independent executable, the form OSv runs.
set -euo pipefail
gcc -O2 -fpie -rdynamic -pie -o "$PACKAGE_RESULT_DIR/hello" hello.c
cd "$PACKAGE_RESULT_DIR"
capstan package init --name "$PACKAGE_NAME" --title "Native hello" \
	--author "pkgdriver" --version 1.0 --platform "$PLATFORM"
