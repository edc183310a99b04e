#!/bin/sh
set -e
# meta/ is a link to a host directory holding a package.yaml, and the recipe has no meta/ of its
# own to copy over it: the host's file must never be read.
ln -s /tmp/pkgdriver-hardening-victim "$PACKAGE_RESULT_DIR/meta"
echo data > "$PACKAGE_RESULT_DIR/data.txt"
