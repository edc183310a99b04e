#!/bin/sh
set -e
printf '#!/bin/sh\necho hi\n' > "$PACKAGE_RESULT_DIR/tool"
chmod 6777 "$PACKAGE_RESULT_DIR/tool"
cd "$PACKAGE_RESULT_DIR" && capstan package init --name "$PACKAGE_NAME" --title "T $PACKAGE_NAME" --author tests --version 1.0 --platform "$PLATFORM"
