#!/bin/sh
# Prints the tree's version the way OSv does: from git describe (stand-in, see README.md).
cd "$(dirname "$0")/.." && git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//; s/^/v/'
