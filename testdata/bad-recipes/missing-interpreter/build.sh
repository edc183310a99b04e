#!/bin/nonexistent
echo never runs
