#!/bin/sh
set -e
# Links to the container's /etc: packaged as links, never followed on the host.
ln -s /etc "$PACKAGE_RESULT_DIR/thatlink"
ln -s /etc/passwd "$PACKAGE_RESULT_DIR/passwd-link"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
