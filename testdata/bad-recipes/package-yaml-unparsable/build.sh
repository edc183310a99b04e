#!/bin/sh
set -e
mkdir -p "$PACKAGE_RESULT_DIR/meta"
printf 'name: [unclosed\ntitle: T\n' > "$PACKAGE_RESULT_DIR/meta/package.yaml"
