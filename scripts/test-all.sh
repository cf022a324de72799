#!/bin/bash
# The README's second command (and what CI runs): install everything, start
# throwaway MariaDB and PostgreSQL servers on 127.0.0.1, then build and run
# the whole test suite twice -- a normal build and an AddressSanitizer +
# UBSan build -- against all three backends, the pool against killed and
# restarted servers (check-recovery), valgrind memcheck over the
# conformance suite, the fuzz targets briefly, the scale-out tests on a
# Galera cluster and a PostgreSQL standby (check-cluster), the plugin SDK end to end
# (scripts/test-sdk.sh), the thread tests under ThreadSanitizer, coverage
# with its floors, and finally `make distcheck`.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scripts/deps.sh --all
./autogen.sh >/dev/null

servers=$(mktemp -d /tmp/dal-servers.XXXXXX)
chmod 755 "$servers"
clusters=""
cleanup() {
	scripts/test-servers.sh stop "$servers" || true
	rm -rf "$servers"
	if [ -n "$clusters" ]; then scripts/test-cluster.sh stop "$clusters" || true; rm -rf "$clusters"; fi
}
trap cleanup EXIT
scripts/test-servers.sh start "$servers"
# shellcheck disable=SC1091
. "$servers/env"
export DAL_TEST_MYSQL_URL DAL_TEST_PGSQL_URL DAL_TEST_TLS_DIR

all_backends="--with-sqlite=yes --with-mysql=yes --with-pgsql=yes"

run_suite() { # name configure-args...
	local name=$1
	shift
	echo "=== $name build ==="
	rm -rf "$top/build-$name"
	mkdir -p "$top/build-$name"
	(cd "$top/build-$name" && "$top/configure" -q $all_backends "$@" &&
		make -j"$(nproc)" -s &&
		if ! make -s check; then
			cat tests/test-suite.log
			exit 1
		fi
		grep -h '^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\)' tests/test-suite.log)
}

run_suite plain
# Soak smoke (docs/testing.md, "Soak"): 8 threads of mixed work on one
# repository per backend for 10 s each (`make soak` runs 60 s); fails on any
# unexpected error or if RSS or open descriptors grow. About 40 s.
echo "=== soak: 10 s per backend ==="
make -C "$top/build-plain" -s soak SOAK_SECONDS=10
# Valgrind memcheck over the whole conformance suite on every backend
# (`make check-valgrind`, docs/testing.md, "Valgrind"): two lanes, SQLite
# and the servers; about 4 minutes on 2 cores (9 under a load of 12).
echo "=== valgrind: conformance suite on every backend ==="
make -C "$top/build-plain" -s check-valgrind
# The fault tests (tests/test_recovery.c) SIGKILL and restart the servers, so
# they run alone, after the suites that share them; they leave them up.
echo "=== recovery: server crash, restart, dead connections ==="
DAL_TEST_SERVER_DIR=$servers make -C "$top/build-plain" -s check-recovery
# Scale-out (docs/scale-out.md): a 3-node MariaDB Galera cluster and a
# PostgreSQL primary with a streaming standby (scripts/test-cluster.sh), and
# the cluster tests (tests/test_cluster.c: read/write routing, the lag
# fallback, SIGKILL failover under 4 writing threads, Galera's desync check
# and certification-conflict retry), once each; `make check-cluster-long`
# repeats the failover tests 10 times. Measured on 2 cores: start 29-38 s
# (from an empty directory: 3 mariadb-install-db, initdb, pg_basebackup),
# tests 32-35 s, stop 2 s: 65-75 s. The clusters stay up (idle) for the
# coverage step below, which runs the same tests in its gcov build.
echo "=== cluster: Galera and a PostgreSQL standby ==="
clusters=$(mktemp -d /tmp/dal-clusters.XXXXXX)
chmod 755 "$clusters"
scripts/test-cluster.sh start "$clusters"
DAL_TEST_CLUSTER_DIR=$clusters make -C "$top/build-plain" -s check-cluster
# The plugin SDK as a third party uses it: install the release tree into a
# temporary prefix, build examples/plugin out of tree against it, use it.
echo "=== SDK: out-of-tree plugin ==="
scripts/test-sdk.sh "$top/build-plain"
# The static build (configure --enable-static-backends, docs/testing.md):
# --disable-shared, so no .so exists at all, and a plugin directory that does
# not exist; dal and the conformance program hold libdal and the SQLite
# backend, preloaded. tests/static-dal.sh checks dal (plugins, a query, no
# libdal.so needed), then the SQLite conformance cases run through the
# static conformance program. 45 s to 1.5 minutes on 2 cores (mostly the build).
echo "=== static: SQLite preloaded, no plugin file ==="
static_conformance="make -s -C tests dal-conformance" # what builds the conformance program
rm -rf "$top/build-static"
mkdir -p "$top/build-static"
(cd "$top/build-static" && "$top/configure" -q --disable-shared --enable-static-backends=sqlite \
	--with-mysql=no --with-pgsql=no --with-plugindir=/nonexistent/dal &&
	make -j"$(nproc)" -s && $static_conformance &&
	if find . -name '*.so*' | grep .; then echo "static: a shared object was built" >&2; exit 1; fi &&
	cd tests && unset DAL_PLUGIN_PATH &&
	srcdir=$top/tests sh "$top/tests/static-dal.sh" &&
	if ! srcdir=$top/tests sh "$top/tests/conformance-sqlite.sh" >static-conformance.log 2>&1; then
		cat static-conformance.log
		exit 1
	fi)
echo "static: ok"
# The Debian packages (debian/, scripts/test-debs.sh): dpkg-buildpackage with
# DEB_BUILD_OPTIONS=nocheck (the suites ran above), lintian, then core +
# tools + only the SQLite backend unpacked into an empty root: dal plugins
# lists only sqlite, a query works, a mysql:// URL names the missing package.
# 1 to 2.5 minutes on 2 cores (measured 64 s idle, 150 s on a busy machine).
echo "=== Debian packages ==="
scripts/test-debs.sh
# detect_leaks: LeakSanitizer in the forked Check children; dlclose is never
# called on plugins, so their frames stay symbolised.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite asan --enable-sanitizers CFLAGS="-O1 -g"

# Coverage (docs/testing.md, "Coverage"): a third build, with gcov, whose
# make check, check-recovery and check-cluster run against the same servers
# and clusters; gcovr reports
# lines and branches per file of core/ and each plugin, and the step fails
# if a total drops below its floor in tests/coverage-floor.txt. About 5
# minutes.
echo "=== coverage: gcov build, make check, floors ==="
DAL_TEST_SERVER_DIR=$servers DAL_TEST_CLUSTER_DIR=$clusters make -C "$top/build-plain" -s coverage
scripts/test-cluster.sh stop "$clusters"
rm -rf "$clusters"
clusters=""

# ThreadSanitizer over the suites that share one repository between threads
# (the pool, the layers).
echo "=== TSan: pool and layer tests ==="
rm -rf "$top/build-tsan"
mkdir -p "$top/build-tsan"
(cd "$top/build-tsan" && "$top/configure" -q $all_backends --enable-sanitizers=thread \
	CFLAGS="-O1 -g" && make -j"$(nproc)" -s &&
	if ! TSAN_OPTIONS=halt_on_error=1 make -s check TESTS="test_pool test_fault"; then
		cat tests/test-suite.log
		exit 1
	fi
	grep -h '^# \(TOTAL\|PASS\|FAIL\)' tests/test-suite.log)

# Fuzzing (docs/testing.md, "Fuzzing"): each libFuzzer target for 10 s from
# its committed seeds, inputs up to 1 MiB, 10 s per input (a quadratic
# blow-up fails as a timeout). About 80 s with the clang build; `make fuzz`
# runs longer (FUZZ_SECONDS, FUZZ_RUNS).
echo "=== fuzz: 10 s per target ==="
make -C "$top/build-plain" -s fuzz FUZZ_SECONDS=10

echo "=== distcheck ==="
(cd "$top/build-plain" && make -s distcheck DISTCHECK_CONFIGURE_FLAGS="$all_backends" >/dev/null)
echo "distcheck: ok"
# And a tree with only the SQLite backend (a packager's --with-mysql=no
# --with-pgsql=no): builds, tests what applies, installs, and cleans up.
# 1.5 to 4 minutes.
echo "=== distcheck: only SQLite ==="
# CI unset too: in CI a missing server URL fails the server cases (they
# must not skip unnoticed), and here there are no server backends at all.
(cd "$top/build-plain" && env -u CI -u DAL_TEST_MYSQL_URL -u DAL_TEST_PGSQL_URL make -s distcheck \
	DISTCHECK_CONFIGURE_FLAGS="--with-sqlite=yes --with-mysql=no --with-pgsql=no" >/dev/null)
echo "distcheck (only SQLite): ok"
echo "all tests passed"
