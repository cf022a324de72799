#!/bin/sh
# configure --enable-static-backends=LIST (make check in that build): the
# static dal links libdal in and holds the backends of LIST preloaded, so
# with no plugin file anywhere (DAL_PLUGIN_PATH unset, plugin_dir an empty
# directory; configure --with-plugindir=/nonexistent removes the last one)
# it lists each as "(preloaded)", answers a SQLite query when sqlite is among
# them, and needs no libdal.so. Run from tests/ of the build tree.
static_backends=$(sed -n 's/^DAL_PRELOAD = //p' ../Makefile | tr ' ' '\n' |
	sed -n 's|.*/backend_\(.*\)\.la$|\1|p')
dal=../cli/dal
if [ -z "$static_backends" ]; then
	echo "SKIP: not a static build (configure --enable-static-backends)"
	exit 77
fi
fail=0
bad() { echo "FAIL: $*"; fail=1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/dal-static.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/empty"
printf '[dal]\nplugin_dir = %s\n' "$dir/empty" >"$dir/dal.ini"
unset DAL_PLUGIN_PATH DAL_CONFIG DB_URL DATABASE_URL DB_TYPE

# libtool leaves no wrapper script for a program it linked -static.
if ! head -c 4 "$dal" | grep -q ELF; then
	bad "$dal is not the program itself (a libtool wrapper: not linked -static?)"
fi
if readelf -d "$dal" | grep -q 'NEEDED.*libdal'; then
	bad "$dal needs libdal.so:" "$(readelf -d "$dal" | grep NEEDED)"
fi

"$dal" -c "$dir/dal.ini" plugins >"$dir/plugins" 2>&1
for b in $static_backends; do
	if grep -q "file: *backend_$b (preloaded)" "$dir/plugins"; then
		echo "ok: dal plugins lists backend_$b (preloaded)"
	else
		bad "dal plugins does not list backend_$b (preloaded):" "$(cat "$dir/plugins")"
	fi
done
if grep -q '\.so$' "$dir/plugins"; then
	bad "dal plugins found a plugin file:" "$(cat "$dir/plugins")"
fi

case " $(echo $static_backends) " in
*" sqlite "*)
	out=$("$dal" -c "$dir/dal.ini" -u "sqlite:///$dir/static.db" query \
		"SELECT 6 * 7 AS answer" 2>&1)
	if printf '%s\n' "$out" | grep -q '^ *42$'; then
		echo "ok: a query on the preloaded sqlite backend"
	else
		bad "sqlite query through the static dal:" "$out"
	fi
	;;
esac
exit "$fail"
