#!/bin/sh
# The README's first command: install build dependencies, build libdal, and
# run the main job with the `dal` tool against the shipped etc/dal.ini
# (SQLite): create a table, insert, query, then print the repository's
# telemetry. Runs from the build tree; nothing is installed.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure --with-sqlite=yes -q
make -j"$(nproc)" -s
# The shipped config puts its database, dal.db, in the current directory:
# run in a scratch directory so the source tree stays clean.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp ../etc/dal.ini "$work/dal.ini"
export DAL_PLUGIN_PATH="$PWD/plugins/sqlite"
dal=$PWD/cli/dal
cd "$work"
"$dal" -c dal.ini \
	exec "CREATE TABLE IF NOT EXISTS greeting (id INTEGER PRIMARY KEY, lang TEXT NOT NULL, text TEXT NOT NULL)" \
	exec "INSERT INTO greeting (lang, text) VALUES ('en', 'hello'), ('cs', 'ahoj'), ('ja', 'こんにちは')" \
	query "SELECT id, lang, text FROM greeting ORDER BY id" \
	ping \
	stats
