#!/bin/sh
# Every C example of the documentation compiles against this build's headers
# and library, and every complete program among them runs: the EXAMPLES of
# the section 3 pages (docs/man/examples/*.c, which docs/man/man3.awk puts
# into the pages) and the ```c blocks of README.md. A file with main() is
# linked and run in an empty directory (with the plugins of this build; the
# database is SQLite, so without the sqlite backend it is only linked) and
# must exit 0; any other is compiled to an object.
# README's plugin sketch is a fragment with its slot functions declared but
# not defined, so it is compiled to an object with warnings allowed.
src=${srcdir:-.}/..
build=$(cd .. && pwd)
cc=${DAL_CC:-cc}
cflags="${DAL_CFLAGS:-} -I$src/include -Wall -Wextra"
fails=0
n=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dal-mex.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# README.md's ```c blocks, one file each.
awk -v dir="$tmp" '/^```c$/ { n++; f = dir "/readme-" n ".c"; next }
	/^```/ { f = ""; next } f { print > f }' "$src/README.md"

try() { # file, warnings-are-errors (1/0)
	f=$1
	name=$(basename "$f" .c)
	n=$((n + 1))
	werror=
	[ "$2" = 1 ] && werror=-Werror
	# shellcheck disable=SC2086 # split flags
	if grep -q '^int main(' "$f"; then
		if ! out=$($cc $cflags $werror -o "$tmp/$name" "$f" -L"$build/core/.libs" -ldal \
			${DAL_LDFLAGS:-} 2>&1); then
			echo "FAIL: $f does not build:"
			echo "$out" | sed 's/^/    /'
			fails=$((fails + 1))
			return
		fi
		if [ ! -f "$build/plugins/sqlite/backend_sqlite.la" ]; then
			echo "ok: $f builds (not run: the sqlite backend is not built)"
			return
		fi
		mkdir "$tmp/run-$name"
		if ! out=$(cd "$tmp/run-$name" && LD_LIBRARY_PATH="$build/core/.libs" \
			"$tmp/$name" 2>&1 </dev/null); then
			echo "FAIL: $f: the program fails:"
			echo "$out" | sed 's/^/    /'
			fails=$((fails + 1))
			return
		fi
		echo "ok: $f builds and runs"
	else
		if ! out=$($cc $cflags $werror -c -o "$tmp/$name.o" "$f" 2>&1); then
			echo "FAIL: $f does not compile:"
			echo "$out" | sed 's/^/    /'
			fails=$((fails + 1))
			return
		fi
		echo "ok: $f compiles"
	fi
}

for f in "$src"/docs/man/examples/*.c; do
	try "$f" 1
done
for f in "$tmp"/readme-*.c; do
	[ -f "$f" ] || continue
	if grep -q '^int main(' "$f"; then try "$f" 1; else try "$f" 0; fi
done
# docs/man/examples/pages names existing files and public functions only.
while read -r fn file; do
	case $fn in '#'* | '') continue ;; esac
	if [ ! -f "$src/docs/man/examples/$file" ]; then
		echo "FAIL: docs/man/examples/pages: $fn: no file $file"
		fails=$((fails + 1))
	elif ! grep -q "^DAL_API [^(]*[ *]$fn(" "$src"/include/dal/*.h; then
		echo "FAIL: docs/man/examples/pages: $fn is not a public function"
		fails=$((fails + 1))
	elif ! grep -q "$fn(" "$src/docs/man/examples/$file"; then
		echo "FAIL: docs/man/examples/pages: $file does not call $fn()"
		fails=$((fails + 1))
	fi
done <"$src/docs/man/examples/pages"
if [ "$n" -lt 10 ]; then
	echo "FAIL: only $n examples found"
	exit 1
fi
echo "man-examples: $n examples, $fails failures"
[ "$fails" -eq 0 ]
