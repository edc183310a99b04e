#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# NFS client support for OSv; OSv's build clones libnfs from GitHub.
need_url https://github.com/sahlberg/libnfs.git
osv_export nfs all
package_init "OSv NFS client" "$(osv_version)"
