#!/bin/sh
# The dal-conformance program itself (dal-conformance(1)): its options,
# both output formats, the exit status of a failing case (a real one: SQLite
# with foreign keys turned off violates the contract), usage errors and a
# URL no plugin answers. SQLite only, a few seconds.
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dal-ccli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
plugins=${DAL_PLUGIN_PATH%%:*}
unset DAL_PLUGIN_PATH DAL_TEST_URL
if [ ! -f "$plugins/backend_sqlite.la" ]; then
	echo "SKIP: the sqlite backend is not built (configure --with-sqlite)"
	exit 77
fi

expect() { # what want-status command...
	what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want"
		sed 's/^/    /' "$tmp/out" "$tmp/err" | tail -n 20
		fails=$((fails + 1))
		return 1
	fi
	return 0
}
has() { # what file pattern (grep -E)
	if grep -Eq -- "$3" "$2"; then
		echo "ok: $1"
	else
		echo "FAIL: $1: no line matching '$3' in:"
		sed 's/^/    /' "$2" | tail -n 20
		fails=$((fails + 1))
	fi
}

# --plugin-dir, with nothing else naming the plugin directory; TAP.
if expect "--plugin-dir, --case, --format tap" 0 ./dal-conformance --plugin-dir "$plugins" \
	--url sqlite::memory: --case 'test_type_*' --case test_tls_disable_is_plain --format tap; then
	has "TAP: version line" "$tmp/out" '^TAP version 13$'
	has "TAP: the plugin in a comment" "$tmp/out" '^# dal-conformance .*: plugin sqlite .*backend_sqlite[. ].*, kind file$'
	has "TAP: plan of the 6 cases selected" "$tmp/out" '^1\.\.6$'
	has "TAP: a pass" "$tmp/out" '^ok 1 - test_type_int64_roundtrip$'
	has "TAP: not applicable by capability" "$tmp/out" \
		'^ok 6 - test_tls_disable_is_plain # SKIP not applicable: needs DAL_CAP_TLS$'
	has "TAP: summary" "$tmp/out" '^# 5 passed, 0 failed, 1 not applicable \(6 cases\)$'
fi

# A case that fails: exit 1, in both formats.
url='sqlite::memory:?foreign_keys=off'
if expect "a failing case exits 1 (tap)" 1 ./dal-conformance -p "$plugins" -u "$url" \
	-c 'test_*violation*' -f tap; then
	has "TAP: the failure with its message" "$tmp/out" \
		'^not ok 2 - test_not_null_and_foreign_key_violations$'
	has "TAP: YAML message" "$tmp/out" '^    common\.c:[0-9]+: .*succeeded \(DAL_DONE\), expected an error'
fi
if expect "a failing case exits 1 (table)" 1 ./dal-conformance -p "$plugins" -u "$url" \
	-c 'test_*violation*'; then
	has "table: FAIL row" "$tmp/out" '^FAIL +test_not_null_and_foreign_key_violations +[0-9.]+s +common\.c:'
	has "table: pass row" "$tmp/out" '^pass +test_unique_violation +[0-9.]+s$'
	has "table: summary" "$tmp/out" '^1 passed, 1 failed, 0 not applicable \(2 cases\)$'
fi

# Not applicable by kind: a file plugin never runs the server cases.
if expect "server cases on a file plugin" 0 ./dal-conformance -p "$plugins" -u sqlite::memory: \
	-c 'test_server_*'; then
	has "table: n/a row with the reason" "$tmp/out" \
		'^n/a +test_server_down_is_connect_error +needs a plugin of kind server$'
fi

# Errors of use and of the URL.
expect "no URL: usage error" 2 ./dal-conformance && has "no URL: says so" "$tmp/err" '--url URL'
expect "--format xml: usage error" 2 ./dal-conformance -u sqlite::memory: --format xml &&
	has "--format xml: says so" "$tmp/err" 'format xml: use tap or table'
expect "--plugin-dir of no directory" 2 ./dal-conformance -p "$tmp/none" -u sqlite::memory: &&
	has "--plugin-dir: names it" "$tmp/err" "plugin-dir $tmp/none: not a directory"
expect "--case matching nothing" 2 ./dal-conformance -p "$plugins" -u sqlite::memory: -c nosuch &&
	has "--case: says so" "$tmp/err" 'no case matches'
expect "a scheme no plugin answers: exit 3" 3 ./dal-conformance -p "$plugins" -u nosuch:///x &&
	has "the loader's message" "$tmp/err" "cannot open the URL: DAL_EPLUGIN_NOTFOUND: .*'nosuch'"
expect "a password never printed" 3 ./dal-conformance -p "$plugins" \
	-u 'nosuch://u:s3cr3tpw@127.0.0.1:1/x' &&
	if grep -q s3cr3tpw "$tmp/out" "$tmp/err"; then
		echo "FAIL: the password is printed"
		fails=$((fails + 1))
	fi
if expect "--list" 0 ./dal-conformance --list; then
	has "--list: area/case" "$tmp/out" '^types/test_type_blob_roundtrip$'
	has "--list: own cases marked" "$tmp/out" '^sqlite/test_sqlite_cannot_open \(own case of sqlite\)$'
fi

[ "$fails" -eq 0 ] && echo "conformance-cli: all checks passed"
[ "$fails" -eq 0 ]
