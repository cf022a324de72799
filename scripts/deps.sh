#!/bin/sh
# Install libdal's build dependencies from Debian (run as root).
#   scripts/deps.sh          build + SQLite backend + Check + mandoc (the
#                            man pages' lint in make check) + libedit (dal shell)
#   scripts/deps.sh --all    also the MySQL/PostgreSQL backends, their servers
#                            for the tests, valgrind, promtool (prometheus),
#                            clang with its libFuzzer runtime (make fuzz), and
#                            gcovr (make coverage), galera-4 and rsync (the
#                            Galera test cluster, scripts/test-cluster.sh), and
#                            what builds and checks the Debian packages
#                            (scripts/test-debs.sh)
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="build-essential autoconf automake libtool pkg-config libltdl-dev libinih-dev
      liburiparser-dev libsqlite3-dev check mandoc libedit-dev"
if [ "${1:-}" = --all ]; then
	pkgs="$pkgs libmariadb-dev libpq-dev mariadb-server postgresql valgrind prometheus
	      clang libclang-rt-14-dev gcovr galera-4 rsync
	      debhelper dpkg-dev fakeroot lintian"
fi
# Only ask the network when something is missing: a rerun is quick and offline.
need=0
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || need=1
done
if [ "$need" = 1 ]; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $pkgs
fi
