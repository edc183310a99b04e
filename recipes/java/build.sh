#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"
# A Java runtime cut from the toolchain's Debian OpenJDK with jlink (only the modules a plain
# program needs, no links into the host's /etc), the libraries it needs that OSv does not
# provide, and a small example.
jlink --add-modules java.base,java.logging --strip-debug --no-header-files --no-man-pages \
	--output "$PACKAGE_RESULT_DIR/jre"
host_libs "$PACKAGE_RESULT_DIR/jre/bin/java" "$PACKAGE_RESULT_DIR"/jre/lib/*.so "$PACKAGE_RESULT_DIR"/jre/lib/server/*.so
mkdir -p "$PACKAGE_RESULT_DIR/usr/bin" "$PACKAGE_RESULT_DIR/examples"
ln -s /jre/bin/java "$PACKAGE_RESULT_DIR/usr/bin/java"
javac -d "$PACKAGE_RESULT_DIR/examples" Hello.java
package_init "Java (OpenJDK runtime)" "$(java -version 2>&1 | sed -n 's/.*version "\(.*\)".*/\1/p')"
