#!/bin/sh
set -e
# A Unix socket in the result: the engine's archive would drop it without a word.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$PACKAGE_RESULT_DIR/control.sock"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
