#!/usr/bin/env nonexistent-shell
echo never runs
