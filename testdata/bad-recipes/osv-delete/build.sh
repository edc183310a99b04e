#!/bin/sh
set -e
# Deletes the OSv tree; no other recipe may notice.
rm -rf "$OSV_DIR"
test ! -e "$OSV_DIR"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
