#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Redis from the toolchain's Debian package: the program and the libraries OSv does not provide.
from_host redis-server
package_init "Redis" "$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
