#!/bin/sh
set -e
echo data > "$PACKAGE_RESULT_DIR/data.txt"
