#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# OSv's Go example, built as a position-independent executable with the toolchain's Go.
osv_export golang-pie-example selected
package_init "Go example" "$(go version | awk '{print $3}' | sed 's/^go//')"
