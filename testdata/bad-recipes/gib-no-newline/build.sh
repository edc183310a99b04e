#!/bin/sh
set -e
# 1 GiB on stdout without a single newline.
head -c 1073741824 /dev/zero | tr '\000' x
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
