#!/bin/sh
set -e
# Processes left running after build.sh exits: the build still ends when build.sh does.
sleep 1000 &
(sleep 1000 > /dev/null 2>&1 &)
setsid sleep 1000 < /dev/null > /dev/null 2>&1 &
(while true; do echo still here; sleep 1; done) &
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
