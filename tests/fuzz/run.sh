#!/bin/sh
# Run libdal's libFuzzer targets (built by tests/fuzz/fuzz.mk), one after
# the other, each for FUZZ_SECONDS seconds (default 60), or FUZZ_RUNS
# executions if that comes first:
#
#   tests/fuzz/run.sh BINDIR [TARGET...]
#
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET, read
# only) and the dictionary tests/fuzz/dal.dict, with inputs up to 1 MiB,
# at most 10 s per input (a quadratic blow-up fails as a timeout) and
# 2 GiB of memory. New inputs go to a work corpus, FUZZ_CORPUS_DIR/TARGET
# if set, else a temporary directory; crash inputs go to a temporary
# directory, never into the source tree. Exit status 1 if any target
# crashed, leaked, timed out or ran out of memory; the log and the input
# are kept and named.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bindir=${1:?usage: run.sh BINDIR [TARGET...]}
shift
[ $# -gt 0 ] || set -- fuzz_placeholder fuzz_url fuzz_settings fuzz_ini fuzz_hostlist
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dal-fuzz.XXXXXX")
failed=""

for t in "$@"; do
	bin=$bindir/$t
	if [ ! -x "$bin" ]; then
		echo "$t: $bin not built" >&2
		failed="$failed $t"
		continue
	fi
	if [ -n "${FUZZ_CORPUS_DIR:-}" ]; then
		work=$FUZZ_CORPUS_DIR/$t
	else
		work=$tmp/corpus-$t
	fi
	mkdir -p "$work" "$tmp/artifacts-$t"
	log=$tmp/$t.log
	start=$(date +%s)
	# -jobs/-workers are not used: one process per target (2-core machine).
	"$bin" -max_len=1048576 -timeout=10 -rss_limit_mb=2048 \
		-max_total_time="$seconds" ${runs:+-runs="$runs"} \
		-dict="$here/dal.dict" -print_final_stats=1 \
		-artifact_prefix="$tmp/artifacts-$t/" \
		"$work" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[bKM]*' "$log" | tail -n 1 | cut -d' ' -f2)
	rate=$((${execs:-0} / (secs > 0 ? secs : 1)))
	if [ "$rc" -eq 0 ]; then
		echo "$t: ok: ${execs:-?} executions in ${secs} s (${rate}/s), cov ${cov:-?}, corpus ${corp:-?}"
	else
		echo "$t: FAILED (exit $rc) after ${execs:-?} executions in ${secs} s; log: $log" >&2
		grep -a -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|ALARM|.*runtime error)' "$log" | head -n 5 >&2
		for a in "$tmp/artifacts-$t"/*; do
			[ -e "$a" ] && echo "  input: $a" >&2
		done
		failed="$failed $t"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (files kept in $tmp)" >&2
	exit 1
fi
rm -rf "$tmp"
echo "fuzz: all $# targets ok (${seconds} s each)"
