#!/bin/sh
# The conformance suite against the sqlite backend. Exit 77 is a visible SKIP.
# SQLite needs no server: a file database in a fresh directory (WAL and
# locking are tested for real), then an in-memory one.
dir=$(mktemp -d "${TMPDIR:-/tmp}/dal-conf.XXXXXX")
trap 'rm -rf "$dir"' EXIT
DAL_TEST_URL="sqlite:///$dir/conformance.db" ./dal-conformance || exit $?
DAL_TEST_URL="sqlite::memory:" exec ./dal-conformance
