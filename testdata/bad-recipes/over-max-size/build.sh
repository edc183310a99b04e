#!/bin/sh
set -e
# 2 MiB; the test runs with --max-package-size 1m.
head -c 2097152 /dev/zero > "$PACKAGE_RESULT_DIR/big.bin"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
