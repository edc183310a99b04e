#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# The Lua 5.3 interpreter from the toolchain's Debian package (OSv's lua-hello-from-host).
osv_export lua-hello-from-host selected
package_init "Lua" "$(lua5.3 -v 2>&1 | awk '{print $2}')"
