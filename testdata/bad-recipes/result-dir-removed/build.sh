#!/bin/sh
set -e
rm -rf "$PACKAGE_RESULT_DIR"
