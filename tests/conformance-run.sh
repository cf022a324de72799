# Sourced by the conformance-<backend>.sh wrappers (POSIX sh).
#
# conformance_run LABEL URL LIST BACKEND: run ./dal-conformance --format tap against
# URL and check that the cases it reports as not applicable ("# SKIP not
# applicable: <reason>") are exactly those of LIST (the
# expected list committed next to the wrappers: one case name per line,
# '#' starts a comment, "sanitizers: <case>" names a case not applicable
# only in such a build). A case not run that the list does not name
# (a case that should apply was left out), or a case the list names that
# ran or no longer exists, fails the run with a message naming the case.
# BACKEND's own cases (`dal-conformance --list`: "(own case of BACKEND)")
# must all be reported too: they are selected by the plugin's name.
# Returns the suite's own status when it is worse (a failed case: 1, a hard
# error: 99 for its status 3, the URL could not be examined, or a crash).

conformance_dir=${srcdir:-$(dirname "$0")}

conformance_run() {
	cr_label=$1
	cr_url=$2
	cr_list=$conformance_dir/$3
	cr_backend=$4
	cr_tmp=$(mktemp -d "${TMPDIR:-/tmp}/dal-na.XXXXXX") || return 99
	# Every case runs: no --case.
	./dal-conformance --format tap --url "$cr_url" >"$cr_tmp/out" 2>&1
	cr_rc=$?
	cat "$cr_tmp/out"
	# 0: every case passed, 1: some failed; anything else (3: the URL could
	# not be examined, >128: a signal) leaves no complete list to compare.
	if [ "$cr_rc" -ne 0 ] && [ "$cr_rc" -ne 1 ]; then
		rm -rf "$cr_tmp"
		[ "$cr_rc" -eq 3 ] && return 99
		return "$cr_rc"
	fi
	if [ ! -r "$cr_list" ]; then
		echo "FAIL: conformance ($cr_label): no expected list $cr_list" >&2
		rm -rf "$cr_tmp"
		return 1
	fi
	sed -n 's/^ok [0-9]* - \([^ ]*\) # SKIP not applicable: .*/\1/p' "$cr_tmp/out" |
		sort -u >"$cr_tmp/got"
	# "cond: case" holds only in a build with that condition (the
	# "# conditions:" line, e.g. sanitizers).
	cr_conds=$(sed -n 's/^# conditions: //p' "$cr_tmp/out")
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$cr_list" |
		while IFS= read -r cr_line; do
			case $cr_line in
			*:*)
				for cr_c in $cr_conds; do
					[ "$cr_c" = "${cr_line%%:*}" ] && echo "${cr_line#*:}"
				done
				;;
			*) echo "$cr_line" ;;
			esac
		done | sort -u >"$cr_tmp/want"
	cr_bad=0
	# Every case of the plan reported, once.
	cr_plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$cr_tmp/out")
	cr_lines=$(grep -c -E '^(not )?ok [0-9]+ - ' "$cr_tmp/out")
	if [ -z "$cr_plan" ] || [ "$cr_plan" != "$cr_lines" ]; then
		echo "FAIL: conformance ($cr_label): plan 1..${cr_plan:-?} but $cr_lines" \
			"cases reported" >&2
		cr_bad=1
	fi
	cr_own=0
	for cr_case in $(./dal-conformance --list |
		sed -n "s|^[^/]*/\([^ ]*\) (own case of $cr_backend)\$|\1|p"); do
		cr_own=$((cr_own + 1))
		if ! grep -Eq "^(not )?ok [0-9]+ - $cr_case( |\$)" "$cr_tmp/out"; then
			echo "FAIL: conformance ($cr_label): $cr_case, a case of the" \
				"$cr_backend backend's own, was not reported" >&2
			cr_bad=1
		fi
	done
	if [ "$cr_own" -eq 0 ]; then
		echo "FAIL: conformance ($cr_label): dal-conformance --list names no case" \
			"of the $cr_backend backend's own" >&2
		cr_bad=1
	fi
	for cr_case in $(comm -23 "$cr_tmp/got" "$cr_tmp/want"); do
		cr_why=$(sed -n "s/^ok [0-9]* - $cr_case # SKIP not applicable: //p" "$cr_tmp/out")
		echo "FAIL: conformance ($cr_label): $cr_case was not run ($cr_why)," \
			"but $3 does not list it as not applicable" >&2
		cr_bad=1
	done
	for cr_case in $(comm -13 "$cr_tmp/got" "$cr_tmp/want"); do
		echo "FAIL: conformance ($cr_label): $cr_case is listed in $3 as not" \
			"applicable, but it ran or no longer exists" >&2
		cr_bad=1
	done
	if [ "$cr_bad" = 0 ]; then
		echo "conformance ($cr_label): $(wc -l <"$cr_tmp/got" | tr -d ' ') cases not" \
			"applicable, as listed in $3; the $cr_own own cases of $cr_backend reported"
	elif [ "$cr_rc" = 0 ]; then
		cr_rc=1
	fi
	rm -rf "$cr_tmp"
	return "$cr_rc"
}
