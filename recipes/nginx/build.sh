#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# nginx from the toolchain's Debian package (OSv's nginx-from-host), serving /www.
osv_export nginx-from-host selected
install -m 0644 nginx.conf "$PACKAGE_RESULT_DIR/nginx.conf"
install -D -m 0644 index.html "$PACKAGE_RESULT_DIR/www/index.html"
package_init "nginx" "$(nginx -v 2>&1 | sed 's|.*nginx/||')"
