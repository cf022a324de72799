#!/bin/sh
# The documentation names only what exists, and names everything that
# exists, for what can be checked mechanically:
#  - every dal_* / DAL_* name of README.md and docs/*.md exists somewhere in
#    the tree (public headers, sources, tests, scripts): a renamed or removed
#    function, macro, variable or metric is caught;
#  - every public function (DAL_API) has a comment in its header (the
#    generated man3 page then has a description of its own);
#  - every repository key of core/settings.c (and url, env_prefix) is in the
#    README's key list and in dal.ini(5), every backend option of the
#    plugins' option tables in docs/backends.md, every DB_* variable of
#    core/envmap.c in docs/environment.md, dal(1) and dal.ini(5);
#  - every command of `dal --help` is in dal(1) and in the README's table,
#    and every option of its `dal COMMAND --help` in dal(1).
# Run from tests/ of the build tree (make check).
src=${srcdir:-.}/..
dal=../cli/dal
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# 1. Names in the docs; a name written as a prefix (dal_defer_*(),
# DAL_CAP_*) must begin some name.
tree="$src/include $src/core $src/cli $src/plugins $src/tests $src/scripts $src/examples"
for f in "$src"/README.md "$src"/docs/*.md; do
	for id in $(grep -oE '\b(dal|DAL)_[A-Za-z0-9_]*' "$f" | sort -u); do
		case $id in
		*_) pat="\\b$id" ;;
		*) pat="\\b$id\\b" ;;
		esac
		grep -rqE --include='*.[ch]' --include='*.sh' --include='*.am' -- "$pat" $tree ||
			bad "$(basename "$f") names $id, which exists nowhere in the sources"
	done
done

# 2. A comment for every public function: man3.awk gives a page whose
# function has none the placeholder description "libdal function".
n=0
for page in ../man3/dal_*.3; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if grep -q '^\.Nd libdal function$' "$page"; then
		bad "$(basename "$page" .3)() has no comment in its header"
	fi
done
[ "$n" -ge 100 ] || bad "only $n pages in ../man3: was man3/ generated?"

# 3. Settings, backend options and variables.
keys=$(sed -n '/res_key_names\[SK__COUNT\] = {/,/};/p' "$src/core/settings.c" |
	grep -oE '"[a-z_]+"' | tr -d '"')
[ "$(echo "$keys" | wc -w)" -ge 30 ] || bad "could not read the keys of core/settings.c"
for k in $keys url env_prefix; do
	grep -q "\`$k\`" "$src/README.md" || bad "README.md lacks the key $k"
	grep -qE "^\.It Cm .*\b$k\b|^\.Cm $k\b" "$src/docs/man/dal.ini.5" ||
		bad "dal.ini(5) lacks the key $k"
done
opts=$(grep -ohE '^[[:space:]]*\[[A-Z_]+\] = \{"[a-z_]+", DAL_OPTION|TEXT_SPEC\("[a-z_]+"' \
	"$src"/plugins/*/*.c | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
[ "$(echo "$opts" | wc -w)" -ge 20 ] || bad "could not read the plugins' option tables"
for o in $opts; do
	grep -q "\`$o\`" "$src/docs/backends.md" || bad "docs/backends.md lacks the option $o"
done
vars=$(sed -n '/default_suffix\[ENVMAP_SLOTS\] = {/,/};/p' "$src/core/envmap.c" |
	grep -oE '"[A-Z_]+"' | tr -d '"' | sed 's/^/DB_/')
[ "$(echo "$vars" | wc -w)" -ge 15 ] || bad "could not read the variables of core/envmap.c"
for v in $vars DATABASE_URL; do
	grep -q "\`$v\`" "$src/docs/environment.md" || bad "docs/environment.md lacks $v"
	grep -q "\*\*$v\*\*" "$src/docs/dal.1.md" || bad "docs/dal.1.md lacks $v"
	grep -qw "$v" "$src/docs/man/dal.ini.5" || bad "dal.ini(5) lacks $v"
done

# 4. Commands.
if [ -x "$dal" ] || [ -f "$dal" ]; then
	cmds=$("$dal" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
	[ "$(echo "$cmds" | wc -w)" -ge 10 ] || bad "could not read the commands of dal --help"
	for c in $cmds; do
		grep -q "^\*\*$c\*\*" "$src/docs/dal.1.md" || bad "docs/dal.1.md lacks the command $c"
		grep -qE "^\| \`$c[ \`]|, \`$c " "$src/README.md" ||
			bad "the README's command table lacks $c"
		for o in $("$dal" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "\*\*$o\*\*" "$src/docs/dal.1.md" ||
				bad "docs/dal.1.md lacks $o of dal $c --help"
		done
	done
else
	bad "no $dal"
fi

echo "docs-consistency: $fails failures"
[ "$fails" -eq 0 ]
