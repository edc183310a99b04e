#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Node.js from the toolchain's Debian package (OSv's node-from-host).
osv_export node-from-host selected
# Debian's Node.js loads some of its built-in modules from /usr/share/nodejs at start.
for f in acorn-walk/dist/walk.js acorn/dist/acorn.js cjs-module-lexer/dist/lexer.js \
	cjs-module-lexer/lexer.js undici/undici-fetch.js; do
	install -D -m 0644 "/usr/share/nodejs/$f" "$PACKAGE_RESULT_DIR/usr/share/nodejs/$f"
done
package_init "Node.js" "$(node --version | sed 's/^v//')" osv.bootstrap
