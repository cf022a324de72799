#!/bin/sh
# Every manual page passes `mandoc -T lint` with warnings as failures (mdoc
# syntax, sections, cross-references within the page): those written in
# docs/man/, dal.1 generated from docs/dal.1.md, and the section 3 pages
# generated from the headers into man3/ of the build tree, of which there
# must be one per DAL_API function. A
# visible SKIP without mandoc (scripts/deps.sh installs it).
if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP: mandoc is not installed (Debian package mandoc)"
	exit 77
fi
src=${srcdir:-.}/..
n=0
fails=0
for page in "$src"/docs/man/*.[1-9] ../dal.1 ../man3/*.3; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if ! out=$(mandoc -T lint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: $page"
		echo "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
done
# One generated page per public function.
for f in $(sed -n 's/^DAL_API [^(]*[ *]\(dal_[a-z0-9_]*\)(.*/\1/p' \
	"$src"/include/dal/dal.h "$src"/include/dal/error.h "$src"/include/dal/plugin.h); do
	if [ ! -f "../man3/$f.3" ]; then
		echo "FAIL: no page man3/$f.3 for $f() of the public headers"
		fails=$((fails + 1))
	elif ! grep -q "^\.Fn $f " "../man3/$f.3"; then
		echo "FAIL: man3/$f.3 has no synopsis of $f()"
		fails=$((fails + 1))
	fi
done
[ -f ../dal.1 ] || { echo "FAIL: dal.1 was not generated"; fails=$((fails + 1)); }
if [ "$n" -lt 80 ]; then
	echo "FAIL: only $n manual pages (docs/man/, man3/): was man3/ generated?"
	exit 1
fi
echo "man-lint: $n pages, $fails failures"
[ "$fails" -eq 0 ]
