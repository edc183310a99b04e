#!/bin/sh
set -e
# A hard link to a file outside the result directory, and one to it inside.
ln /etc/debian_version "$PACKAGE_RESULT_DIR/hardlinked"
ln "$PACKAGE_RESULT_DIR/hardlinked" "$PACKAGE_RESULT_DIR/again"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
