#!/bin/sh
set -e
# meta/ is a link to a host directory; the recipe's meta/ files are copied over it after the
# build, and must land in the package, not in that directory.
ln -s /tmp/pkgdriver-hardening-victim "$PACKAGE_RESULT_DIR/meta"
echo data > "$PACKAGE_RESULT_DIR/data.txt"
