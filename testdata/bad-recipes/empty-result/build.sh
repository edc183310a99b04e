#!/bin/sh
echo "writing nothing to $PACKAGE_RESULT_DIR"
