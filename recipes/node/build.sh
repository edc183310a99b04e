#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Node.js from the toolchain's Debian package (OSv's node-from-host).
osv_export node-from-host selected
package_init "Node.js" "$(node --version | sed 's/^v//')"
