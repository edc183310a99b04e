#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"
# Redis as OSv builds it (its redis-memonly app): Redis 3.2.8 from upstream sources with OSv's
# patch, linked with libc's malloc. Debian's Redis 7 (jemalloc) crashes at startup on OSv.
need_url https://github.com/antirez/redis/archive/3.2.8.tar.gz
osv_export redis-memonly selected
package_init "Redis (in memory)" 3.2.8
