#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# OSv's REST API server (C++), with the modules it requires (OpenSSL and the C++ tools library
# from the toolchain's Debian packages).
osv_export httpserver-api.fg all
package_init "OSv httpserver with APIs" "$(osv_version)"
