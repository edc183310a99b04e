#!/bin/sh
set -e
rmdir "$PACKAGE_RESULT_DIR"
ln -s /etc "$PACKAGE_RESULT_DIR"
