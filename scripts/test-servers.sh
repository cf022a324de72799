#!/bin/bash
# Throwaway MariaDB and PostgreSQL servers for the libdal test suites.
#
#   scripts/test-servers.sh start DIR   create (first time) and start both
#                                       servers under DIR, write DIR/env
#   scripts/test-servers.sh stop DIR    stop them by their pid files
#   scripts/test-servers.sh env DIR     print the export lines of DIR/env
#
# Both servers listen on 127.0.0.1 only, at non-default ports (33061 and
# 54321, or the next free ones), with their unix sockets, data and logs inside
# DIR. Each gets a database `daltest` and a user `dal` whose password holds
# characters that URLs must percent-encode, so that every test run exercises
# credential decoding. DIR/env then holds DAL_TEST_MYSQL_URL and
# DAL_TEST_PGSQL_URL.
#
# Written for a root shell on Debian 12 without systemd and without stdin:
# both servers refuse to run as root, so they run as the `mysql` and
# `postgres` system users; every MariaDB program gets --no-defaults first so
# that /etc/mysql is ignored. Nothing is ever stopped by process name, and
# `stop` deletes nothing. Re-running `start` on a DIR whose servers are up
# only re-checks them and rewrites DIR/env.
#
# Environment: DAL_TEST_MYSQL_PORT, DAL_TEST_PGSQL_PORT (first port to try),
# DAL_TEST_SERVER_WAIT (seconds to wait for each server, default 30).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUNUSER=/usr/sbin/runuser
WAIT=${DAL_TEST_SERVER_WAIT:-30}
DB=daltest
DBUSER=dal
# Raw password and its percent-encoded URL form; keep the two in step.
DBPASS='p@ss:w/rd%'
DBPASS_URL='p%40ss%3Aw%2Frd%25'

die() {
	echo "test-servers: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start|stop|env DIR" >&2
	exit 2
}

# 0 if something accepts TCP connections on 127.0.0.1:$1.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port >= $1 that nothing listens on.
free_port() {
	local p=$1
	while port_busy "$p"; do
		p=$((p + 1))
		[ "$p" -lt $(($1 + 100)) ] || die "no free port in $1..$p"
	done
	echo "$p"
}

# 0 if the pid in file $1 names a live process.
pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(head -n 1 "$1")
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null
}

log_tail() {
	echo "---- last lines of $1 ----" >&2
	tail -n 30 "$1" >&2 2>/dev/null || echo "(no log)" >&2
	echo "----" >&2
}

# ---- MariaDB ----------------------------------------------------------------

my_dir() { echo "$DIR/mysql"; }

my_client() {
	mariadb --no-defaults --protocol=socket --socket="$(my_dir)/mysqld.sock" \
		-uroot --batch --skip-column-names "$@"
}

my_start() {
	local d port
	d=$(my_dir)
	command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
	command -v mariadbd >/dev/null || die "mariadbd not found: apt-get install mariadb-server"
	mkdir -p "$d"
	chown mysql:mysql "$d"
	if [ ! -d "$d/data/mysql" ]; then
		rm -rf "$d/data"
		if ! mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" \
			--auth-root-authentication-method=socket --skip-test-db \
			--skip-name-resolve >"$d/install.log" 2>&1 </dev/null; then
			log_tail "$d/install.log"
			die "mariadb-install-db failed (log: $d/install.log)"
		fi
	fi
	if pid_alive "$d/mysqld.pid"; then
		port=$(cat "$d/port")
	else
		port=$(free_port "${DAL_TEST_MYSQL_PORT:-33061}")
		echo "$port" >"$d/port"
		rm -f "$d/mysqld.sock"
		: >"$d/error.log"
		chown mysql:mysql "$d/error.log"
		setsid mariadbd --no-defaults --user=mysql --datadir="$d/data" \
			--bind-address=127.0.0.1 --port="$port" \
			--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
			--log-error="$d/error.log" --skip-name-resolve \
			--character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
			--innodb-buffer-pool-size=64M --skip-log-bin \
			</dev/null >>"$d/error.log" 2>&1 &
		echo $! >"$d/launcher.pid"
	fi
	local i=0
	until my_client -e 'SELECT 1' </dev/null >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			log_tail "$d/error.log"
			die "MariaDB did not accept connections on $d/mysqld.sock within ${WAIT}s"
		fi
		# mariadbd does not fork: a dead launcher means a failed start.
		if ! pid_alive "$d/launcher.pid"; then
			log_tail "$d/error.log"
			die "mariadbd exited during startup (log: $d/error.log)"
		fi
		sleep 0.2
	done
	# With --skip-name-resolve, 'dal'@'localhost' would not match a TCP login
	# from 127.0.0.1, so the TCP account is for 127.0.0.1.
	my_client <<-SQL >"$d/setup.log" 2>&1 || { log_tail "$d/setup.log"; die "MariaDB setup failed"; }
		CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
		CREATE USER IF NOT EXISTS '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		ALTER USER '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		GRANT ALL PRIVILEGES ON $DB.* TO '$DBUSER'@'127.0.0.1';
		FLUSH PRIVILEGES;
	SQL
	MYSQL_URL="mysql://$DBUSER:$DBPASS_URL@127.0.0.1:$port/$DB"
	echo "test-servers: MariaDB up at 127.0.0.1:$port (data $d/data)"
}

# Stop by pid file; never by name. SIGTERM is a clean shutdown.
my_stop() {
	local d pid i=0
	d=$(my_dir)
	pid_alive "$d/mysqld.pid" || { echo "test-servers: MariaDB not running"; return 0; }
	pid=$(head -n 1 "$d/mysqld.pid")
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			echo "test-servers: MariaDB pid $pid ignored SIGTERM for ${WAIT}s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	echo "test-servers: MariaDB stopped"
}

# ---- PostgreSQL -------------------------------------------------------------

pg_dir() { echo "$DIR/pgsql"; }

# initdb, pg_ctl and postgres refuse root. runuser changes user but not the
# working directory, so run from one that postgres can enter. Callers give
# stdin explicitly (a here-document or /dev/null): the script has none.
as_postgres() {
	(cd "$(pg_dir)" && "$RUNUSER" -u postgres -- "$@")
}

pg_client() {
	as_postgres "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_dir)" \
		-p "$(cat "$(pg_dir)/port")" -U postgres -d postgres "$@"
}

pg_start() {
	local d port pid
	d=$(pg_dir)
	[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: apt-get install postgresql"
	mkdir -p "$d"
	chown postgres:postgres "$d"
	if [ ! -s "$d/data/PG_VERSION" ]; then
		rm -rf "$d/data"
		# Unix socket: trust (only root and postgres reach DIR); TCP:
		# passwords, so that tests exercise real authentication.
		if ! as_postgres "$PGBIN/initdb" -D "$d/data" -U postgres -E UTF8 \
			--locale=C --auth-local=trust --auth-host=scram-sha-256 \
			--no-sync </dev/null >"$d/initdb.log" 2>&1; then
			log_tail "$d/initdb.log"
			die "initdb failed (log: $d/initdb.log)"
		fi
	fi
	if pid_alive "$d/data/postmaster.pid"; then
		port=$(cat "$d/port")
	else
		port=$(free_port "${DAL_TEST_PGSQL_PORT:-54321}")
		echo "$port" >"$d/port"
		# A postmaster killed hard may leave backends holding shared
		# memory; they exit on their own once they notice, so the start
		# below is retried within the wait budget.
		: >"$d/server.log"
		chown postgres:postgres "$d/server.log"
		if ! as_postgres "$PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w \
			-t "$WAIT" -o "-c listen_addresses=127.0.0.1 -p $port -k $d -c password_encryption=scram-sha-256" \
			start </dev/null >"$d/pg_ctl.log" 2>&1; then
			cat "$d/pg_ctl.log" >&2
			log_tail "$d/server.log"
			die "PostgreSQL did not start within ${WAIT}s"
		fi
	fi
	local i=0
	until as_postgres "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" </dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			log_tail "$d/server.log"
			die "PostgreSQL did not accept connections on 127.0.0.1:$port within ${WAIT}s"
		fi
		sleep 0.2
	done
	pg_client >"$d/setup.log" 2>&1 <<-SQL || { log_tail "$d/setup.log"; die "PostgreSQL setup failed"; }
		SELECT 'CREATE ROLE $DBUSER LOGIN'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DBUSER') \gexec
		ALTER ROLE $DBUSER LOGIN PASSWORD '$DBPASS';
		SELECT 'CREATE DATABASE $DB OWNER $DBUSER ENCODING ''UTF8'' TEMPLATE template0'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
	SQL
	PGSQL_URL="postgresql://$DBUSER:$DBPASS_URL@127.0.0.1:$port/$DB"
	echo "test-servers: PostgreSQL up at 127.0.0.1:$port (data $d/data)"
}

# Fast shutdown (SIGINT): aborts open transactions and disconnects clients.
# If that does not finish in time, SIGQUIT (immediate shutdown), which still
# lets the postmaster reap its backends, unlike SIGKILL.
pg_stop() {
	local d pid i=0
	d=$(pg_dir)
	pid_alive "$d/data/postmaster.pid" || { echo "test-servers: PostgreSQL not running"; return 0; }
	pid=$(head -n 1 "$d/data/postmaster.pid")
	kill -INT "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -eq $((WAIT * 5)) ]; then
			echo "test-servers: PostgreSQL pid $pid still up after ${WAIT}s, sending SIGQUIT" >&2
			kill -QUIT "$pid" 2>/dev/null || true
		elif [ "$i" -gt $((WAIT * 10)) ]; then
			die "PostgreSQL pid $pid did not exit"
		fi
		sleep 0.2
	done
	echo "test-servers: PostgreSQL stopped"
}

# ---- main -------------------------------------------------------------------

[ $# -eq 2 ] || usage
CMD=$1
DIR=$2
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac
# The path ends up in server command lines and socket paths.
case $DIR in *[[:space:]]*) die "DIR must not contain white space: '$DIR'" ;; esac
[ ${#DIR} -lt 80 ] || die "DIR is too long for a unix socket path: '$DIR'"

case $CMD in
start)
	[ "$(id -u)" -eq 0 ] || die "start must run as root (the servers run as the mysql and postgres users)"
	mkdir -p "$DIR"
	# The server users must be able to reach their subdirectories.
	chmod 0755 "$DIR"
	my_start
	pg_start
	cat >"$DIR/env.tmp" <<-EOF
		export DAL_TEST_MYSQL_URL='$MYSQL_URL'
		export DAL_TEST_PGSQL_URL='$PGSQL_URL'
	EOF
	mv "$DIR/env.tmp" "$DIR/env"
	echo "test-servers: wrote $DIR/env"
	;;
stop)
	[ -d "$DIR" ] || die "$DIR: no such directory"
	rc=0
	my_stop || rc=1
	pg_stop || rc=1
	exit $rc
	;;
env)
	[ -s "$DIR/env" ] || die "$DIR/env not found: run '$0 start $DIR' first"
	cat "$DIR/env"
	;;
*)
	usage
	;;
esac
