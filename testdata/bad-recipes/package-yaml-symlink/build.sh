#!/bin/sh
set -e
mkdir -p "$PACKAGE_RESULT_DIR/meta"
ln -s /etc/passwd "$PACKAGE_RESULT_DIR/meta/package.yaml"
