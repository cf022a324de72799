#!/bin/sh
# The conformance suite against the sqlite backend.
# SQLite needs no server: a file database in a fresh directory (WAL and
# locking are tested for real), then an in-memory one. The cases that do not
# apply must be exactly those of conformance-sqlite.na (file) and
# conformance-sqlite-memory.na (:memory:, a private database per connection).
. "${srcdir:-$(dirname "$0")}/conformance-run.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/dal-conf.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
conformance_run sqlite-file "sqlite:///$dir/conformance.db" conformance-sqlite.na sqlite
rc=$?
conformance_run sqlite-memory "sqlite::memory:" conformance-sqlite-memory.na sqlite
rc2=$?
[ "$rc" -ne 0 ] && exit "$rc"
exit "$rc2"
