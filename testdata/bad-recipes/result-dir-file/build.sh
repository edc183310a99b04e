#!/bin/sh
set -e
rmdir "$PACKAGE_RESULT_DIR"
echo "not a directory" > "$PACKAGE_RESULT_DIR"
