#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# OSv's command line shell; OSv's build downloads Lua and LuaRocks for it.
need_url https://sourceforge.net/projects/luabinaries/files/5.3.6/
need_url https://luarocks.github.io/luarocks/releases/
osv_export cli all
package_init "OSv Command Line Interface" "$(osv_version)" osv.httpserver-api
