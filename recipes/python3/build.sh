#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Python 3 from the toolchain's Debian package, with its standard library (OSv's python-from-host).
osv_export python-from-host all
package_init "Python 3" "$(python3 -c 'import platform; print(platform.python_version())')"
