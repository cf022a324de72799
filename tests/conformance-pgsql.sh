#!/bin/sh
# The conformance suite against the pgsql backend. Exit 77 is a visible SKIP.
if [ -z "${DAL_TEST_PGSQL_URL:-}" ]; then
	echo "SKIP: DAL_TEST_PGSQL_URL is not set (scripts/test-servers.sh starts a server)"
	exit 77
fi
DAL_TEST_URL=$DAL_TEST_PGSQL_URL exec ./dal-conformance
