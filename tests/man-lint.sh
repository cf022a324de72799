#!/bin/sh
# Every manual page of docs/man/ passes `mandoc -T lint` with warnings as
# failures (mdoc syntax, sections, cross-references within the page). A
# visible SKIP without mandoc (scripts/deps.sh installs it).
if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP: mandoc is not installed (Debian package mandoc)"
	exit 77
fi
dir=${srcdir:-.}/../docs/man
n=0
fails=0
for page in "$dir"/*.[1-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if ! out=$(mandoc -T lint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: $page"
		echo "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no manual page in $dir"
	exit 1
fi
echo "man-lint: $n pages, $fails with warnings"
[ "$fails" -eq 0 ]
