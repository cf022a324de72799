#!/bin/bash
# End-to-end test of the backend SDK, done the way a new user would do it:
# take the release tree of a configured libdal build (`make distdir`, what the
# tarball holds), configure and install it into a fresh temporary prefix,
# build examples/plugin/backend_memkv.c out of tree from a copy, against that
# installation only (pkg-config), install it into the plugin directory that
# pkg-config names, and reach it by type, by URL scheme (`dal -u`), through
# DB_URL and through dal_repo_open_url() from a C program. Then the same for
# the installed template backend (share/doc/libdal/examples/backend_template,
# built with `pkg-config libdal-plugin` and checked with the installed
# dal-conformance), and the installed dal.ini as a user without privileges.
#
#   scripts/test-sdk.sh BUILD_DIR          e.g. scripts/test-sdk.sh build-plain
#
# Needs a C compiler, make, pkg-config, nm and sqlite3's development files
# (scripts/deps.sh). One line per check; the last line is "N passed, M failed",
# and the exit status is 1 if anything failed. On failure the temporary
# directory is kept for inspection.
set -uo pipefail

if [ $# -ne 1 ] || [ ! -f "$1/Makefile" ]; then
	echo "usage: $0 BUILD_DIR   (a configured libdal build directory)" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile")
release=$(sed -n 's/^PACKAGE = //p' "$build/Makefile")-$(sed -n 's/^VERSION = //p' "$build/Makefile")
tmp=$(mktemp -d /tmp/dal-sdk.XXXXXX)
prefix=$tmp/prefix
dal=$prefix/bin/dal

pass=0
fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { # what [detail file or text]
	echo "FAIL: $1"
	fail=$((fail + 1))
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		tail -n 15 "$2" | sed 's/^/    /'
	elif [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | tail -n 15 | sed 's/^/    /'
	fi
}
check() { # what condition-status [detail]
	if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
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

# ---- 1. a fresh installation from the release tree ------------------------

rm -rf "${build:?}/$release"
if make -s -C "$build" distdir >"$tmp/distdir.log" 2>&1 && mv "$build/$release" "$tmp/src"; then
	missing=
	for f in backend_memkv.c README.md Makefile.standalone; do
		[ -f "$tmp/src/examples/plugin/$f" ] || missing="$missing examples/plugin/$f"
	done
	check "the release tree ships examples/plugin" "$([ -z "$missing" ]; echo $?)" \
		"missing:$missing"
else
	rm -rf "${build:?}/$release"
	bad "make distdir in $build" "$tmp/distdir.log"
	finish
fi

if (cd "$tmp/src" &&
	./configure -q --prefix="$prefix" --with-sqlite=yes --with-mysql=no --with-pgsql=no &&
	make -s -j"$(nproc)" install) >"$tmp/install.log" 2>&1; then
	ok "libdal configured and installed into a fresh prefix"
else
	bad "configure && make install into $prefix" "$tmp/install.log"
	finish
fi

# From here on, nothing but the installation: no source tree, no settings of
# the caller's that could point elsewhere.
unset DAL_CONFIG DAL_PLUGIN_PATH DB_URL DATABASE_URL DB_TYPE DB_HOST DB_PORT DB_NAME \
	DB_USER DB_PASS DB_POOL_SIZE DB_MAX_RETRIES DB_RETRY_DELAY PKG_CONFIG_SYSROOT_DIR \
	CPATH C_INCLUDE_PATH LIBRARY_PATH
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# Is a path inside a source tree (the original one or the release copy)?
in_tree() { [[ $1 == "$srcdir"/* || $1 == "$srcdir" || $1 == "$tmp/src"* ]]; }

cflags=$(pkg-config --cflags libdal 2>&1)
cflags=${cflags% }
plugindir=$(pkg-config --variable=plugindir libdal 2>&1)
bad_flags=
for f in $cflags; do
	case $f in
	-I*) [[ ${f#-I} == "$prefix"/* ]] || bad_flags="$bad_flags $f" ;;
	esac
done
check "pkg-config libdal: cflags '$cflags' point into the prefix only" \
	"$([ -n "$cflags" ] && [ -z "$bad_flags" ]; echo $?)" "outside the prefix:$bad_flags"
check "pkg-config plugindir is $plugindir" \
	"$([[ $plugindir == "$prefix"/* ]] && ! in_tree "$plugindir"; echo $?)"

# ---- 2. the plugin, built out of tree --------------------------------------

ext=$tmp/thirdparty/memkv
mkdir -p "$(dirname "$ext")"
cp -R "$tmp/src/examples/plugin" "$ext"
cd "$ext" || finish

# The exact command of examples/plugin/README.md.
cmd="cc -shared -fPIC -fvisibility=hidden -o backend_memkv.so backend_memkv.c $(pkg-config --cflags --libs libdal)"
leak=
for f in $cmd; do
	case $f in -I* | -L*) in_tree "${f#-[IL]}" && leak="$leak $f" ;; esac
done
out=$($cmd 2>&1)
status=$?
check "builds out of tree: $cmd" "$([ $status -eq 0 ] && [ -z "$leak" ]; echo $?)" \
	"${leak:+source-tree flags:$leak }$out"

# Every libdal header the compiler reads comes from the installed SDK.
# shellcheck disable=SC2086,SC1003,SC2020 # split cflags; tr: blanks and backslashes
deps=$(cc -M $cflags backend_memkv.c 2>&1 | tr ' \\' '\n\n' | grep '/dal/' | sort -u)
foreign=$(grep -v "^$prefix/include/dal/" <<<"$deps")
check "it includes only the installed <dal/*.h> ($(wc -l <<<"$deps") headers)" \
	"$([ -n "$deps" ] && [ -z "$foreign" ]; echo $?)" "$foreign"

out=$(make -f Makefile.standalone clean backend_memkv.so install 2>&1)
status=$?
warnings=$(grep -v -e '^rm -f' -e '^cc ' -e '^install ' -e "^${CC:-cc} " <<<"$out")
check "Makefile.standalone builds it with -Wall -Wextra, no warnings" \
	"$([ $status -eq 0 ] && [ -z "$warnings" ]; echo $?)" "$out"
check "Makefile.standalone installs it into the plugindir" \
	"$([ -f "$plugindir/backend_memkv.so" ]; echo $?)" "$out"

exports=$(nm -D --defined-only "$plugindir/backend_memkv.so" 2>&1 | awk '{print $NF}')
check "it exports one symbol: backend_memkv_LTX_dal_plugin_init" \
	"$([ "$exports" = backend_memkv_LTX_dal_plugin_init ]; echo $?)" "$exports"

# ---- 3. the installed dal tool ---------------------------------------------

cd "$tmp" || finish
out=$("$dal" plugins 2>&1)
block=$(awk '/^memkv /{p=1} p && /^$/{exit} p' <<<"$out")
check "dal plugins: memkv, file $plugindir/backend_memkv.so, alias kv, kind: file" \
	"$(grep -q "file: *$plugindir/backend_memkv.so\$" <<<"$block" &&
		grep -q 'aliases: *kv$' <<<"$block" && grep -q 'kind: *file$' <<<"$block"
	echo $?)" "$out"

out=$("$dal" -u memkv:///store exec "SET 'greeting' 'hello, world'" \
	query --csv "GET 'greeting'" query --csv COUNT exec "del 'greeting'" \
	query --csv "GET 'greeting'" query --csv count 2>&1)
out=${out//$'\r'/} # CSV lines end in CRLF
want=$(printf '%s\n' '1 row(s) affected' key,value 'greeting,"hello, world"' count 1 \
	'1 row(s) affected' key,value count 0)
check "dal -u memkv:///store: SET, GET, COUNT, DEL round trip" \
	"$([ "$out" = "$want" ]; echo $?)" "$out"

out=$(DB_URL=kv:///store "$dal" ping 2>&1)
status=$?
check "DB_URL=kv:///store dal ping (the alias as URL scheme)" \
	"$([ $status -eq 0 ] && grep -q '^ok: main (memkv, ' <<<"$out"; echo $?)" "$out"

out=$(DB_TYPE=memkv "$dal" ping 2>&1)
status=$?
check "DB_TYPE=memkv dal ping (the type)" \
	"$([ $status -eq 0 ] && grep -q '^ok: main (memkv, ' <<<"$out"; echo $?)" "$out"

printf '[main]\ntype = memkv\npath = store\n\n[main.memkv]\ncase_fold = on\nmax_keys = 1\n' \
	>"$tmp/memkv.ini"
out=$("$dal" -c "$tmp/memkv.ini" exec "SET 'Key' 'v'" query --csv "GET 'KEY'" 2>&1)
out=${out//$'\r'/}
check "an INI file with type = memkv and [main.memkv] case_fold = on" \
	"$([ "$out" = "$(printf '1 row(s) affected\nkey,value\nKey,v')" ]; echo $?)" "$out"

out=$("$dal" -c "$tmp/memkv.ini" exec "SET 'a' '1'" exec "SET 'b' '2'" 2>&1)
status=$?
check "[main.memkv] max_keys = 1: a second key is DAL_EDATA" \
	"$([ $status -eq 1 ] && grep -q 'DAL_EDATA: .*max_keys = 1' <<<"$out"; echo $?)" "$out"

out=$("$dal" -u memkv:///store exec "FROB 'x'" 2>&1)
status=$?
check "an unknown statement is DAL_ESYNTAX [42601]" \
	"$([ $status -eq 1 ] && grep -q 'DAL_ESYNTAX: .*FROB.*\[42601\]' <<<"$out"; echo $?)" "$out"

out=$("$dal" -u nosuch:///x ping 2>&1)
status=$?
check "dal -u nosuch:///x: not found, listing the installed schemes incl. memkv, kv" \
	"$([ $status -eq 1 ] && grep -q 'DAL_EPLUGIN_NOTFOUND' <<<"$out" &&
		grep -Eq 'installed: .*memkv, kv[;)]' <<<"$out" && grep -q 'sqlite' <<<"$out"
	echo $?)" "$out"

# ---- 3b. the template backend, from the installed documentation ----------

# Only what make install put under the prefix: the template's files, the
# libdal-plugin pkg-config file, the headers, dal-conformance.
conformance=$prefix/bin/dal-conformance
docdir=$prefix/share/doc/libdal
check "installed: dal-conformance, its man page, the guide, the template" \
	"$([ -x "$conformance" ] && [ -f "$prefix/share/man/man1/dal-conformance.1" ] &&
		[ -f "$docdir/writing-a-backend.md" ] &&
		[ -f "$docdir/examples/backend_template/backend_template.c" ]
	echo $?)"
abi=$(pkg-config --variable=abi_version libdal-plugin 2>&1)
want_abi=$(sed -n 's/^#define DAL_PLUGIN_ABI_MAJOR //p' "$prefix/include/dal/plugin.h").$(
	sed -n 's/^#define DAL_PLUGIN_ABI_MINOR //p' "$prefix/include/dal/plugin.h")
check "pkg-config libdal-plugin: abi_version $abi (plugin.h: $want_abi), plugindir" \
	"$([ "$abi" = "$want_abi" ] &&
		[ "$(pkg-config --variable=plugindir libdal-plugin)" = "$plugindir" ]; echo $?)" "$abi"

# Each installed header compiles on its own, first in a file, in C and C++.
bad_h=
for h in "$prefix"/include/dal/*.h; do
	for lang in c c++; do
		# shellcheck disable=SC2086 # split cflags
		printf '#include <dal/%s>\n' "${h##*/}" |
			cc -x "$lang" -fsyntax-only -Wall -Wextra -Werror $cflags - >/dev/null 2>&1 ||
			bad_h="$bad_h ${h##*/}($lang)"
	done
done
check "every installed <dal/*.h> is self-contained (C and C++)" "$([ -z "$bad_h" ]; echo $?)" \
	"not:$bad_h"

tpl=$tmp/thirdparty/template
cp -R "$docdir/examples/backend_template" "$tpl"
out=$(make -C "$tpl" 2>&1)
status=$?
warnings=$(grep -v -e '^make' -e "^${CC:-cc} " <<<"$out")
check "the template builds with its Makefile (pkg-config only), no warnings" \
	"$([ $status -eq 0 ] && [ -z "$warnings" ] && [ -f "$tpl/backend_template.so" ]; echo $?)" \
	"$out"
exports=$(nm -D --defined-only "$tpl/backend_template.so" 2>&1 | awk '{print $NF}')
check "the template exports one symbol: backend_template_LTX_dal_plugin_init" \
	"$([ "$exports" = backend_template_LTX_dal_plugin_init ]; echo $?)" "$exports"

# The installed runner on the plugin in its build directory (make check).
out=$(make -C "$tpl" -s check DAL_CONFORMANCE="$conformance" CONFORMANCE_FLAGS="--format tap" 2>&1)
status=$?
summary=$(grep '^# [0-9]* passed' <<<"$out")
check "make check: dal-conformance passes the template ($summary)" \
	"$([ $status -eq 0 ] && ! grep -q '^not ok' <<<"$out" && grep -q '^# [1-9][0-9]* passed, 0 failed' <<<"$out"
	echo $?)" "$out"
check "dal-conformance: last insert id not applicable (not declared)" \
	"$(grep -q '^ok [0-9]* - test_last_insert_id # SKIP not applicable: needs DAL_CAP_LAST_INSERT_ID$' <<<"$out"
	echo $?)" "$out"
check "dal-conformance: server cases not applicable (kind file)" \
	"$(grep -q '^ok [0-9]* - test_server_down_is_connect_error # SKIP not applicable: needs a plugin of kind server$' <<<"$out"
	echo $?)" "$out"

out=$(make -C "$tpl" -s install 2>&1)
check "make install puts it into the plugindir" \
	"$([ -f "$plugindir/backend_template.so" ]; echo $?)" "$out"
out=$("$dal" -u "template:///$tmp/t1.db" exec "CREATE TABLE t (b BOOLEAN, s TEXT)" \
	exec "INSERT INTO t VALUES (1, 'x')" query --csv "SELECT b, s FROM t" 2>&1)
out=${out//$'\r'/}
check "dal -u template:///FILE: by URL scheme" \
	"$([ "$out" = "$(printf '0 row(s) affected\n1 row(s) affected\nb,s\ntrue,x')" ]; echo $?)" "$out"
out=$(cd "$tmp" && DB_TYPE=template DB_NAME="$tmp/t1.db" "$dal" query --csv "SELECT s FROM t" 2>&1)
out=${out//$'\r'/}
check "DB_TYPE=template: by type" "$([ "$out" = "$(printf 's\nx')" ]; echo $?)" "$out"
out=$(DB_URL="tmpl:///$tmp/t1.db" "$dal" ping 2>&1)
check "DB_URL=tmpl:///FILE: by alias" "$(grep -q '^ok: main (template, ' <<<"$out"; echo $?)" "$out"
# Its SQL facts (<dal/dialect.h>) are all libdal knows of its dialect:
# migrations and db-reset work for this out-of-tree plugin.
mkdir -p "$tmp/tmig"
printf 'CREATE TABLE m (id INTEGER PRIMARY KEY);\n' >"$tmp/tmig/0001_m.sql"
out=$("$dal" -u "template:///$tmp/t3.db" migrate --dir "$tmp/tmig" up 2>&1 &&
	"$dal" -u "template:///$tmp/t3.db" query --csv "SELECT version FROM schema_version" 2>&1)
out=${out//$'\r'/}
check "the template's SQL facts give it migrations (dal migrate up)" \
	"$(grep -q '^version$' <<<"$out" && grep -q '^1$' <<<"$out"; echo $?)" "$out"
out=$("$dal" -u "template:///$tmp/t3.db" db-reset --yes 2>&1 &&
	"$dal" -u "template:///$tmp/t3.db" query --csv "SELECT COUNT(*) AS n FROM sqlite_master" 2>&1)
out=${out//$'\r'/}
check "... and dal db-reset through its catalog" \
	"$(grep -q '^0$' <<<"$out"; echo $?)" "$out"
out=$("$conformance" --url "tmpl:///$tmp/t2.db" --case 'test_type_*' 2>&1)
status=$?
check "installed dal-conformance finds the installed template by alias (table)" \
	"$([ $status -eq 0 ] && grep -q '^5 passed, 0 failed, 0 not applicable (5 cases)$' <<<"$out"
	echo $?)" "$out"

# The manual, installed: a page per public function, dal-conformance(1).
pages=$(find "$prefix/share/man/man3" -name 'dal_*.3' 2>/dev/null | wc -l)
functions=$(cat "$prefix"/include/dal/*.h | grep -c '^DAL_API [^(]*[ *]dal_[a-z0-9_]*(')
check "share/man/man3: $pages pages for $functions public functions, and libdal.3" \
	"$([ "$pages" -eq "$functions" ] && [ -f "$prefix/share/man/man3/libdal.3" ]; echo $?)"
if command -v man >/dev/null; then
	out=$(MANPAGER=cat MANWIDTH=80 man -M "$prefix/share/man" dal_stmt_prepare 2>&1)
	check "man -M PREFIX/share/man dal_stmt_prepare" \
		"$(grep -q 'dal_stmt_prepare(dal_conn \*c, const char \*sql, dal_stmt \*\*out);' <<<"$out" &&
			grep -q 'EXAMPLES' <<<"$out"; echo $?)" "$out"
	out=$(MANPAGER=cat MANWIDTH=80 man -M "$prefix/share/man" 1 dal-conformance 2>&1)
	check "man -M PREFIX/share/man dal-conformance" \
		"$(grep -q -- '--plugin-dir' <<<"$out"; echo $?)" "$out"
	out=$(MANPAGER=cat MANWIDTH=80 man -M "$prefix/share/man" 1 dal 2>&1)
	check "man -M PREFIX/share/man dal (from docs/dal.1.md)" \
		"$(grep -q 'run SQL, check connections' <<<"$out" && grep -q 'EXIT STATUS' <<<"$out"
		echo $?)" "$out"
	out=$(MANPAGER=cat MANWIDTH=80 man -M "$prefix/share/man" 5 dal.ini 2>&1)
	check "man -M PREFIX/share/man 5 dal.ini" \
		"$(grep -q 'libdal configuration file' <<<"$out"; echo $?)" "$out"
fi

# ---- 3c. the installed dal.ini, as a normal user ---------------------------

# No -c, no DAL_CONFIG: the installed $sysconfdir/dal/dal.ini. Its database
# is dal.db in the current directory, and its [main.sqlite] options must not
# break an in-memory database.
etc_ini=$prefix/etc/dal/dal.ini
run_user() { "$@"; }
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# As root the prefix would be writable anyway: run as nobody.
	chmod 755 "$tmp"
	run_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
fi
work=$tmp/userdir
mkdir -p "$work"
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$work"
out=$(cd "$work" && run_user "$dal" exec "CREATE TABLE IF NOT EXISTS n (v)" \
	exec "INSERT INTO n VALUES (1)" query --csv "SELECT count(*) AS c FROM n" 2>&1)
out=${out//$'\r'/}
check "installed dal.ini as $(run_user id -un): dal.db in the current directory" \
	"$([ -f "$etc_ini" ] && [ -f "$work/dal.db" ] && [ ! -e "$prefix/etc/dal/dal.db" ] &&
		[ "$(tail -n 1 <<<"$out")" = 1 ]; echo $?)" "$out"
out=$(cd "$work" && run_user "$dal" -u sqlite::memory: query --csv "SELECT 40 + 2 AS v" 2>&1)
out=${out//$'\r'/}
check "installed dal.ini: dal -u sqlite::memory: query works" \
	"$([ "$out" = "$(printf 'v\n42')" ]; echo $?)" "$out"

# ---- 4. an application, with parameters ------------------------------------

mkdir -p "$tmp/app"
cat >"$tmp/app/sdk_app.c" <<'EOF'
/* Uses the memkv plugin through the installed <dal/dal.h> only. One line per
 * check: "ok - ..." or "FAIL - ...". */
#include <dal/dal.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int cond, const char *what, const char *detail)
{
	printf("%s - %s%s%s\n", cond ? "ok" : "FAIL", what, cond || !detail ? "" : ": ",
	       cond || !detail ? "" : detail);
	failures += !cond;
}

/* Prepare sql, bind up to two texts, step once: the step's result. */
static int run(dal_conn *c, dal_stmt **st, const char *sql, const char *a, const char *b)
{
	if (dal_stmt_prepare(c, sql, st) != DAL_OK)
		return dal_conn_error(c)->code;
	if (a)
		dal_stmt_bind_text(*st, 1, a, -1);
	if (b)
		dal_stmt_bind_text(*st, 2, b, -1);
	return dal_stmt_step(*st);
}

int main(void)
{
	dal_repo *r, *r2;
	dal_conn *c, *c2;
	dal_stmt *st, *get, *set;
	dal_error err;
	const char *t;
	int rc;

	rc = dal_repo_open_url(&r, "memkv:///x", &err);
	check(rc == DAL_OK, "dal_repo_open_url(memkv:///x)", rc ? err.message : NULL);
	if (rc)
		return 1;
	check(strcmp(dal_repo_backend(r), "memkv") == 0, "dal_repo_backend() is memkv",
	      dal_repo_backend(r));
	rc = dal_conn_acquire(r, &c, &err);
	check(rc == DAL_OK, "dal_conn_acquire()", rc ? err.message : NULL);
	if (rc)
		return 1;

	rc = run(c, &st, "SET ?, ?", "alpha", "one");
	check(rc == DAL_DONE && dal_stmt_rows_affected(st) == 1,
	      "SET ?, ? with bound text: DONE, 1 row affected", dal_stmt_error(st)->message);
	dal_stmt_reset(st);
	dal_stmt_bind_text(st, 1, "n", -1);
	dal_stmt_bind_int64(st, 2, 42);
	check(dal_stmt_step(st) == DAL_DONE, "SET re-bound with an int64 value",
	      dal_stmt_error(st)->message);
	dal_stmt_close(st);

	rc = run(c, &get, "GET :key", "alpha", NULL);
	t = rc == DAL_ROW ? dal_stmt_column_text(get, 1, NULL) : NULL;
	check(rc == DAL_ROW && dal_stmt_column_count(get) == 2 &&
	      strcmp(dal_stmt_column_name(get, 0), "key") == 0 &&
	      strcmp(dal_stmt_column_name(get, 1), "value") == 0 &&
	      strcmp(dal_stmt_column_text(get, 0, NULL), "alpha") == 0 && t && strcmp(t, "one") == 0,
	      "GET :key (named, bound) returns the row (alpha, one)", dal_stmt_error(get)->message);
	rc = run(c, &set, "PUT ? ?", "alpha", "two");
	dal_stmt_close(set);
	t = dal_stmt_column_text(get, 1, NULL);
	check(rc == DAL_DONE && t && strcmp(t, "one") == 0,
	      "a fetched row stays valid while another statement overwrites it", t);
	check(dal_stmt_step(get) == DAL_DONE, "GET has one row only", NULL);
	dal_stmt_reset(get);
	check(dal_stmt_step(get) == DAL_ROW &&
	      strcmp(dal_stmt_column_text(get, 1, NULL), "two") == 0,
	      "GET after reset sees the new value", NULL);
	dal_stmt_reset(get); /* a row is unread: rebinding needs a reset */
	dal_stmt_bind_text(get, 1, "n", -1);
	check(dal_stmt_step(get) == DAL_ROW && dal_stmt_column_type(get, 1) == DAL_TYPE_INT64 &&
	      dal_stmt_column_int64(get, 1) == 42, "GET of an int64 value: DAL_TYPE_INT64 42",
	      NULL);
	dal_stmt_reset(get);
	dal_stmt_bind_text(get, 1, "missing", -1);
	check(dal_stmt_step(get) == DAL_DONE, "GET of a missing key: no row", NULL);
	dal_stmt_close(get);

	rc = run(c, &st, "COUNT", NULL, NULL);
	check(rc == DAL_ROW && dal_stmt_column_int64(st, 0) == 2, "COUNT is 2", NULL);
	dal_stmt_close(st);
	rc = run(c, &st, "DEL ?", "alpha", NULL);
	check(rc == DAL_DONE && dal_stmt_rows_affected(st) == 1, "DEL ?: 1 row affected", NULL);
	dal_stmt_reset(st);
	check(dal_stmt_step(st) == DAL_DONE && dal_stmt_rows_affected(st) == 0,
	      "DEL ? again: 0 rows affected", NULL);
	dal_stmt_close(st);
	rc = dal_stmt_prepare(c, "SELECT 1", &st);
	check(rc == DAL_ESYNTAX && strcmp(dal_conn_error(c)->sqlstate, "42601") == 0,
	      "prepare of an unknown statement: DAL_ESYNTAX [42601]", dal_conn_error(c)->message);
	dal_conn_release(c);
	dal_repo_close(r);

	rc = dal_repo_open_url(&r, "memkv:///y?max_keys=2", &err);
	check(rc == DAL_OK, "dal_repo_open_url(memkv:///y?max_keys=2)", rc ? err.message : NULL);
	if (rc == DAL_OK && (rc = dal_conn_acquire(r, &c, &err)) == DAL_OK) {
		dal_conn_exec(c, "SET 'a' 'b'", NULL);
		dal_conn_exec(c, "SET 'c' 'd'", NULL);
		rc = dal_conn_exec(c, "SET 'e' 'f'", NULL);
		check(rc == DAL_EDATA, "a third key with max_keys=2: DAL_EDATA",
		      dal_conn_error(c)->message);
		rc = dal_repo_open_url(&r2, "memkv:///y", &err);
		if (rc == DAL_OK && dal_conn_acquire(r2, &c2, &err) == DAL_OK &&
		    run(c2, &st, "COUNT", NULL, NULL) == DAL_ROW) {
			check(dal_stmt_column_int64(st, 0) == 0,
			      "a second connection to memkv:///y has its own, empty store", NULL);
			dal_stmt_close(st);
			dal_conn_release(c2);
		} else {
			check(0, "a second connection to memkv:///y", err.message);
		}
		if (rc == DAL_OK)
			dal_repo_close(r2);
		dal_conn_release(c);
		dal_repo_close(r);
	}

	rc = dal_repo_open_url(&r, "kv:///z?case_fold=on", &err);
	check(rc == DAL_OK, "dal_repo_open_url(kv:///z?case_fold=on), the alias",
	      rc ? err.message : NULL);
	if (rc == DAL_OK && (rc = dal_conn_acquire(r, &c, &err)) == DAL_OK) {
		dal_conn_exec(c, "SET 'Key' 'v'", NULL);
		check(run(c, &st, "GET 'KEY'", NULL, NULL) == DAL_ROW,
		      "case_fold=on: GET 'KEY' finds 'Key'", NULL);
		dal_stmt_close(st);
		dal_conn_release(c);
		dal_repo_close(r);
	}

	rc = dal_repo_open_url(&r, "memkv:///x?no_such_opt=1", &err);
	check(rc == DAL_ECONFIG && strstr(err.message, "'no_such_opt'"),
	      "an unknown URL option: DAL_ECONFIG naming the key", rc ? err.message : "opened");
	if (rc == DAL_OK)
		dal_repo_close(r);
	return failures != 0;
}
EOF
# shellcheck disable=SC2046
out=$(cd "$tmp/app" && cc -Wall -Wextra -o sdk_app sdk_app.c $(pkg-config --cflags --libs libdal) 2>&1)
status=$?
check "a C program builds against the installed libdal (pkg-config)" \
	"$([ $status -eq 0 ] && [ -z "$out" ]; echo $?)" "$out"
if [ -x "$tmp/app/sdk_app" ]; then
	out=$("$tmp/app/sdk_app" 2>&1)
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "C: ${line#ok - }" ;;
		"FAIL - "*) bad "C: ${line#FAIL - }" ;;
		*) bad "C: unexpected output" "$line" ;;
		esac
	done <<<"$out"
	[ $status -eq 0 ] || grep -q '^FAIL - ' <<<"$out" || bad "C: exit status $status" "$out"
fi

finish
