#!/bin/bash
# Throwaway database clusters for libdal's scale-out tests
# (tests/test_cluster.c, docs/scale-out.md).
#
#   scripts/test-cluster.sh start DIR   create (first time) and start a
#                                       3-node MariaDB Galera cluster and a
#                                       PostgreSQL primary with one streaming
#                                       standby under DIR, write DIR/env
#   scripts/test-cluster.sh stop DIR    stop every node by its pid file
#   scripts/test-cluster.sh env DIR     print the export lines of DIR/env
#   scripts/test-cluster.sh kill DIR galera N | pg NAME
#                                       crash one node: SIGKILL it (Galera
#                                       node N = 1..3; PostgreSQL node NAME =
#                                       a or b, the postmaster and all its
#                                       children) and wait until it is gone
#   scripts/test-cluster.sh restart DIR galera N
#                                       start Galera node N again; it rejoins
#                                       the cluster (IST or SST from a peer)
#   scripts/test-cluster.sh desync DIR galera N on|off
#                                       take Galera node N out of sync
#                                       (wsrep_desync: Donor/Desynced) or
#                                       back, as a backup tool would
#   scripts/test-cluster.sh promote DIR pg NAME
#                                       promote standby NAME to primary and
#                                       wait until it accepts writes
#   scripts/test-cluster.sh rebuild DIR pg NAME
#                                       make the (stopped or killed) node
#                                       NAME a fresh standby of the other one
#                                       (pg_basebackup -R) and start it: the
#                                       pair is whole again, roles swapped
#   scripts/test-cluster.sh role DIR pg NAME
#                                       print primary, standby or down
#
# The PostgreSQL standby is synchronous (synchronous_standby_names = '*' on
# the primary while a standby streams; `promote` turns it off on the new
# primary, `rebuild` on again): an acknowledged commit survives a failover.
#
# The PostgreSQL nodes are called a and b rather than primary and standby,
# because a failover swaps their roles; DIR/env gives both ports and the
# role each had at start, and tests ask the servers (pg_is_in_recovery()).
#
# Galera: Debian's galera-4 provider with mariadb-server, bootstrapped with
# --wsrep-new-cluster on node 1; every node has its own SQL, group
# communication, IST and SST ports (or they collide on one host), state
# transfer by rsync, and shortened evs/gmcast timeouts so that the cluster
# notices a dead node in about 3 s instead of the default ~6-15 s. Memory
# is kept small (32 MB buffer pools, no performance schema): the machine is
# shared.
#
# Everything listens on 127.0.0.1 only, at free ports from 24061 (Galera SQL),
# 24561 (Galera group communication; IST and SST on the next ports) and 25431
# (PostgreSQL), with data, sockets and logs inside DIR. The ports are below
# Linux's ephemeral range (32768-60999): there, a client connection of
# another program may hold the port (even in TIME-WAIT), and rsync's daemon,
# which state transfer starts on the SST port, then fails to bind it. Each cluster gets a
# database `daltest` and a user `dal` with the password of
# scripts/test-servers.sh (both take them, and the helper functions they
# share, from scripts/lib-servers.sh). As there, the servers run as the mysql and postgres
# users from a root shell, nothing is ever stopped by process name, and
# `stop` deletes nothing.
#
# Environment: DAL_TEST_SERVER_WAIT (seconds to wait for each node, default
# 60).
set -euo pipefail

TAG=test-cluster
WAIT=${DAL_TEST_SERVER_WAIT:-60}
PORT_SPAN=200
LOG_LINES=40
# shellcheck source=scripts/lib-servers.sh
. "$(dirname "$0")/lib-servers.sh"
PROVIDER=/usr/lib/galera/libgalera_smm.so

usage() {
	echo "usage: $0 start|stop|env DIR" >&2
	echo "       $0 kill|restart DIR galera 1|2|3" >&2
	echo "       $0 desync DIR galera 1|2|3 on|off" >&2
	echo "       $0 kill|promote|rebuild|role DIR pg a|b" >&2
	exit 2
}

# The first port >= $1 such that it and the next two are free and not in
# $2: a Galera node's group communication, IST and SST ports.
free_run() {
	local p=$1
	while port_busy "$p" || port_busy $((p + 1)) || port_busy $((p + 2)) ||
		[[ " $2 " == *" $p "* || " $2 " == *" $((p + 1)) "* || " $2 " == *" $((p + 2)) "* ]]; do
		p=$((p + 1))
		[ "$p" -lt $(($1 + 200)) ] || die "no three free ports in $1..$p"
	done
	echo "$p"
}

# ---- Galera -----------------------------------------------------------------

gdir() { echo "$DIR/galera$1"; }

g_client() {
	local n=$1
	shift
	my_socket_client "$(gdir "$n")/mysqld.sock" "$@"
}

# The ports of node $1: SQL, group communication, IST, SST (DIR/galeraN/ports).
g_ports() { cat "$(gdir "$1")/ports"; }

# gcomm://... of every node but $1 (all nodes for the bootstrap's peers).
g_peers() {
	local n list="" sql gc ist sst
	for n in 1 2 3; do
		[ "$n" = "$1" ] && continue
		read -r sql gc ist sst <<<"$(g_ports "$n")"
		list="$list${list:+,}127.0.0.1:$gc"
	done
	echo "gcomm://$list"
}

# Start node $1; $2 = bootstrap (--wsrep-new-cluster) or join. Waits until
# it is Synced.
g_launch() {
	local n=$1 mode=$2 d sql gc ist sst extra=()
	d=$(gdir "$n")
	read -r sql gc ist sst <<<"$(g_ports "$n")"
	rm -f "$d/mysqld.sock"
	touch "$d/error.log"
	chown mysql:mysql "$d/error.log"
	if [ "$mode" = bootstrap ]; then
		extra=(--wsrep-new-cluster)
		# A node that crashed is not "safe to bootstrap" by default; the
		# test cluster always bootstraps from node 1.
		[ -f "$d/data/grastate.dat" ] &&
			sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
	fi
	setsid mariadbd --no-defaults --user=mysql --datadir="$d/data" \
		--bind-address=127.0.0.1 --port="$sql" \
		--socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
		--log-error="$d/error.log" --skip-name-resolve \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--performance-schema=OFF --skip-log-bin --max-connections=100 \
		--binlog-format=ROW --default-storage-engine=InnoDB \
		--innodb-autoinc-lock-mode=2 --innodb-flush-log-at-trx-commit=0 \
		--wsrep-on=ON --wsrep-provider="$PROVIDER" \
		--wsrep-cluster-name=daltest --wsrep-cluster-address="$(g_peers "$n")" \
		--wsrep-node-name="node$n" --wsrep-node-address="127.0.0.1:$gc" \
		--wsrep-node-incoming-address="127.0.0.1:$sql" \
		--wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$sst" \
		--wsrep-slave-threads=2 \
		--wsrep-provider-options="base_port=$gc;gmcast.listen_addr=tcp://127.0.0.1:$gc;ist.recv_addr=127.0.0.1:$ist;gcache.size=32M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.inactive_check_period=PT0.5S;evs.install_timeout=PT3S;gmcast.peer_timeout=PT2S;pc.announce_timeout=PT1S" \
		"${extra[@]}" </dev/null >>"$d/error.log" 2>&1 &
	echo $! >"$d/launcher.pid"
	g_wait "$n" "$!"
}

# Wait until node $1 (process $2) answers on its socket and TCP port and is
# Synced.
g_wait() {
	local n=$1 pid=$2 d sql gc ist sst i=0 state
	d=$(gdir "$n")
	read -r sql gc ist sst <<<"$(g_ports "$n")"
	for (( ; ; )); do
		state=$(g_client "$n" -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'" \
			</dev/null 2>/dev/null | cut -f2 || true)
		[ "$state" = Synced ] && port_busy "$sql" && break
		i=$((i + 1))
		if [ "$i" -gt $((WAIT * 5)) ]; then
			log_tail "$d/error.log"
			die "Galera node $n not Synced on port $sql within ${WAIT}s (state '${state}')"
		fi
		if pid_gone "$pid"; then
			log_tail "$d/error.log"
			die "Galera node $n exited during startup (log: $d/error.log)"
		fi
		sleep 0.2
	done
}

g_install() {
	local n=$1 d
	d=$(gdir "$n")
	mkdir -p "$d"
	chown mysql:mysql "$d"
	[ -d "$d/data/mysql" ] && return 0
	rm -rf "$d/data"
	my_install_db "$d" " for Galera node $n"
}

g_start() {
	local n d taken="" sql gc
	need_mariadbd
	[ -f "$PROVIDER" ] || die "$PROVIDER not found: apt-get install galera-4"
	command -v rsync >/dev/null || die "rsync not found (Galera state transfer): apt-get install rsync"
	for n in 1 2 3; do
		d=$(gdir "$n")
		mkdir -p "$d"
		if ! pid_alive "$d/mysqld.pid" || [ ! -s "$d/ports" ]; then
			sql=$(free_port 24061 "$taken")
			taken="$taken $sql"
			gc=$(free_run 24561 "$taken")
			taken="$taken $gc $((gc + 1)) $((gc + 2))"
			echo "$sql $gc $((gc + 1)) $((gc + 2))" >"$d/ports"
		else
			taken="$taken $(g_ports "$n")"
		fi
	done
	# Node 1 bootstraps, and holds the database and user before the others
	# join (they receive them by state transfer).
	for n in 1 2 3; do
		g_install "$n"
		d=$(gdir "$n")
		if pid_alive "$d/mysqld.pid"; then
			g_wait "$n" "$(head -n 1 "$d/mysqld.pid")"
			continue
		fi
		: >"$d/error.log"
		if [ "$n" = 1 ] && ! { pid_alive "$(gdir 2)/mysqld.pid" || pid_alive "$(gdir 3)/mysqld.pid"; }; then
			g_launch 1 bootstrap
		else
			g_launch "$n" join
		fi
		if [ "$n" = 1 ]; then
			{
				my_setup_sql
				echo 'FLUSH PRIVILEGES;'
			} | g_client 1 >"$d/setup.log" 2>&1 || { log_tail "$d/setup.log"; die "Galera setup failed"; }
		fi
		echo "test-cluster: Galera node $n Synced at 127.0.0.1:$(cut -d' ' -f1 "$d/ports")"
	done
}

g_check_node() {
	case $1 in 1 | 2 | 3) ;; *) usage ;; esac
	[ -s "$(gdir "$1")/ports" ] || die "no Galera node $1 in $DIR: run '$0 start $DIR' first"
}

g_kill() {
	kill_by_pidfile "Galera node $1" "$(gdir "$1")/mysqld.pid" "--datadir=$(gdir "$1")/data"
}

g_restart() {
	local d sql
	d=$(gdir "$1")
	if pid_alive "$d/mysqld.pid"; then
		g_wait "$1" "$(head -n 1 "$d/mysqld.pid")"
		echo "test-cluster: Galera node $1 already up"
		return 0
	fi
	sql=$(cut -d' ' -f1 "$d/ports")
	port_busy "$sql" && die "port $sql of Galera node $1 is taken by another process"
	g_launch "$1" join
	echo "test-cluster: Galera node $1 Synced again at 127.0.0.1:$sql"
}

g_stop_one() {
	local d pid
	d=$(gdir "$1")
	pid_alive "$d/mysqld.pid" || return 0
	pid=$(head -n 1 "$d/mysqld.pid")
	my_stop_pid "Galera node $1" "$pid"
	echo "test-cluster: Galera node $1 stopped"
}

# ---- PostgreSQL -------------------------------------------------------------

pdir() { echo "$DIR/pg$1"; }

as_postgres() {
	(cd "$DIR/pg" && "$RUNUSER" -u postgres -- "$@")
}

p_port() { cat "$(pdir "$1")/port"; }
p_other() { [ "$1" = a ] && echo b || echo a; }

p_psql() {
	local n=$1
	shift
	as_postgres "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$(pdir "$n")" \
		-p "$(p_port "$n")" -U postgres -d postgres "$@"
}

p_launch() {
	pg_launch_at "PostgreSQL node $1" "$(pdir "$1")" "$(p_port "$1")" \
		"-c shared_buffers=16MB -c max_connections=60 -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c wal_keep_size=64MB -c hot_standby_feedback=on"
}

# Make node $1 a standby of node $2 (which runs): a fresh base backup
# with -R (standby.signal and primary_conninfo written for us).
p_basebackup() {
	local n=$1 from=$2 d
	d=$(pdir "$n")
	rm -rf "$d/data"
	as_postgres "$PGBIN/pg_basebackup" -h "$(pdir "$from")" -p "$(p_port "$from")" \
		-U postgres -D "$d/data" -R -X stream -c fast </dev/null >"$d/basebackup.log" 2>&1 ||
		{ log_tail "$d/basebackup.log"; die "pg_basebackup of node $n from node $from failed"; }
	chmod 0700 "$d/data"
}

# Wait until the standby $1 streams from its primary (a WAL receiver runs).
p_wait_streaming() {
	local i=0
	until [ "$(p_psql "$1" -c 'SELECT count(*) FROM pg_stat_wal_receiver' </dev/null 2>/dev/null)" = 1 ]; do
		i=$((i + 1))
		[ "$i" -le $((WAIT * 5)) ] || { log_tail "$(pdir "$1")/server.log"; die "standby $1 does not stream"; }
		sleep 0.2
	done
}

p_start() {
	local n d taken=""
	[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: apt-get install postgresql"
	mkdir -p "$DIR/pg"
	chown postgres:postgres "$DIR/pg"
	for n in a b; do
		d=$(pdir "$n")
		mkdir -p "$d"
		chown postgres:postgres "$d"
		if [ ! -s "$d/port" ]; then
			free_port 25431 "$taken" >"$d/port"
		fi
		taken="$taken $(p_port "$n")"
	done
	d=$(pdir a)
	if [ ! -s "$d/data/PG_VERSION" ] && [ ! -s "$(pdir b)/data/PG_VERSION" ]; then
		pg_initdb "$d"
	fi
	# The primary: whichever node has data and is no standby (a at first).
	local prim=a
	[ -f "$(pdir a)/data/standby.signal" ] && prim=b
	pid_alive "$(pdir "$prim")/data/postmaster.pid" || p_launch "$prim"
	# Restarted after `stop`, the primary would wait for its synchronous
	# standby at every commit, the setup's included: off until it streams.
	p_sync "$prim" ''
	{
		pg_setup_sql
		cat <<-SQL
		\connect $DB
		GRANT EXECUTE ON FUNCTION pg_wal_replay_pause() TO $DBUSER;
		GRANT EXECUTE ON FUNCTION pg_wal_replay_resume() TO $DBUSER;
		SQL
	} | p_psql "$prim" >"$(pdir "$prim")/setup.log" 2>&1 || { log_tail "$(pdir "$prim")/setup.log"; die "PostgreSQL setup failed"; }
	local stb
	stb=$(p_other "$prim")
	if ! pid_alive "$(pdir "$stb")/data/postmaster.pid"; then
		[ -f "$(pdir "$stb")/data/standby.signal" ] || p_basebackup "$stb" "$prim"
		p_launch "$stb"
	fi
	p_wait_streaming "$stb"
	p_psql "$stb" -c 'SELECT pg_wal_replay_resume()' </dev/null >/dev/null || true
	p_sync "$prim" '*'
	PG_PRIMARY=$prim
	echo "test-cluster: PostgreSQL primary $prim at 127.0.0.1:$(p_port "$prim"), standby $stb at 127.0.0.1:$(p_port "$stb")"
}

p_check_node() {
	case $1 in a | b) ;; *) usage ;; esac
	[ -s "$(pdir "$1")/port" ] || die "no PostgreSQL node $1 in $DIR: run '$0 start $DIR' first"
}

p_kill() {
	kill_by_pidfile "PostgreSQL node $1" "$(pdir "$1")/data/postmaster.pid" "-D $(pdir "$1")/data"
}

p_role() {
	local r
	r=$(p_psql "$1" -c 'SELECT pg_is_in_recovery()' </dev/null 2>/dev/null || true)
	case $r in t) echo standby ;; f) echo primary ;; *) echo down ;; esac
}

# Synchronous replication on primary $1: a commit is acknowledged once the
# standby has it ('*'), or not (''), as a failover manager would switch it:
# on while a standby streams, off on a primary left alone (its commits would
# wait for a standby that is not there).
p_sync() {
	p_psql "$1" -c "ALTER SYSTEM SET synchronous_standby_names = '$2'" </dev/null >/dev/null &&
		p_psql "$1" -c 'SELECT pg_reload_conf()' </dev/null >/dev/null ||
		die "cannot set synchronous_standby_names on PostgreSQL node $1"
}

p_promote() {
	local i=0
	[ "$(p_role "$1")" = standby ] || die "PostgreSQL node $1 is not a running standby"
	# A standby whose replay a test paused would not finish recovery.
	p_psql "$1" -c 'SELECT pg_wal_replay_resume()' </dev/null >/dev/null || true
	as_postgres "$PGBIN/pg_ctl" -D "$(pdir "$1")/data" promote -w -t "$WAIT" </dev/null >/dev/null
	until [ "$(p_role "$1")" = primary ]; do
		i=$((i + 1))
		[ "$i" -le $((WAIT * 10)) ] || die "PostgreSQL node $1 not promoted within ${WAIT}s"
		sleep 0.1
	done
	p_sync "$1" ''
	echo "test-cluster: PostgreSQL node $1 promoted to primary"
}

p_rebuild() {
	local other
	other=$(p_other "$1")
	[ "$(p_role "$other")" = primary ] || die "PostgreSQL node $other is not a running primary"
	p_kill "$1" >/dev/null
	p_basebackup "$1" "$other"
	p_launch "$1"
	p_wait_streaming "$1"
	p_sync "$other" '*'
	echo "test-cluster: PostgreSQL node $1 is a standby of node $other again"
}

p_stop_one() {
	local d pid
	d=$(pdir "$1")
	pid_alive "$d/data/postmaster.pid" || return 0
	pid=$(head -n 1 "$d/data/postmaster.pid")
	pg_stop_pid "PostgreSQL node $1" "$pid"
	echo "test-cluster: PostgreSQL node $1 stopped"
}

# ---- main -------------------------------------------------------------------

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
check_dir

case $CMD in
start)
	[ $# -eq 2 ] || usage
	[ "$(id -u)" -eq 0 ] || die "start must run as root (the servers run as the mysql and postgres users)"
	mkdir -p "$DIR"
	chmod 0755 "$DIR"
	g_start
	p_start
	read -r s1 _ <<<"$(g_ports 1)"
	read -r s2 _ <<<"$(g_ports 2)"
	read -r s3 _ <<<"$(g_ports 3)"
	pa=$(p_port a)
	pb=$(p_port b)
	cat >"$DIR/env.tmp" <<-EOF
		export DAL_TEST_CLUSTER_DIR='$DIR'
		export DAL_TEST_GALERA_URL='mysql://$DBUSER:$DBPASS_URL@127.0.0.1:$s1,127.0.0.1:$s2,127.0.0.1:$s3/$DB'
		export DAL_TEST_GALERA_PORTS='$s1 $s2 $s3'
		export DAL_TEST_PGHA_URL='postgresql://$DBUSER:$DBPASS_URL@127.0.0.1:$pa,127.0.0.1:$pb/$DB'
		export DAL_TEST_PGHA_PORTS='$pa $pb'
	EOF
	mv "$DIR/env.tmp" "$DIR/env"
	echo "test-cluster: wrote $DIR/env"
	;;
stop)
	[ $# -eq 2 ] || usage
	[ -d "$DIR" ] || die "$DIR: no such directory"
	rc=0
	for n in 3 2 1; do [ -d "$(gdir $n)" ] && { g_stop_one $n || rc=1; }; done
	for n in b a; do [ -d "$(pdir $n)" ] && { p_stop_one $n || rc=1; }; done
	exit $rc
	;;
env)
	[ -s "$DIR/env" ] || die "$DIR/env not found: run '$0 start $DIR' first"
	cat "$DIR/env"
	;;
desync)
	[ $# -eq 5 ] && [ "$3" = galera ] || usage
	g_check_node "$4"
	case $5 in on) v=ON ;; off) v=OFF ;; *) usage ;; esac
	g_client "$4" -e "SET GLOBAL wsrep_desync = $v" </dev/null
	echo "test-cluster: Galera node $4 wsrep_desync = $v"
	;;
kill | restart | promote | rebuild | role)
	[ $# -eq 4 ] || usage
	[ -d "$DIR" ] || die "$DIR: no such directory"
	case $CMD:$3 in
	kill:galera) g_check_node "$4"; g_kill "$4" ;;
	restart:galera) g_check_node "$4"; g_restart "$4" ;;
	kill:pg) p_check_node "$4"; p_kill "$4" ;;
	promote:pg) p_check_node "$4"; p_promote "$4" ;;
	rebuild:pg) p_check_node "$4"; p_rebuild "$4" ;;
	role:pg) p_check_node "$4"; p_role "$4" ;;
	*) usage ;;
	esac
	;;
*)
	usage
	;;
esac
