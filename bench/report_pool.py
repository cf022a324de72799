#!/usr/bin/env python3
"""Turn what bench/run-pool collected into the "Pool" section of
bench/RESULTS.md (markdown on stdout; run-pool puts it between the markers).

Input, in the work directory given as the only argument:
  pool.txt          bench_pool's lines: POOL test=latency|qps ..., POOLCHECK,
                    POOLMETA, and POOLSKIP / POOLFAIL with a reason
  pool-profile.txt  CGPAIRS / CGTOTAL / CGSELF (callgrind of the uncontended
                    loop), PERFNS / PERF (perf of the same loop); may be empty
  pool-meta.txt     date, machine, load, versions, settings
"""
import collections
import re
import statistics
import sys

WORK = sys.argv[1]
TITLES = {"sqlite": "SQLite", "sqlite-nomemstatus": "SQLite, SQLITE_CONFIG_MEMSTATUS off",
          "mysql": "MariaDB", "pgsql": "PostgreSQL"}
ORDER = ["sqlite", "sqlite-nomemstatus", "mysql", "pgsql"]
STACKS = ["raw", "dal", "dal-notel", "dal-each", "raw-each"]
STACK_NAMES = {
    "raw": "raw driver API, one connection per thread",
    "dal": "libdal, one repository, connection held per thread",
    "dal-notel": "libdal, held, `telemetry=off`",
    "dal-each": "libdal, acquire + prepare + release around every query",
    "raw-each": "raw, prepare + finalize around every query (reference for dal-each)",
}
LAT_TARGET_NS = 200.0
QPS_TARGET = 0.95


def fields(line):
    return dict(re.findall(r"(\w+)=(\S+)", line.split(" reason=")[0]))


lat = collections.defaultdict(list)        # (b, impl, T) -> [ns_per_pair]
lat_thr = collections.defaultdict(list)    # (b, impl, T) -> [thread_ns_per_pair]
lat_cpu = collections.defaultdict(list)    # (b, impl, T) -> [cpu_ns_per_pair]
qps = collections.defaultdict(dict)        # (b, stack) -> {run: qps}
qcpu = collections.defaultdict(dict)       # (b, stack) -> {run: cpu ns per query}
sums = collections.defaultdict(set)        # b -> {checksum}
checks = collections.defaultdict(list)     # b -> [POOLCHECK fields]
problems = {}                              # b -> text
meta_b = {}
for line in open(f"{WORK}/pool.txt"):
    f = fields(line)
    if line.startswith("POOL "):
        if f["test"] == "latency":
            k = (f["backend"], f["impl"], int(f["threads"]))
            lat[k].append(float(f["ns_per_pair"]))
            lat_thr[k].append(float(f["thread_ns_per_pair"]))
            if "cpu_ns_per_pair" in f:
                lat_cpu[k].append(float(f["cpu_ns_per_pair"]))
        else:
            qps[(f["backend"], f["stack"])][int(f["run"])] = float(f["qps"])
            if "cpu_ns_per_query" in f:
                qcpu[(f["backend"], f["stack"])][int(f["run"])] = float(f["cpu_ns_per_query"])
            sums[f["backend"]].add(f["checksum"])
    elif line.startswith("POOLCHECK"):
        checks[f["backend"]].append(f)
    elif line.startswith("POOLMETA"):
        meta_b[f["backend"]] = f
    elif line.startswith(("POOLSKIP", "POOLFAIL")):
        why = line.split(" reason=", 1)[1].strip() if " reason=" in line else ""
        problems[f["backend"]] = ("not run: " if line.startswith("POOLSKIP") else "failed: ") + why

meta = dict(l.rstrip("\n").split("=", 1) for l in open(f"{WORK}/pool-meta.txt") if "=" in l)
try:
    prof = [l.split(None, 1) for l in open(f"{WORK}/pool-profile.txt") if l.strip()]
except FileNotFoundError:
    prof = []


def med(v):
    return statistics.median(v) if v else None


def fmt(x, nd=0):
    if x is None:
        return "—"
    return f"{x:,.{nd}f}"


def span(v, nd=0):
    return f"{fmt(min(v), nd)}–{fmt(max(v), nd)}" if v else ""


out = []
p = out.append
p("## Pool")
p("")
p("Written by `bench/run-pool` (also run at the end of `bench/run`; see `bench/README.md`):")
p("the text between the `pool:begin` / `pool:end` markers is regenerated, the notes after")
p("them are written by hand. Program: `bench/bench_pool.c`.")
p("")
p("```")
p(f"date={meta.get('date', '?')}")
p(f"command=bench/run-pool   ({meta.get('settings', '')})")
for k in ("cpu", "load_before", "sqlite", "libdal", "clock_gettime", "seconds"):
    if k in meta:
        p(f"{k}={meta[k]}")
p("```")
p("")
nproc = re.search(r"nproc=(\d+)", meta.get("cpu", ""))
nproc = int(nproc.group(1)) if nproc else None
if nproc is not None:
    p(f"**This machine has {nproc} cores.** With more threads than cores (4 and 8 here) the")
    p("figures measure contention and scheduling, not parallel speed-up: 8 threads on 2 cores")
    p("can at best do the work of 2. The servers ran on the same cores as the client.")
    try:
        la = float(meta.get("load_before", "0").split()[0])
    except ValueError:
        la = 0.0
    if nproc and la > 0.5 * nproc:
        p(f"The machine was shared while this ran (load average {meta.get('load_before')} before,")
        p(f"{meta.get('load_after', '?')} after, which counts this benchmark's own threads): read the")
        p("medians, the per-round ratios and the CPU columns, not single runs.")
    p("")

# ---- latency -------------------------------------------------------------------
lat_backends = [b for b in ORDER if any(k[0] == b for k in lat)]
if lat_backends:
    p("### Acquire + release")
    p("")
    p("`dal_conn_acquire()` + `dal_conn_release()` in a loop, nothing run on the connection;")
    p("T threads share one repository with `pool_size` = 8, `max_overflow` = 0, so nobody waits")
    p("for a connection; `pre_ping` at its default (on for servers) and never triggered, no")
    p("connection made or closed while timed (checked by the program). **ns/pair** = wall time")
    p("/ all pairs (the pool's throughput, inverted); **per thread** = each thread's elapsed")
    p("time / its own pairs (what a caller waits, including time descheduled when T > cores);")
    p("**CPU** = the threads' CPU time / all pairs (what the pair costs the machine; not")
    p("inflated by other processes taking the cores). **mutex + list** is the floor for any")
    p("pool behind one lock: the same loop over a bare `pthread_mutex` and a LIFO list.")
    p("Median (min–max) of the rounds.")
    p("")
    p("| backend | threads | libdal ns/pair | libdal per thread | libdal CPU ns/pair | mutex + list ns/pair | mutex + list CPU | libdal − floor (CPU) |")
    p("|---|---|---|---|---|---|---|---|")
    for b in lat_backends:
        for T in sorted({k[2] for k in lat if k[0] == b}):
            d, r = lat.get((b, "dal", T), []), lat.get((b, "mutex", T), [])
            dt = lat_thr.get((b, "dal", T), [])
            dc, rc = lat_cpu.get((b, "dal", T), []), lat_cpu.get((b, "mutex", T), [])
            diff = f"{med(dc) - med(rc):+,.0f} ns" if dc and rc else "—"
            p(f"| {TITLES[b]} | {T} | **{fmt(med(d), 1)}** ({span(d, 1)}) | {fmt(med(dt))} "
              f"| {fmt(med(dc), 1)} | {fmt(med(r), 1)} ({span(r, 1)}) | {fmt(med(rc), 1)} | {diff} |")
    p("")
    rows = []
    for b in lat_backends:
        d = med(lat.get((b, "dal", 1), []))
        if d is None:
            continue
        c = med(lat_cpu.get((b, "dal", 1), []))
        fw, fc = med(lat.get((b, "mutex", 1), [])), med(lat_cpu.get((b, "mutex", 1), []))
        # The cores were shared when even the floor's wall time is well
        # above its CPU time with one thread.
        shared = fw is not None and fc and fw > 1.3 * fc
        if d < LAT_TARGET_NS:
            v = "met"
        elif c is not None and c < LAT_TARGET_NS and shared:
            v = (f"**missed on wall time** by {d - LAT_TARGET_NS:,.0f} ns while the cores were "
                 f"shared (the mutex floor's wall time was ×{fw / fc:.1f} its CPU time in the same "
                 f"rounds); its CPU time, {c:,.1f} ns, meets it")
        else:
            v = f"**missed** by {d - LAT_TARGET_NS:,.0f} ns (×{d / LAT_TARGET_NS:.2f})"
        rows.append(f"- {TITLES[b]}: {d:,.1f} ns wall"
                    + (f", {c:,.1f} ns CPU" if c is not None else "") + f": {v}")
    if rows:
        p(f"Target: acquire + release under {LAT_TARGET_NS:.0f} ns uncontended (1 thread; wall "
          "time, median):")
        p("")
        out.extend(rows)
        p("")

# ---- qps -----------------------------------------------------------------------
qps_backends = [b for b in ORDER if any(k[0] == b for k in qps) or b in problems]
if qps_backends:
    T = next((int(m["qps_threads"]) for m in meta_b.values() if "qps_threads" in m), 8)
    p(f"### {T} threads of prepared point selects")
    p("")
    p(f"W2 of `bench_raw`/`bench_dal` (`SELECT id, name, score, payload FROM bench_t WHERE id = ?`,")
    p(f"every column read, keys from a fixed-seed sequence per thread) on {T} threads at once;")
    p("connecting and the first prepare happen before the clock starts. Queries per second,")
    p("median (min–max) of the rounds; **× raw** is the median of the per-round ratios to raw")
    p("(each round runs every stack once, in rotating order, so a slow moment of the machine")
    p("hits a round's stacks alike). **client CPU** = the threads' CPU time per query (on the")
    p("servers the client's share only); **raw CPU / CPU** = the throughput ratio the CPU cost")
    p("alone predicts when the client is the bottleneck, median of per-round ratios: it is")
    p("not inflated by other processes competing for the cores. Every stack read the same")
    p("rows (checksums equal).")
    targets = []
    for b in qps_backends:
        p("")
        m = meta_b.get(b, {})
        extra = (f", {m.get('rows', '?')} rows, {int(m.get('queries_per_thread', 0)) * T:,} queries "
                 f"per measurement") if m else ""
        p(f"**{TITLES[b]}**{extra}")
        p("")
        if b in problems and not any(k[0] == b for k in qps):
            p(f"{problems[b]}")
            continue
        p("| stack | queries/s | × raw | client CPU µs/query | raw CPU / CPU |")
        p("|---|---|---|---|---|")
        raw, rawc = qps.get((b, "raw"), {}), qcpu.get((b, "raw"), {})
        for s_ in STACKS:
            v, vc = qps.get((b, s_), {}), qcpu.get((b, s_), {})
            if not v:
                continue
            ratios = [v[r] / raw[r] for r in v if r in raw]
            cratios = [rawc[r] / vc[r] for r in vc if r in rawc and vc[r]]
            rr, cr = med(ratios), med(cratios)
            cells = [f"**{fmt(med(list(v.values())))}** ({span(list(v.values()))})"]
            cells.append(f"×{rr:.3f} ({min(ratios):.2f}–{max(ratios):.2f})" if s_ != "raw" and ratios else "×1")
            cells.append(f"{med(list(vc.values())) / 1000:,.2f}" if vc else "—")
            cells.append(f"×{cr:.3f} ({min(cratios):.2f}–{max(cratios):.2f})" if s_ != "raw" and cratios else ("×1" if vc else "—"))
            p(f"| {STACK_NAMES[s_]} | " + " | ".join(cells) + " |")
            if s_ == "dal" and ratios:
                targets.append((b, rr, cr, min(ratios), max(ratios)))
        if len(sums.get(b, ())) > 1:
            p("")
            p(f"✗ checksums differ between stacks: {', '.join(sorted(sums[b]))}")
        if b in problems:
            p("")
            p(problems[b])
    # libdal as shipped next to the fastest raw SQLite configuration.
    a, z = qps.get(("sqlite", "dal"), {}), qps.get(("sqlite-nomemstatus", "raw"), {})
    if a and z:
        cross = med(list(a.values())) / med(list(z.values()))
        p("")
        p(f"libdal with SQLite's default process configuration next to raw SQLite with")
        p(f"`SQLITE_CONFIG_MEMSTATUS` off (the fastest raw configuration measured): ×{cross:.2f} "
          "(medians; different processes, so not a per-round ratio).")
    if targets:
        p("")
        p(f"Target: {T}-thread pooled throughput (held connections) at least ×{QPS_TARGET} of {T} raw "
          "connections:")
        p("")
        for b, r, c, lo, hi in targets:
            verdict = ("met" if r >= QPS_TARGET else
                       f"**missed** by {(QPS_TARGET - r) * 100:.1f} points")
            if lo < QPS_TARGET <= hi:
                verdict += f" (rounds ×{lo:.2f}–×{hi:.2f}: the target lies within this run's noise)"
            p(f"- {TITLES[b]}: throughput ×{r:.3f}, {verdict}"
              + (f"; by client CPU ×{c:.3f} ("
                 + ("≥" if c >= QPS_TARGET else "<") + f" ×{QPS_TARGET})" if c else ""))
    p("")

# ---- profiles ------------------------------------------------------------------
cg_pairs = next((int(v) for k, v in prof if k == "CGPAIRS"), None)
cg_total = next((int(v.replace(",", "")) for k, v in prof if k == "CGTOTAL"), None)
if cg_pairs and cg_total:
    p("### Where the uncontended acquire + release goes")
    p("")
    p(f"`bench_pool --profile`: the 1-thread loop alone, {cg_pairs:,} pairs. Callgrind: "
      f"**{cg_total / cg_pairs:,.0f} instructions per pair**, self cost by function:")
    p("")
    p("| function | instr./pair |")
    p("|---|---|")
    for k, v in prof:
        if k != "CGSELF":
            continue
        ir, name = v.split(None, 1)
        ir = int(ir.replace(",", ""))
        if ir >= cg_total or "PROGRAM TOTALS" in name:
            continue
        if ir / cg_pairs < 0.5:
            continue
        fn = re.sub(r" \[.*\]$", "", name.strip())
        fn = re.sub(r"^.*/", "", fn)
        p(f"| `{fn}` | {ir / cg_pairs:,.1f} |")
    p("")
    p("Callgrind counts instructions: a `clock_gettime()` shows as a dozen, but its wall cost")
    p("is the vDSO's clock read, which perf sees:")
    p("")
perf_rows = [v.split(None, 2) for k, v in prof if k == "PERF"]
perf_ns = next((float(v) for k, v in prof if k == "PERFNS"), None)
if perf_rows:
    if not (cg_pairs and cg_total):
        p("### Where the uncontended acquire + release goes")
        p("")
    p(f"perf, the same loop with 20,000,000 pairs ({fmt(perf_ns, 1)} ns of CPU per pair while "
      "sampled); share of samples by function (self), and that share of the pair's CPU time")
    p("(rough: instructions that wait, like the clock read, collect more than their share):")
    p("")
    p("| share | object | function | ≈ ns of CPU per pair |")
    p("|---|---|---|---|")
    for pct, dso, sym in perf_rows:
        try:
            x = float(pct)
        except ValueError:
            continue
        if x < 0.5:
            continue
        p(f"| {x:.1f}% | {dso} | `{sym.strip()}` | "
          + (f"{x / 100 * perf_ns:.1f}" if perf_ns else "—") + " |")
    p("")

print("\n".join(out))
