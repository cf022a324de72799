#!/usr/bin/env python3
"""Turn the raw lines bench/run collected into bench/RESULTS.md (stdout).

Input, in the work directory given as the only argument:
  results.txt    "round=R RESULT stack=S backend=B workload=W n=OPS ns_per_op=X checksum=H"
                 and SKIP / FAIL lines with a reason
  callgrind.txt  "CG stack=S backend=B workload=W ir=COUNT" and the matching
                 "CGRESULT ..." lines (for the number of operations)
  meta.txt       sizes, machine, library versions
"""
import collections
import re
import statistics
import sys

WORK = sys.argv[1]
BACKENDS = ["sqlite", "mysql", "pgsql"]
TITLES = {"sqlite": "SQLite", "mysql": "MariaDB", "pgsql": "PostgreSQL"}
STACK_ORDER = ["raw", "raw-nomutex", "dal-on", "dal-off", "dal-trace",
               "dbi", "zdb", "apr", "odbx", "odbc"]
STACK_NAMES = {
    "raw": "raw driver API", "raw-nomutex": "raw, SQLITE_OPEN_NOMUTEX",
    "dal-on": "libdal, telemetry on", "dal-off": "libdal, telemetry off",
    "dal-trace": "libdal, telemetry + trace hook", "dbi": "libdbi",
    "zdb": "libzdb", "apr": "APR apr_dbd", "odbx": "OpenDBX", "odbc": "unixODBC",
}
WORKLOADS = {
    "W1": "W1 insert (ns/row, one transaction)",
    "W2": "W2 point select (ns/select)",
    "W3": "W3 full scan (ns/row)",
}
# Calls through the decorator per W2 point select: the reset that binding a
# finished statement implies, the executing step and the step that finds the
# end. Binds and column reads go straight to the plugin (core/stmt.c).
W2_DECORATED_CALLS = 3
TARGET = {"sqlite": 1.05, "mysql": 1.02, "pgsql": 1.02}


def fields(line):
    return dict(re.findall(r"(\w+)=(\S+)", line.split(" reason=")[0]))


def reason(line):
    return line.split(" reason=", 1)[1].strip() if " reason=" in line else ""


times = collections.defaultdict(list)      # (b, s, w) -> [ns]
sums = collections.defaultdict(set)        # (b, s, w) -> {checksum}
skips = {}                                 # (b, s) -> reason
for line in open(f"{WORK}/results.txt"):
    if " RESULT " in line:
        f = fields(line)
        k = (f["backend"], f["stack"], f["workload"])
        times[k].append(float(f["ns_per_op"]))
        sums[k].add(f["checksum"])
    elif " SKIP " in line or " FAIL " in line:
        f = fields(line)
        skips[(f["backend"], f["stack"])] = ("cannot run: " if " SKIP " in line else "failed: ") + reason(line)

ir = {}
ops = {}
try:
    for line in open(f"{WORK}/callgrind.txt"):
        f = fields(line)
        k = (f.get("backend"), f.get("stack"), f.get("workload"))
        if line.startswith("CG "):
            ir[k] = int(f["ir"].replace(",", ""))
        elif line.startswith("CGRESULT"):
            ops[k] = int(f["n"])
except FileNotFoundError:
    pass


def ir_per_op(k):
    return ir[k] / ops[k] if k in ir and ops.get(k) else None


meta = open(f"{WORK}/meta.txt").read().strip().splitlines()


def med(k):
    return statistics.median(times[k]) if times.get(k) else None


def fmt_ns(x):
    if x is None:
        return "—"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def present(b):
    return [s for s in STACK_ORDER if any((b, s, w) in times for w in WORKLOADS) or (b, s) in skips]


def checksum_ok(b, s, w):
    ref = sums.get((b, "raw", w))
    mine = sums.get((b, s, w))
    return not ref or not mine or mine == ref


out = []
p = out.append
p("# libdal benchmark results")
p("")
p("Written by `bench/run` (see `bench/README.md`); do not edit by hand. Each cell is the")
p("median of the timed runs, its ratio to the raw driver API (`×`; below 1 is faster than")
p("raw), and min–max over the runs. Stacks ran in alternation, the order rotating each")
p("round. A ✗ marks a checksum that differs from raw's: that stack returned different")
p("data (the notes say what).")
p("")
p("```")
for m in meta:
    p(m)
p("```")

spreads = sorted(max(v) / min(v) for v in times.values() if v and min(v) > 0)
if spreads:
    mid = spreads[len(spreads) // 2]
    p("")
    p(f"Run-to-run spread (max/min of a cell), median over all cells: ×{mid:.2f}."
      + (" The machine was busy while this ran: wall-time ratios within that spread are"
         " noise; read the callgrind tables, which do not depend on load." if mid > 1.15 else ""))

for b in BACKENDS:
    stacks = present(b)
    if not stacks:
        continue
    p("")
    p(f"## {TITLES[b]}")
    p("")
    p("| stack | " + " | ".join(WORKLOADS.values()) + " |")
    p("|---|" + "---|" * len(WORKLOADS))
    for s in stacks:
        if (b, s) in skips and not any((b, s, w) in times for w in WORKLOADS):
            p(f"| {STACK_NAMES[s]} | " + " | ".join(["—"] * len(WORKLOADS)) + " |")
            continue
        cells = []
        for w in WORKLOADS:
            k = (b, s, w)
            m, r = med(k), med((b, "raw", w))
            if m is None:
                cells.append("—")
                continue
            ratio = f" ×{m / r:.2f}" if r else ""
            mark = "" if checksum_ok(b, s, w) else " ✗"
            cells.append(f"**{fmt_ns(m)}**{ratio}{mark}<br>{fmt_ns(min(times[k]))}–{fmt_ns(max(times[k]))}")
        p(f"| {STACK_NAMES[s]} | " + " | ".join(cells) + " |")
    if any((b, s, w) in ir for s in stacks for w in WORKLOADS):
        p("")
        p(f"Instructions per operation under callgrind (client process only; ratio to raw):")
        p("")
        p("| stack | " + " | ".join(w for w in WORKLOADS) + " |")
        p("|---|" + "---|" * len(WORKLOADS))
        for s in stacks:
            cells = []
            for w in WORKLOADS:
                x, r = ir_per_op((b, s, w)), ir_per_op((b, "raw", w))
                cells.append("—" if x is None else f"{x:,.0f}" + (f" ×{x / r:.2f}" if r else ""))
            p(f"| {STACK_NAMES[s]} | " + " | ".join(cells) + " |")
    notes = [f"- {STACK_NAMES[s]}: {skips[(b, s)]}" for s in stacks if (b, s) in skips]
    for s in stacks:
        bad = [w for w in WORKLOADS if not checksum_ok(b, s, w)]
        if bad:
            notes.append(f"- {STACK_NAMES[s]}: checksum differs from raw on {', '.join(bad)}")
    if notes:
        p("")
        p("Notes:")
        p("")
        out.extend(notes)

# ---- targets -----------------------------------------------------------------
p("")
p("## libdal against the design targets")
p("")
p("Target: telemetry on within ×1.05 of raw on SQLite and ×1.02 on the servers (wall time")
p("and instructions), and faster than every peer on every workload.")
p("")
p("| backend | workload | dal-on / raw (time) | dal-on / raw (instr.) | best peer / raw (time) | verdict |")
p("|---|---|---|---|---|---|")
for b in BACKENDS:
    for w in WORKLOADS:
        r, d = med((b, "raw", w)), med((b, "dal-on", w))
        if r is None or d is None:
            continue
        ri, di = ir_per_op((b, "raw", w)), ir_per_op((b, "dal-on", w))
        peers = [(med((b, s, w)), s) for s in ["dbi", "zdb", "apr", "odbx", "odbc"]
                 if med((b, s, w)) is not None]
        best = min(peers) if peers else None
        ok_t = d / r <= TARGET[b]
        ok_i = ri is None or di is None or di / ri <= TARGET[b]
        ahead = best is None or d < best[0]
        verdict = "meets" if ok_t and ok_i and ahead else "misses: " + ", ".join(
            x for x, bad in [("time", not ok_t), ("instructions", not ok_i),
                             (f"behind {best[1] if best else ''}", not ahead)] if bad)
        p(f"| {TITLES[b]} | {w} | ×{d / r:.3f} | "
          + (f"×{di / ri:.3f}" if ri and di else "—") + " | "
          + (f"×{best[0] / r:.2f} ({best[1]})" if best else "—") + f" | {verdict} |")

# ---- telemetry cost ----------------------------------------------------------
p("")
p("## Telemetry decorator cost")
p("")
p("From the SQLite rows above (the fastest backend, where the decorator's share is")
p("largest). W2 is a prepared point select: per select the decorator sees "
  f"{W2_DECORATED_CALLS} calls")
p("(the reset implied by binding again, the executing step, the final step; binds and")
p("column reads go straight to the plugin), one of them timed")
p("(two clock reads). Per-call cost = (on − off) / calls; the wall-time difference is")
p("close to the run-to-run noise, the instruction difference is exact.")
p("")
p("| workload | off | on | on/off | on − off per op | trace | trace/off | trace − off per op |")
p("|---|---|---|---|---|---|---|---|")
for w in WORKLOADS:
    off, on, tr = (med(("sqlite", s, w)) for s in ("dal-off", "dal-on", "dal-trace"))
    if off is None or on is None:
        continue
    p(f"| {w} | {fmt_ns(off)} ns | {fmt_ns(on)} ns | ×{on / off:.3f} | {on - off:+.1f} ns | "
      + (f"{fmt_ns(tr)} ns | ×{tr / off:.3f} | {tr - off:+.1f} ns |" if tr else "— | — | — |"))
io, ii, it = (ir_per_op(("sqlite", s, "W2")) for s in ("dal-off", "dal-on", "dal-trace"))
on, off, tr = (med(("sqlite", s, "W2")) for s in ("dal-on", "dal-off", "dal-trace"))
if on and off:
    p("")
    p(f"- W2 per decorated call, wall time: {(on - off) / W2_DECORATED_CALLS:+.1f} ns "
      f"(telemetry on), {((tr or off) - off) / W2_DECORATED_CALLS:+.1f} ns (with a trace hook).")
if io and ii:
    p(f"- W2 per decorated call, instructions: {(ii - io) / W2_DECORATED_CALLS:+.1f} "
      f"(telemetry on), {((it or io) - io) / W2_DECORATED_CALLS:+.1f} (with a trace hook); "
      f"on/off ×{ii / io:.3f}" + (f", trace/off ×{it / io:.3f}." if it else "."))
print("\n".join(out))
