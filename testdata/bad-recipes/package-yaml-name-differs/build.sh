#!/bin/sh
set -e
cd "$PACKAGE_RESULT_DIR" && capstan package init --name other --title T --author tests
