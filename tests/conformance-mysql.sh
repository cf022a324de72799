#!/bin/sh
# The conformance suite against the mysql backend. Exit 77 is a visible SKIP.
if [ -z "${DAL_TEST_MYSQL_URL:-}" ]; then
	echo "SKIP: DAL_TEST_MYSQL_URL is not set (scripts/test-servers.sh starts a server)"
	exit 77
fi
DAL_TEST_URL=$DAL_TEST_MYSQL_URL exec ./dal-conformance
