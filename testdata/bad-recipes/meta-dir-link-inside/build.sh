#!/bin/sh
set -e
# meta/ is a link inside the result: a package whose meta/ is a link is not one Capstan (or
# pkgdriver's own package verify) accepts.
cd "$PACKAGE_RESULT_DIR"
capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
mv meta meta.real
ln -s meta.real meta
