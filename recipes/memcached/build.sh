#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# memcached from the toolchain's Debian package: the program and the libraries OSv does not provide.
from_host memcached
package_init "memcached" "$(memcached -V | awk '{print $2}')"
