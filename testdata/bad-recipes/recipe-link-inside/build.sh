#!/bin/sh
set -e
# Links that stay inside the recipes directory arrive as what they point to.
test ! -L alias.txt && test ! -L linked-dir
mkdir -p "$PACKAGE_RESULT_DIR"
cat alias.txt linked-dir/real.txt > "$PACKAGE_RESULT_DIR/seen.txt"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "links inside" --author tests --version 1.0 --platform "$PLATFORM"
