#!/bin/bash
# Throwaway MariaDB and PostgreSQL servers for the libdal test suites.
#
#   scripts/test-servers.sh start DIR   create (first time) and start both
#                                       servers under DIR, write DIR/env
#   scripts/test-servers.sh stop DIR    stop them by their pid files
#   scripts/test-servers.sh env DIR     print the export lines of DIR/env
#   scripts/test-servers.sh kill DIR mysql|pgsql
#                                       crash one server: SIGKILL it (for
#                                       PostgreSQL the postmaster and all its
#                                       children) and wait until it is gone
#   scripts/test-servers.sh restart DIR mysql|pgsql
#                                       start that server again on the same
#                                       port and data directory (after `kill`
#                                       or `stop`; crash recovery included)
#                                       and wait until it accepts connections
#
# Both servers offer TLS with a throwaway CA made under DIR/tls (ca.pem, a
# server certificate for 127.0.0.1 and localhost, client.pem/client.key signed
# by the same CA, and other-ca.pem that signed nothing), named in DIR/env as
# DAL_TEST_TLS_DIR; they do not require it.
#
# Both servers listen on 127.0.0.1 only, at non-default ports (22061 and
# 22541, or the next free ones: below Linux's ephemeral range, 32768-60999,
# where a client connection's local port could take a port found free a
# moment before the server binds it), with their unix sockets, data and logs inside
# DIR. Each gets a database `daltest` and a user `dal` whose password holds
# characters that URLs must percent-encode, so that every test run exercises
# credential decoding. DIR/env then holds DAL_TEST_MYSQL_URL and
# DAL_TEST_PGSQL_URL. A second database, `daltest_schema`, same user, is for
# the schema lifecycle tests (tests/test_migrate.c), which drop everything
# in their database and must not race the other suites.
#
# Written for a root shell on Debian 12 without systemd and without stdin:
# both servers refuse to run as root, so they run as the `mysql` and
# `postgres` system users; every MariaDB program gets --no-defaults first so
# that /etc/mysql is ignored. Nothing is ever stopped by process name, and
# `stop` deletes nothing. Re-running `start` on a DIR whose servers are up
# only re-checks them and rewrites DIR/env; `restart` of a server that is up
# only re-checks it. `kill` and `restart` are for the fault tests
# (tests/test_recovery.c): `kill` leaves DIR as a crash would, with stale pid
# files and sockets, which `restart` copes with.
#
# Environment: DAL_TEST_MYSQL_PORT, DAL_TEST_PGSQL_PORT (first port to try),
# DAL_TEST_SERVER_WAIT (seconds to wait for each server, default 30).
set -euo pipefail

TAG=test-servers
WAIT=${DAL_TEST_SERVER_WAIT:-30}
# shellcheck source=scripts/lib-servers.sh
. "$(dirname "$0")/lib-servers.sh"

usage() {
	echo "usage: $0 start|stop|env DIR" >&2
	echo "       $0 kill|restart DIR mysql|pgsql" >&2
	exit 2
}

# ---- MariaDB ----------------------------------------------------------------

# ---- TLS ---------------------------------------------------------------------

tls_dir() { echo "$DIR/tls"; }

# A throwaway CA, a server certificate for 127.0.0.1 / localhost and a client
# certificate signed by it, plus a second CA that signed nothing of ours (for
# "wrong CA" tests). Made once per DIR; each server gets its own copy of the
# key, owned by its user (both servers refuse keys others can read).
tls_make() {
	local t
	t=$(tls_dir)
	[ -s "$t/server.pem" ] && return 0
	mkdir -p "$t"
	(
		cd "$t"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=libdal test CA" \
			-keyout ca.key -out ca.pem
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=libdal other CA" \
			-keyout other-ca.key -out other-ca.pem
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
			-out server.csr
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 30 -extfile san.ext -out server.pem
		openssl req -newkey rsa:2048 -nodes -subj "/CN=dal" -keyout client.key -out client.csr
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 30 -out client.pem
		rm -f ./*.csr san.ext
	) >"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "cannot make test certificates"; }
	chmod 0755 "$t"
	chmod 0644 "$t"/*.pem
	chmod 0600 "$t"/*.key
}

# Copy the server key and certificates into server directory $1 for user $2.
tls_install() {
	local t
	t=$(tls_dir)
	cp "$t/server.pem" "$t/ca.pem" "$1/"
	install -m 0600 -o "$2" -g "$2" "$t/server.key" "$1/server.key"
	chown "$2:$2" "$1/server.pem" "$1/ca.pem"
}

my_dir() { echo "$DIR/mysql"; }

my_client() {
	my_socket_client "$(my_dir)/mysqld.sock" "$@"
}

# Start mariadbd on port $1 (its data directory exists, no server runs on it)
# and wait until it accepts connections. The error log is appended to.
my_launch() {
	local d port=$1
	d=$(my_dir)
	rm -f "$d/mysqld.sock"
	touch "$d/error.log"
	chown mysql:mysql "$d/error.log"
	tls_install "$d" mysql
	setsid mariadbd --no-defaults --user=mysql --datadir="$d/data" \
		--bind-address=127.0.0.1 --port="$port" \
		--ssl-ca="$d/ca.pem" --ssl-cert="$d/server.pem" --ssl-key="$d/server.key" \
		--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
		--log-error="$d/error.log" --skip-name-resolve \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
		--innodb-buffer-pool-size=64M --skip-log-bin \
		</dev/null >>"$d/error.log" 2>&1 &
	echo $! >"$d/launcher.pid"
	my_wait "$port" "$!"
}

# Wait until MariaDB (process $2) accepts connections on its socket and on
# 127.0.0.1:$1.
my_wait() {
	local d port=$1 pid=$2 i=0
	d=$(my_dir)
	until my_client -e 'SELECT 1' </dev/null >/dev/null 2>&1 && port_busy "$port"; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			log_tail "$d/error.log"
			die "MariaDB did not accept connections on $d/mysqld.sock and port $port within ${WAIT}s"
		fi
		# mariadbd does not fork: a dead launcher means a failed start.
		if pid_gone "$pid"; then
			log_tail "$d/error.log"
			die "mariadbd exited during startup (log: $d/error.log)"
		fi
		sleep 0.2
	done
}

my_start() {
	local d port
	d=$(my_dir)
	need_mariadbd
	mkdir -p "$d"
	chown mysql:mysql "$d"
	if [ ! -d "$d/data/mysql" ]; then
		rm -rf "$d/data"
		my_install_db "$d" ""
	fi
	if pid_alive "$d/mysqld.pid"; then
		port=$(cat "$d/port")
		my_wait "$port" "$(head -n 1 "$d/mysqld.pid")"
	else
		port=$(free_port "${DAL_TEST_MYSQL_PORT:-22061}")
		echo "$port" >"$d/port"
		: >"$d/error.log"
		my_launch "$port"
	fi
	{
		my_setup_sql
		cat <<-SQL
		CREATE DATABASE IF NOT EXISTS ${DB}_schema CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
		GRANT ALL PRIVILEGES ON ${DB}_schema.* TO '$DBUSER'@'127.0.0.1';
		FLUSH PRIVILEGES;
		SQL
	} | my_client >"$d/setup.log" 2>&1 || { log_tail "$d/setup.log"; die "MariaDB setup failed"; }
	MYSQL_URL="mysql://$DBUSER:$DBPASS_URL@127.0.0.1:$port/$DB"
	echo "test-servers: MariaDB up at 127.0.0.1:$port (data $d/data)"
}

# SIGKILL by pid file: a crash, for the fault tests.
my_kill() {
	kill_by_pidfile MariaDB "$(my_dir)/mysqld.pid" "--datadir=$(my_dir)/data"
}

# Start again on the port of the last start, with the same data.
my_restart() {
	local d port
	d=$(my_dir)
	if [ ! -s "$d/port" ] || [ ! -d "$d/data/mysql" ]; then
		die "no MariaDB in $d: run '$0 start $DIR' first"
	fi
	port=$(cat "$d/port")
	if pid_alive "$d/mysqld.pid"; then
		my_wait "$port" "$(head -n 1 "$d/mysqld.pid")"
		echo "test-servers: MariaDB already up at 127.0.0.1:$port"
		return 0
	fi
	if port_busy "$port"; then
		die "port $port of MariaDB is taken by another process"
	fi
	my_launch "$port"
	echo "test-servers: MariaDB up again at 127.0.0.1:$port"
}

# Stop by pid file; never by name. SIGTERM is a clean shutdown.
my_stop() {
	local d pid
	d=$(my_dir)
	pid_alive "$d/mysqld.pid" || { echo "test-servers: MariaDB not running"; return 0; }
	pid=$(head -n 1 "$d/mysqld.pid")
	my_stop_pid MariaDB "$pid"
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

# Start PostgreSQL on port $1 (its data directory exists, no server runs on
# it) and wait until it accepts connections. The server log is appended to.
pg_launch() {
	tls_install "$(pg_dir)" postgres
	pg_launch_at PostgreSQL "$(pg_dir)" "$1" \
		"-c ssl=on -c ssl_cert_file=$(pg_dir)/server.pem -c ssl_key_file=$(pg_dir)/server.key -c ssl_ca_file=$(pg_dir)/ca.pem"
}

# Wait until PostgreSQL accepts TCP connections on 127.0.0.1:$1.
pg_wait() {
	pg_wait_at PostgreSQL "$(pg_dir)" "$1"
}

pg_start() {
	local d port
	d=$(pg_dir)
	[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: apt-get install postgresql"
	mkdir -p "$d"
	chown postgres:postgres "$d"
	if [ ! -s "$d/data/PG_VERSION" ]; then
		rm -rf "$d/data"
		pg_initdb "$d"
	fi
	if pid_alive "$d/data/postmaster.pid"; then
		port=$(cat "$d/port")
		pg_wait "$port"
	else
		port=$(free_port "${DAL_TEST_PGSQL_PORT:-22541}")
		echo "$port" >"$d/port"
		: >"$d/server.log"
		pg_launch "$port"
	fi
	{
		pg_setup_sql
		cat <<-SQL
		SELECT 'CREATE DATABASE ${DB}_schema OWNER $DBUSER ENCODING ''UTF8'' TEMPLATE template0'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${DB}_schema') \gexec
		SQL
	} | pg_client >"$d/setup.log" 2>&1 || { log_tail "$d/setup.log"; die "PostgreSQL setup failed"; }
	PGSQL_URL="postgresql://$DBUSER:$DBPASS_URL@127.0.0.1:$port/$DB"
	echo "test-servers: PostgreSQL up at 127.0.0.1:$port (data $d/data)"
}

# SIGKILL the postmaster and its backends by the pid file: a crash, for the
# fault tests. Restarting runs crash recovery.
pg_kill() {
	kill_by_pidfile PostgreSQL "$(pg_dir)/data/postmaster.pid" "-D $(pg_dir)/data"
}

# Start again on the port of the last start, with the same data.
pg_restart() {
	local d port
	d=$(pg_dir)
	if [ ! -s "$d/port" ] || [ ! -s "$d/data/PG_VERSION" ]; then
		die "no PostgreSQL in $d: run '$0 start $DIR' first"
	fi
	port=$(cat "$d/port")
	if pid_alive "$d/data/postmaster.pid"; then
		pg_wait "$port"
		echo "test-servers: PostgreSQL already up at 127.0.0.1:$port"
		return 0
	fi
	if port_busy "$port"; then
		die "port $port of PostgreSQL is taken by another process"
	fi
	pg_launch "$port"
	echo "test-servers: PostgreSQL up again at 127.0.0.1:$port"
}

# Fast shutdown (see pg_stop_pid).
pg_stop() {
	local d pid
	d=$(pg_dir)
	pid_alive "$d/data/postmaster.pid" || { echo "test-servers: PostgreSQL not running"; return 0; }
	pid=$(head -n 1 "$d/data/postmaster.pid")
	pg_stop_pid PostgreSQL "$pid"
	echo "test-servers: PostgreSQL stopped"
}

# ---- main -------------------------------------------------------------------

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
case $CMD in
kill | restart)
	[ $# -eq 3 ] || usage
	case $3 in mysql | pgsql) SERVER=$3 ;; *) usage ;; esac
	;;
*) [ $# -eq 2 ] || usage ;;
esac
check_dir

case $CMD in
start)
	[ "$(id -u)" -eq 0 ] || die "start must run as root (the servers run as the mysql and postgres users)"
	mkdir -p "$DIR"
	# The server users must be able to reach their subdirectories.
	chmod 0755 "$DIR"
	tls_make
	my_start
	pg_start
	cat >"$DIR/env.tmp" <<-EOF
		export DAL_TEST_MYSQL_URL='$MYSQL_URL'
		export DAL_TEST_PGSQL_URL='$PGSQL_URL'
		export DAL_TEST_TLS_DIR='$(tls_dir)'
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
kill)
	[ -d "$DIR" ] || die "$DIR: no such directory"
	case $SERVER in mysql) my_kill ;; pgsql) pg_kill ;; esac
	;;
restart)
	[ "$(id -u)" -eq 0 ] || die "restart must run as root (the servers run as the mysql and postgres users)"
	[ -d "$DIR" ] || die "$DIR: no such directory"
	case $SERVER in mysql) my_restart ;; pgsql) pg_restart ;; esac
	;;
env)
	[ -s "$DIR/env" ] || die "$DIR/env not found: run '$0 start $DIR' first"
	cat "$DIR/env"
	;;
*)
	usage
	;;
esac
