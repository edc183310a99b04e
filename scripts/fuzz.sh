#!/usr/bin/env bash
# Runs every fuzz target of the module briefly, one after the other: first its seed corpus (the
# f.Add seeds and testdata/fuzz/<Target>/), then new inputs for the given time. A target is any
# `func FuzzX(f *testing.F)` in a _test.go file, found by grep, so a new one is picked up without
# editing this script. Used by `make fuzz` (10s each) and CI.
#
#   scripts/fuzz.sh [FUZZTIME] [PACKAGE_PATTERN]     e.g. scripts/fuzz.sh 1m ./packager
#
# A failing input is written to testdata/fuzz/<Target>/ beside the package, where `go test` then
# replays it as part of the seed corpus: commit it with the fix.
set -euo pipefail

fuzztime=${1:-10s}
pattern=${2:-./...}
go=${GO:-go}
cd "$(dirname "$0")/.."

targets=0
failed=()
for dir in $($go list -f '{{.Dir}}' "$pattern"); do
	pkg=./$(realpath --relative-to=. "$dir")
	for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' "$dir"/*_test.go 2>/dev/null | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | sort -u); do
		targets=$((targets + 1))
		printf 'fuzz: %s %s for %s\n' "$pkg" "$name" "$fuzztime" >&2
		if ! $go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed+=("$pkg $name")
		fi
	done
done

if [ "$targets" -eq 0 ]; then
	echo "fuzz: no fuzz targets found under $pattern" >&2
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
printf 'fuzz: %d targets passed\n' "$targets" >&2
