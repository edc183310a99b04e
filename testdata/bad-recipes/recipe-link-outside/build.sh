#!/bin/sh
set -e
# never runs: the link below leads out of the recipes directory
cat host
