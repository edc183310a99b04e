#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# The base files of an OSv root file system (OSv's usr skeleton): libenviron, the mount tools,
# libgcc_s, /etc/hosts, the mount points. Capstan adds it to every image it composes.
osv_export empty all usrskel=default
# OSv exports /etc/fstab before it copies the file into its build directory; supply the rofs one.
install -D -m 0644 "$OSV_DIR/static/etc/fstab_rofs" "$PACKAGE_RESULT_DIR/etc/fstab"
mkdir -p "$PACKAGE_RESULT_DIR"/{dev,proc,sys,tmp}
package_init "OSv Bootstrap" "$(osv_version)"
