#!/bin/bash
# The Debian packages (debian/), built and installed the way a packager and
# an administrator would: build them from a copy of this tree with
# `dpkg-buildpackage -us -uc -b`, check them with lintian, unpack the core,
# the tools and ONLY the SQLite backend into an empty root (dpkg -x, no
# container), and check there that `dal plugins` lists only sqlite, that a
# SQLite query works, and that opening a MySQL or PostgreSQL repository names
# the package that provides the missing backend.
#
#   scripts/test-debs.sh
#
# Needs dpkg-dev, debhelper, fakeroot and lintian (scripts/deps.sh --all) and
# the build dependencies of debian/control. The packages are built with
# DEB_BUILD_OPTIONS=nocheck: the test suite runs elsewhere in CI, against
# real servers. 1 to 2.5 minutes on 2 cores (the build 46-120 s, then lintian).
# One line per check; the last line is "N passed, M failed", and the exit
# status is 1 if anything failed. On failure the directory is kept.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/dal-debs.XXXXXX)
src=$tmp/libdal
root=$tmp/root
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

pass=0
fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { # what [detail file or text]
	echo "FAIL: $1"
	fail=$((fail + 1))
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		tail -n 20 "$2" | sed 's/^/    /'
	elif [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | tail -n 20 | sed 's/^/    /'
	fi
}
finish() {
	echo "$pass passed, $fail failed"
	if [ "$fail" -eq 0 ]; then
		rm -rf "$tmp"
		exit 0
	fi
	echo "(kept $tmp for inspection)" >&2
	exit 1
}

# ---- 1. build ----------------------------------------------------------------

# The tracked and new (not ignored) files: what a clean checkout would hold,
# without this tree's build directories.
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$src"
start=$(date +%s)
if (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"
else
	bad "dpkg-buildpackage -us -uc -b" "$tmp/build.log"
	finish
fi
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb() { echo "$tmp/${1}_${version}_$arch.deb"; }
missing=
for p in libdal1 libdal-dev libdal-backend-sqlite libdal-backend-mysql libdal-backend-pgsql dal-tools; do
	[ -f "$(deb "$p")" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then ok "six packages built"; else bad "packages not built:$missing"; finish; fi

# ---- 2. contents and lintian -------------------------------------------------

# The file list of a package. Kept in a variable before grep -q reads it: with
# pipefail, grep -q leaving a long list early (a match) is dpkg-deb's SIGPIPE,
# and the pipeline would fail although the file is there.
contents() { dpkg-deb -c "$(deb "$1")" | awk '{ print $NF }' | sed 's|^\./|/|'; }
has() { local list; list=$(contents "$1"); grep -qx "$2" <<<"$list"; }
for b in sqlite mysql pgsql; do
	so=$(contents "libdal-backend-$b" | grep '\.so$' | tr '\n' ' ')
	if [ "$so" = "/usr/lib/$triplet/dal/backend_$b.so " ]; then
		ok "libdal-backend-$b holds backend_$b.so alone"
	else
		bad "libdal-backend-$b holds: $so"
	fi
done
libdal1_files=$(contents libdal1)
if grep -q '/dal/backend_' <<<"$libdal1_files"; then
	bad "libdal1 holds a backend plugin" "$(contents libdal1)"
else
	ok "libdal1 holds no backend"
fi
for f in /usr/include/dal/dal.h /usr/include/dal/plugin.h "/usr/lib/$triplet/pkgconfig/libdal.pc"; do
	has libdal-dev "$f" || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "libdal-dev holds dal.h, plugin.h, libdal.pc"; else bad "libdal-dev lacks$missing"; fi
if dpkg-deb -I "$(deb dal-tools)" conffiles 2>/dev/null | grep -qx /etc/dal/dal.ini &&
	has dal-tools /usr/bin/dal; then
	ok "dal-tools holds /usr/bin/dal and the conffile /etc/dal/dal.ini"
else
	bad "dal-tools lacks /usr/bin/dal or the conffile /etc/dal/dal.ini" "$(contents dal-tools)"
fi
# Every tag that remains is explained in debian/*.lintian-overrides.
if lintian --fail-on error,warning --suppress-tags unused-override "$tmp"/*.changes >"$tmp/lintian.log" 2>&1; then
	ok "lintian: no error or warning ($(grep -c "^[A-Z]: " "$tmp/lintian.log") tags at info level or below)"
else
	bad "lintian" "$tmp/lintian.log"
fi

# ---- 3. core + tools + only the SQLite backend in an empty root --------------

mkdir -p "$root"
for p in libdal1 dal-tools libdal-backend-sqlite; do
	dpkg -x "$(deb "$p")" "$root" || bad "dpkg -x $p"
done
# Not a chroot: the unpacked dal finds its library and plugins in the root;
# nothing of the caller's may point elsewhere.
unset DAL_CONFIG DB_URL DATABASE_URL DB_TYPE DB_HOST DB_PORT DB_NAME DB_USER DB_PASS
export LD_LIBRARY_PATH=$root/usr/lib/$triplet
export DAL_PLUGIN_PATH=$root/usr/lib/$triplet/dal
dal=$root/usr/bin/dal

"$dal" plugins >"$tmp/plugins.out" 2>&1
files=$(grep -o 'backend_[a-z0-9_]*\.so' "$tmp/plugins.out" | sort -u | tr '\n' ' ')
if [ "$files" = "backend_sqlite.so " ] && grep -q '^sqlite ' "$tmp/plugins.out"; then
	ok "dal plugins lists only sqlite"
else
	bad "dal plugins lists: $files" "$tmp/plugins.out"
fi

out=$("$dal" -u "sqlite:///$tmp/q.db" query "SELECT 6 * 7 AS answer" 2>&1)
if printf '%s\n' "$out" | grep -q '^ *42$'; then
	ok "a SQLite query"
else
	bad "a SQLite query" "$out"
fi

for t in mysql:libdal-backend-mysql mariadb:libdal-backend-mysql \
	postgresql:libdal-backend-pgsql; do
	scheme=${t%%:*} package=${t#*:}
	out=$("$dal" -u "$scheme://app@127.0.0.1/app" query "SELECT 1" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q "install the package $package"; then
		ok "$scheme:// without its backend names $package"
	else
		bad "$scheme:// without its backend (exit $rc) does not name $package" "$out"
	fi
done
finish
