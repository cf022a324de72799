#!/bin/sh
# The conformance suite against the mysql backend. Exit 77 is a visible SKIP.
# The cases that do not apply must be exactly those of conformance-mysql.na.
if [ -z "${DAL_TEST_MYSQL_URL:-}" ]; then
	echo "SKIP: DAL_TEST_MYSQL_URL is not set (scripts/test-servers.sh starts a server)"
	exit 77
fi
. "${srcdir:-$(dirname "$0")}/conformance-run.sh"
conformance_run mysql "$DAL_TEST_MYSQL_URL" conformance-mysql.na mysql
