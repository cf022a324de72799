#!/bin/sh
# The conformance suite against the pgsql backend. Exit 77 is a visible SKIP.
# The cases that do not apply must be exactly those of conformance-pgsql.na.
if [ -z "${DAL_TEST_PGSQL_URL:-}" ]; then
	echo "SKIP: DAL_TEST_PGSQL_URL is not set (scripts/test-servers.sh starts a server)"
	exit 77
fi
. "${srcdir:-$(dirname "$0")}/conformance-run.sh"
conformance_run pgsql "$DAL_TEST_PGSQL_URL" conformance-pgsql.na postgresql
