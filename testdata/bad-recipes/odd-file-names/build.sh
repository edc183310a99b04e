#!/bin/sh
set -e
# File names that are not UTF-8 or hold a newline or a backslash.
touch "$PACKAGE_RESULT_DIR/$(printf 'bad\377name')"
touch "$PACKAGE_RESULT_DIR/$(printf 'new\nline')"
touch "$PACKAGE_RESULT_DIR/back\\slash"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
