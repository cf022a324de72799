#!/bin/sh
# Line and branch coverage of core/ and each plugin (docs/testing.md,
# "Coverage"): `make coverage`, or scripts/coverage.sh [BUILD_DIR].
#
# Configures a separate gcov build (--coverage) in BUILD_DIR (default:
# ./build-coverage), runs `make check` there against the servers named by
# DAL_TEST_MYSQL_URL and DAL_TEST_PGSQL_URL (scripts/test-servers.sh; both
# are required, the plugins' figures depend on them) -- and `make
# check-recovery` too when DAL_TEST_SERVER_DIR names those servers'
# directory (it kills and restarts them), and `make check-cluster` when
# DAL_TEST_CLUSTER_DIR names running clusters (scripts/test-cluster.sh;
# the replica and Galera node checks run only there) -- and reports line and
# branch coverage per file with gcovr, then per group -- core, sqlite, mysql,
# pgsql -- and in all: BUILD_DIR/coverage.txt (the table), coverage.md (the
# same as Markdown, for docs/testing.md), coverage.json (gcovr's summary).
#
# Fails if `make check` fails, or if a group's total is below its floor in
# tests/coverage-floor.txt (lines and branches, in percent). Raise a floor
# there when coverage has grown; never lower one to make this pass.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$PWD/build-coverage}
floor=$top/tests/coverage-floor.txt

for v in DAL_TEST_MYSQL_URL DAL_TEST_PGSQL_URL; do
	if eval "[ -z \"\${$v:-}\" ]"; then
		echo "coverage: $v is not set: start the servers (scripts/test-servers.sh) and" \
			"export their env" >&2
		exit 1
	fi
done
if ! command -v gcovr >/dev/null; then
	echo "coverage: gcovr not found (scripts/deps.sh --all installs it)" >&2
	exit 1
fi

start=$(date +%s)
rm -rf "$build"
mkdir -p "$build"
cd "$build"
# -O0 keeps lines and branches as written (the test timeouts are generous
# enough for the slower code). Atomic counters: the pool and recovery tests
# run threads, and racy counters make gcov derive negative branch counts,
# which gcovr refuses.
"$top/configure" -q --with-sqlite=yes --with-mysql=yes --with-pgsql=yes \
	CFLAGS="-O0 -g --coverage -fprofile-update=atomic" LDFLAGS="--coverage"
make -j"$(nproc)" -s >/dev/null
built=$(date +%s)
# test_oom starts its SQLite runs warm here: in a cold run the plugin's load
# fails under injected allocation failures, and the dlclose that follows
# runs gcov's dump in the plugin, which crashes when malloc fails (gcov's
# runtime, not libdal: the plain and sanitizer builds run it cold).
DAL_OOM_START=warm
export DAL_OOM_START
if ! make -s check >check.log 2>&1; then
	cat check.log
	cat tests/test-suite.log 2>/dev/null || true
	echo "coverage: make check failed" >&2
	exit 1
fi
grep -h '^# \(TOTAL\|PASS\|SKIP\|FAIL\|ERROR\)' tests/test-suite.log
# test_oom's forked children end with _exit() (no atexit handlers), which
# also skips gcov's dump: what they ran -- the out-of-memory paths -- is not
# counted. So test_oom runs once more with an _exit() that calls exit()
# first, for its counters only: its verdict is the one of make check above.
cat >gcov-exit.c <<'EOF'
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
void _exit(int status)
{
	static int in;
	if (!in) {
		in = 1;
		exit(status); /* gcov's destructors write the counters */
	}
	syscall(SYS_exit_group, status);
	for (;;)
		;
}
EOF
${CC:-cc} -shared -fPIC -o gcov-exit.so gcov-exit.c
(cd tests && DAL_PLUGIN_PATH=$build/plugins/sqlite:$build/plugins/mysql:$build/plugins/pgsql \
	LD_PRELOAD=$build/gcov-exit.so ./test_oom >test_oom-coverage.log 2>&1) || true
# The pool against servers that are killed and restarted (make
# check-recovery), when DAL_TEST_SERVER_DIR names the servers'
# directory (scripts/test-servers.sh): its verdict counts.
if [ -n "${DAL_TEST_SERVER_DIR:-}" ]; then
	if ! make -s check-recovery >check-recovery.log 2>&1; then
		cat check-recovery.log
		echo "coverage: make check-recovery failed" >&2
		exit 1
	fi
else
	echo "coverage: DAL_TEST_SERVER_DIR is not set: check-recovery not run, its paths" \
		"not counted"
fi
# The scale-out tests against running clusters (make check-cluster), when
# DAL_TEST_CLUSTER_DIR names them (scripts/test-cluster.sh): its verdict
# counts.
if [ -n "${DAL_TEST_CLUSTER_DIR:-}" ]; then
	if ! make -s check-cluster >check-cluster.log 2>&1; then
		cat check-cluster.log
		echo "coverage: make check-cluster failed" >&2
		exit 1
	fi
else
	echo "coverage: DAL_TEST_CLUSTER_DIR is not set: check-cluster not run, the" \
		"replica and Galera node checks not counted"
fi
checked=$(date +%s)

# configure's own test programs were built with --coverage too.
rm -f ./*conftest.gcno ./*conftest.gcda
# Branches the compiler made that no source line can take are left out.
gcovr -r "$top" --object-directory "$build" --filter "$top/core/" --filter "$top/plugins/" \
	--exclude-unreachable-branches --json-summary-pretty -o coverage.json "$build"

rc=0
python3 - coverage.json "$floor" <<'EOF' || rc=$?
import json, sys

summary = json.load(open(sys.argv[1]))
floors = {}
for line in open(sys.argv[2]):
    f = line.split('#', 1)[0].split()
    if f:
        floors[f[0]] = (float(f[1]), float(f[2]))

def group(name):
    if name.startswith('core/'):
        return 'core'
    if name.startswith('plugins/'):
        return name.split('/')[1]
    return None

def pct(c, t):
    return 100.0 * c / t if t else 100.0

groups, files = {}, []
for f in sorted(summary['files'], key=lambda f: f['filename']):
    g = group(f['filename'])
    if not g:
        continue
    files.append(f)
    acc = groups.setdefault(g, [0, 0, 0, 0])
    for i, k in enumerate(('line_covered', 'line_total', 'branch_covered', 'branch_total')):
        acc[i] += f[k]
acc = [sum(a[i] for a in groups.values()) for i in range(4)]
groups['all'] = acc

txt = open('coverage.txt', 'w')
md = open('coverage.md', 'w')
def row(name, lc, lt, bc, bt):
    t = '%-28s %5d/%-5d %5.1f %%   %5d/%-5d %5.1f %%' % (name, lc, lt, pct(lc, lt), bc, bt,
                                                        pct(bc, bt))
    print(t)
    txt.write(t + '\n')
    md.write('| %s | %.1f %% (%d/%d) | %.1f %% (%d/%d) |\n' % (
        name if '/' in name else '**%s**' % name, pct(lc, lt), lc, lt, pct(bc, bt), bc, bt))
head = '%-28s %-19s %s' % ('file', 'lines', 'branches')
print(head)
txt.write(head + '\n')
md.write('| file | lines | branches |\n|---|---|---|\n')
order = ['core', 'sqlite', 'mysql', 'pgsql']
order += sorted(g for g in groups if g not in order and g != 'all') + ['all']
for g in order:
    if g not in groups:
        continue
    if g != 'all':
        for f in files:
            if group(f['filename']) == g:
                row(f['filename'], f['line_covered'], f['line_total'], f['branch_covered'],
                    f['branch_total'])
    row(g, *groups[g])

bad = 0
for g, (lf, bf) in floors.items():
    if g not in groups:
        print('coverage: FAIL: no files of group %s (floor in %s)' % (g, sys.argv[2]))
        bad = 1
        continue
    lc, lt, bc, bt = groups[g]
    for what, have, want in (('lines', pct(lc, lt), lf), ('branches', pct(bc, bt), bf)):
        if have + 1e-9 < want:
            print('coverage: FAIL: %s %s %.1f %% is below its floor %.1f %% (%s)' % (
                g, what, have, want, sys.argv[2]))
            bad = 1
sys.exit(bad)
EOF
done_=$(date +%s)
echo "coverage: build $((built - start)) s, the tests $((checked - built)) s, report" \
	"$((done_ - checked)) s; per file in $build/coverage.txt"
exit $rc
