#!/bin/sh
# The shipped etc/dal.ini, as `make install` puts it into $sysconfdir/dal:
# with it, `dal` works for a user who cannot write there. Its [main]
# database is dal.db in the current directory (the INI gives no path; only
# a path written in the INI is relative to the INI's directory), and none of
# its [main.sqlite] options breaks an in-memory database (journal_mode = WAL
# does not apply to one and is skipped). scripts/test-sdk.sh repeats the
# first two checks on a real installation, as an unprivileged user.
ini=${srcdir:-.}/../etc/dal.ini
dal=$(pwd)/../cli/dal
fails=0
if [ ! -f ../plugins/sqlite/backend_sqlite.la ]; then
	echo "SKIP: the sqlite backend is not built (configure --with-sqlite)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dal-ini.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# A copy in a directory of its own, made read-only like /etc for a user.
mkdir "$tmp/etc" "$tmp/work"
cp "$ini" "$tmp/etc/dal.ini"
chmod 555 "$tmp/etc"

check() { # what status output
	if [ "$2" -eq 0 ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1"
		printf '%s\n' "$3" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
}

out=$(cd "$tmp/work" && "$dal" -c "$tmp/etc/dal.ini" exec "CREATE TABLE t (x)" \
	exec "INSERT INTO t VALUES (7)" query --csv "SELECT x FROM t" 2>&1)
check "the shipped dal.ini: a table in dal.db of the current directory" \
	"$([ -f "$tmp/work/dal.db" ] && [ ! -e "$tmp/etc/dal.db" ] &&
		[ "$(printf '%s\n' "$out" | tail -n 1 | tr -d '\r')" = 7 ]; echo $?)" "$out"

out=$(cd "$tmp/work" && "$dal" -c "$tmp/etc/dal.ini" config 2>&1)
check "dal config: path is $tmp/work/dal.db" \
	"$(printf '%s\n' "$out" | grep -q "path.*$tmp/work/dal\.db"; echo $?)" "$out"

out=$(cd "$tmp/work" && "$dal" -c "$tmp/etc/dal.ini" -u sqlite::memory: \
	query --csv "PRAGMA journal_mode" 2>&1)
check "the shipped dal.ini with -u sqlite::memory: (journal_mode = WAL skipped)" \
	"$([ "$(printf '%s\n' "$out" | tail -n 1 | tr -d '\r')" = memory ]; echo $?)" "$out"

out=$(cd "$tmp/work" && "$dal" -c "$tmp/etc/dal.ini" -u sqlite:///f.db \
	query --csv "PRAGMA journal_mode" 2>&1)
check "... while a file database gets the INI's WAL" \
	"$([ "$(printf '%s\n' "$out" | tail -n 1 | tr -d '\r')" = wal ]; echo $?)" "$out"

chmod 755 "$tmp/etc"
[ "$fails" -eq 0 ]
