# Helpers for pkgdriver's built-in recipes; build.sh sources it: . "$COMMON_DIR/osv-recipe.sh"
# It uses only the recipe contract's environment.
set -euo pipefail

# osv_version prints the OSv version of the tree (what OSv's own packages carry).
osv_version() {
	(cd "$OSV_DIR" && ./scripts/osv-version.sh) | sed 's/^v//'
}

# osv_export IMAGE [EXPORT] [ARG...]: builds OSv apps/modules with OSv's own scripts/build and
# exports their files into $PACKAGE_RESULT_DIR, as OSv's scripts/build-capstan-mpm-packages
# does. EXPORT is selected (only the named modules, the default) or all (with what they
# require). The rofs file system needs no booted helper, so this works in any container.
osv_export() {
	local image=$1 export=${2:-selected}
	shift $(($# < 2 ? $# : 2))
	(cd "$OSV_DIR" && ./scripts/build -j"${CPU_COUNT:-2}" fs=rofs fs_size_mb=8192 image="$image" \
		export="$export" usrskel=none export_dir="$PACKAGE_RESULT_DIR" "$@")
}

# package_init TITLE VERSION [REQUIRED...]: writes meta/package.yaml with capstan.
package_init() {
	local title=$1 version=$2 args=()
	shift 2
	for r in "$@"; do args+=(--require "$r"); done
	(cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "$title" \
		--author "pkgdriver" --version "$version" --platform "$PLATFORM" "${args[@]}")
}

# need_url URL: fails at once, naming the URL, when the build cannot reach it. curl's own
# message comes after this line: pkgdriver stops the build at the first line that says the
# network is missing, and this one names the whole URL, curl's only the host.
need_url() {
	local err
	if ! err=$(curl -fsSIL --max-time 20 -o /dev/null "$1" 2>&1); then
		echo "pkgdriver: recipe $PACKAGE_NAME needs the network: cannot reach $1" >&2
		echo "$err" >&2
		exit 2
	fi
}

# from_host PROGRAM [DEST]: copies a program installed in the toolchain image and the shared
# libraries it needs that OSv does not provide itself into the package (libraries under
# /usr/lib), as OSv's scripts/manifest_from_host.sh selects them.
from_host() {
	local prog dest
	prog=$(readlink -f "$(command -v "$1")")
	dest=${2:-/$(basename "$1")}
	install -D -m 0755 "$prog" "$PACKAGE_RESULT_DIR$dest"
	host_libs "$prog"
}

# host_libs FILE...: copies the shared libraries the ELF files need that OSv does not provide
# into the package's /usr/lib.
host_libs() {
	local f
	for f in "$@"; do ldd "$f" 2>/dev/null || true; done |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
		case "$(basename "$lib")" in
		libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libgcc_s.so.* | \
			libresolv.so.* | libaio.so.* | libcrypt.so.* | libselinux.so.* | ld-linux* | libstdc++.so.*)
			continue ;;
		esac
		install -D -m 0755 "$(readlink -f "$lib")" "$PACKAGE_RESULT_DIR/usr/lib/$(basename "$lib")"
	done
}
