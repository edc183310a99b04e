#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# MySQL as Debian ships it: MariaDB's server (mariadbd) and clients from the toolchain's
# packages, and a data directory initialised here, at build time, since OSv cannot run
# mariadb-install-db (a shell script) at boot.
from_host /usr/sbin/mariadbd /usr/sbin/mariadbd
from_host /usr/bin/mariadb /usr/bin/mariadb
from_host /usr/bin/mariadb-admin /usr/bin/mariadb-admin
mkdir -p "$PACKAGE_RESULT_DIR/usr/share/mysql"
cp -a /usr/share/mysql/english /usr/share/mysql/charsets "$PACKAGE_RESULT_DIR/usr/share/mysql/"
install -D -m 0644 "$RECIPE_DIR/my.cnf" "$PACKAGE_RESULT_DIR/etc/mysql/my.cnf"
# OSv cannot run cp: copytree moves the data directory to a writable place at boot; wait-port
# lets a client start once the server beside it answers.
mkdir -p "$PACKAGE_RESULT_DIR/usr/lib/mysql"
for tool in copytree wait-port; do
	gcc -O2 -fPIE -pie -o "$PACKAGE_RESULT_DIR/usr/lib/mysql/$tool" "$RECIPE_DIR/$tool.c"
done

# The data directory: the system tables and one administrator, root@'%', without a password
# until the boot sets $MYSQL_ROOT_PASSWORD. mariadb-install-db's other root entries (localhost,
# this container's hostname, the loopback addresses) are dropped: in the unikernel every client
# comes through TCP, and one root keeps one password.
data=$PACKAGE_RESULT_DIR/var/lib/mysql
mariadb-install-db --no-defaults --user=root --datadir="$data" --skip-test-db \
	--auth-root-authentication-method=normal --innodb-log-file-size=8M >/tmp/install-db.log 2>&1 ||
	{ cat /tmp/install-db.log; exit 1; }
# The users are changed through a server started here, without networking, and shut down.
sock=/tmp/pkgdriver-mysql.sock
mariadbd --no-defaults --user=root --datadir="$data" --innodb-log-file-size=8M \
	--skip-networking --socket="$sock" --pid-file=/tmp/pkgdriver-mysql.pid --log-warnings=0 &
server=$!
client=(--no-defaults --socket="$sock" --user=root)
mariadb-admin "${client[@]}" --wait=60 ping >/dev/null
mariadb "${client[@]}" <<SQL
CREATE USER root@'%';
GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;
DROP USER IF EXISTS root@'$(hostname)', root@'127.0.0.1', root@'::1', root@localhost;
SQL
mariadb-admin "${client[@]}" shutdown
wait "$server"
# Written by the build's server only: the pid of a process that is gone, the host's buffer pool.
rm -f "$data"/*.pid "$data/ib_buffer_pool"
package_init "MySQL (MariaDB)" "$(mariadbd --version | sed -n 's/.*Ver \([0-9.]*\).*/\1/p')" osv.bootstrap
