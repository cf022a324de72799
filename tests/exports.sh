#!/bin/sh
# The dynamic symbols the shared objects of this build export (nm -D
# --defined-only), which are their ABI: libdal.so only dal_* (the rest of
# the core is hidden: -fvisibility=hidden and -export-symbols-regex '^dal_'),
# with the soname that its libtool -version-info gives (configure.ac); each
# backend plugin exactly one symbol, backend_<name>_LTX_dal_plugin_init.
# Run from tests/ of the build tree (make check); needs nm and readelf.
top=..
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The file libtool built for a .la: objdir (.libs) + its dlname.
shared_object() {
	dlname=$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$1")
	[ -n "$dlname" ] && echo "$(dirname "$1")/.libs/$dlname"
}
exports() {
	nm -D --defined-only "$1" | awk '{ print $NF }'
}

lib=$(shared_object "$top/core/libdal.la")
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
	echo "SKIP: no shared libdal in this build (${lib:-libdal.la names none})"
	exit 77
fi
n=$(exports "$lib" | grep -c '^dal_')
others=$(exports "$lib" | grep -v '^dal_')
if [ -n "$others" ]; then
	bad "$lib exports symbols outside dal_*:" $others
elif [ "$n" -lt 50 ]; then
	bad "$lib exports only $n dal_* symbols (nm -D failed?)"
else
	echo "ok: $lib exports $n symbols, all dal_*"
fi

# current:revision:age -> soname libdal.so.(current - age)
version=$(sed -n 's/^DAL_LT_VERSION = //p' "$top/Makefile")
current=${version%%:*}
age=${version##*:}
want=libdal.so.$((current - age))
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "$want" ]; then
	echo "ok: soname $soname (libtool version $version)"
else
	bad "soname of $lib is '$soname', not $want (libtool version $version)"
fi

found=0
for la in "$top"/plugins/*/backend_*.la; do
	[ -f "$la" ] || continue
	found=1
	name=$(basename "$la" .la)
	so=$(shared_object "$la")
	got=$(exports "$so" | tr '\n' ' ')
	if [ "$got" = "${name}_LTX_dal_plugin_init " ]; then
		echo "ok: $so exports only ${name}_LTX_dal_plugin_init"
	else
		bad "$so exports '$got', not just ${name}_LTX_dal_plugin_init"
	fi
done
[ "$found" = 1 ] || echo "note: no backend plugin in this build"
exit "$fail"
