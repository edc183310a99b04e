#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# iperf3 from the toolchain's Debian package: the program and the libraries OSv does not provide.
from_host iperf3
package_init "iperf3" "$(iperf3 --version | awk 'NR==1{print $2}')"
