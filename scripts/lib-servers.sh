# shellcheck shell=bash
# Shell functions shared by scripts/test-servers.sh and scripts/test-cluster.sh:
# sourced, not run. The sourcing script sets TAG (the prefix of its messages)
# and WAIT (seconds to wait for a server), and may set PORT_SPAN (how many
# ports free_port tries, default 100) and LOG_LINES (lines log_tail shows,
# default 30). Nothing here stops a process by name.

# The sourcing scripts use these.
# shellcheck disable=SC2034
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RUNUSER=/usr/sbin/runuser
DB=daltest
DBUSER=dal
# Raw password and its percent-encoded URL form; keep the two in step.
DBPASS='p@ss:w/rd%'
DBPASS_URL='p%40ss%3Aw%2Frd%25'

die() {
	echo "$TAG: $*" >&2
	exit 1
}

# Make DIR absolute and check that it fits where it ends up: server
# command lines and unix socket paths.
check_dir() {
	case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac
	case $DIR in *[[:space:]]*) die "DIR must not contain white space: '$DIR'" ;; esac
	[ ${#DIR} -lt 80 ] || die "DIR is too long for a unix socket path: '$DIR'"
}

# 0 if something accepts TCP connections on 127.0.0.1:$1.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port >= $1 that nothing listens on and that is not in the
# space-separated list $2 (ports handed out already, not listening yet).
free_port() {
	local p=$1
	while port_busy "$p" || [[ " ${2:-} " == *" $p "* ]]; do
		p=$((p + 1))
		[ "$p" -lt $(($1 + ${PORT_SPAN:-100})) ] || die "no free port in $1..$p"
	done
	echo "$p"
}

# 0 if process $1 is gone: it does not exist, or it is a zombie waiting to
# be reaped (kill -0 still succeeds on those, and a server killed hard is
# one until the init process gets round to it).
pid_gone() {
	local state
	kill -0 "$1" 2>/dev/null || return 0
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
	[ -z "$state" ] || [ "$state" = Z ]
}

# 0 if the pid in file $1 names a live process.
pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(head -n 1 "$1")
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	! pid_gone "$pid"
}

# 0 if the command line of process $1 contains $2. Before a SIGKILL: the pid
# in a pid file left by a crash may belong to an unrelated process by now.
cmdline_has() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# SIGKILL process $2 and its direct children, and wait until all are gone; $1
# names the server in messages. The process is stopped first, so that it
# forks no child between the listing of its children and the kill, and the
# children die first, so that none of them sees its parent die and says
# goodbye to its client: to the clients, the whole server vanishes at once.
kill_tree() {
	local what=$1 pid=$2 pids="" p i=0
	kill -STOP "$pid" 2>/dev/null || true
	for p in $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
		pids="$pids $p"
	done
	pids="${pids# } $pid"
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $pids; do
		until pid_gone "$p"; do
			i=$((i + 1))
			[ "$i" -le $((WAIT * 20)) ] || die "$what: pid $p still there ${WAIT}s after SIGKILL"
			sleep 0.05
		done
	done
	echo "$TAG: $what killed (pids ${pids# })"
}

# SIGKILL (kill_tree) server $1 by its pid file $2: a crash, for the fault
# tests. The pid's command line must contain $3 (see cmdline_has).
kill_by_pidfile() {
	local pid
	pid_alive "$2" || { echo "$TAG: $1 not running"; return 0; }
	pid=$(head -n 1 "$2")
	cmdline_has "$pid" "$3" || die "pid $pid of $2 is not $1"
	kill_tree "$1" "$pid"
}

log_tail() {
	echo "---- last lines of $1 ----" >&2
	tail -n "${LOG_LINES:-30}" "$1" >&2 2>/dev/null || echo "(no log)" >&2
	echo "----" >&2
}

# ---- MariaDB ----------------------------------------------------------------

need_mariadbd() {
	command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
	command -v mariadbd >/dev/null || die "mariadbd not found: apt-get install mariadb-server"
}

# The root client on unix socket $1, the other arguments passed on.
my_socket_client() {
	local sock=$1
	shift
	mariadb --no-defaults --protocol=socket --socket="$sock" \
		-uroot --batch --skip-column-names "$@"
}

# Create the system tables in $1/data (log: $1/install.log); $2 names the
# server in the message if that fails.
my_install_db() {
	if ! mariadb-install-db --no-defaults --user=mysql --datadir="$1/data" \
		--auth-root-authentication-method=socket --skip-test-db \
		--skip-name-resolve >"$1/install.log" 2>&1 </dev/null; then
		log_tail "$1/install.log"
		die "mariadb-install-db failed$2 (log: $1/install.log)"
	fi
}

# The SQL that creates the test database and user. With --skip-name-resolve,
# 'dal'@'localhost' would not match a TCP login from 127.0.0.1, so the TCP
# account is for 127.0.0.1.
my_setup_sql() {
	cat <<-SQL
		CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
		CREATE USER IF NOT EXISTS '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		ALTER USER '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		GRANT ALL PRIVILEGES ON $DB.* TO '$DBUSER'@'127.0.0.1';
	SQL
}

# Stop process $2 by SIGTERM (a clean shutdown), SIGKILL if it ignores that
# for WAIT seconds; $1 names it in messages.
my_stop_pid() {
	local what=$1 pid=$2 i=0
	kill -TERM "$pid"
	until pid_gone "$pid"; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			echo "$TAG: $what (pid $pid) ignored SIGTERM for ${WAIT}s, sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
}

# ---- PostgreSQL -------------------------------------------------------------

# initdb in $1/data (log: $1/initdb.log). Unix socket: trust (only root and
# postgres reach DIR); TCP: passwords, so that tests exercise real
# authentication. The script defines as_postgres.
pg_initdb() {
	if ! as_postgres "$PGBIN/initdb" -D "$1/data" -U postgres -E UTF8 \
		--locale=C --auth-local=trust --auth-host=scram-sha-256 \
		--no-sync </dev/null >"$1/initdb.log" 2>&1; then
		log_tail "$1/initdb.log"
		die "initdb failed (log: $1/initdb.log)"
	fi
}

# Start the PostgreSQL of $2/data on port $3 with the server options $4 and
# wait until it accepts TCP connections; $1 names it in messages. The server
# log ($2/server.log) is appended to. A postmaster killed hard may leave
# backends holding its shared memory; the new one refuses to start until
# they are gone, so the start is retried within the wait budget.
pg_launch_at() {
	local what=$1 d=$2 port=$3 opts=$4 i=0
	touch "$d/server.log"
	chown postgres:postgres "$d/server.log"
	until as_postgres "$PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w \
		-t "$WAIT" -o "-c listen_addresses=127.0.0.1 -p $port -k $d -c password_encryption=scram-sha-256 $opts" \
		start </dev/null >"$d/pg_ctl.log" 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 2)) ]; then
			cat "$d/pg_ctl.log" >&2
			log_tail "$d/server.log"
			die "$what did not start within ${WAIT}s"
		fi
		sleep 0.5
	done
	pg_wait_at "$what" "$d" "$port"
}

# Wait until the PostgreSQL of $2 ($1 in messages) accepts TCP connections
# on 127.0.0.1:$3.
pg_wait_at() {
	local what=$1 d=$2 port=$3 i=0
	until as_postgres "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" </dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			log_tail "$d/server.log"
			die "$what did not accept connections on 127.0.0.1:$port within ${WAIT}s"
		fi
		sleep 0.2
	done
}

# The SQL (for psql) that creates the test user and database.
pg_setup_sql() {
	cat <<-SQL
		SELECT 'CREATE ROLE $DBUSER LOGIN'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DBUSER') \gexec
		ALTER ROLE $DBUSER LOGIN PASSWORD '$DBPASS';
		SELECT 'CREATE DATABASE $DB OWNER $DBUSER ENCODING ''UTF8'' TEMPLATE template0'
		 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
	SQL
}

# Fast shutdown (SIGINT) of postmaster $2 ($1 in messages): aborts open
# transactions and disconnects clients. If that does not finish in time,
# SIGQUIT (immediate shutdown), which still lets the postmaster reap its
# backends, unlike SIGKILL.
pg_stop_pid() {
	local what=$1 pid=$2 i=0
	kill -INT "$pid"
	until pid_gone "$pid"; do
		i=$((i + 1))
		if [ "$i" -eq $((WAIT * 5)) ]; then
			echo "$TAG: $what (pid $pid) still up after ${WAIT}s, sending SIGQUIT" >&2
			kill -QUIT "$pid" 2>/dev/null || true
		elif [ "$i" -gt $((WAIT * 10)) ]; then
			die "$what (pid $pid) did not exit"
		fi
		sleep 0.2
	done
}
