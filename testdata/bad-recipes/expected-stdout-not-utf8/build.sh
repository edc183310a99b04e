#!/bin/sh
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
