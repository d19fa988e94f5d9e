#!/usr/bin/env python3
"""Phases of one short berth process from `perf script` output (bench/startup_breakdown.sh).

usage: startup_breakdown.py [--top N] SCRIPT_OUTPUT...   (one file per run)

Prints a table of each phase's median wall and CPU time over the runs; --top N adds, for the
first run, the N functions most often on the CPU in each phase (the leaf of each sample: the
build has no frame pointers, so no call chains).

Each file is `perf script -F tid,time,event,ip,sym,dso` of one run recorded with the probes and tracepoints
startup_breakdown.sh sets: the markers split the run's wall time into phases, and the cpu-clock
samples (every thread of the process) give each phase's CPU time. A marker that never fired (a
command without a model, say) leaves its phase out; phases are always measured from the previous
marker that did fire.
"""

import collections
import re
import statistics
import sys

# (marker event, which occurrence, the phase that ENDS at this marker), in time order, all on the
# main thread.
MARKERS = [
    ("sched:sched_process_exec", "first", None),
    ("probe_ld:call_init", "first", "exec, mapping and relocating the shared objects"),
    ("probe_berth:main", "first", "static initialisers (every shared object's, then Berth's)"),
    ("probe_berth:check_ck", "first", "main's set-up: CLI, logging, output guard"),
    ("probe_berth:predictor", "first", "checkpoint check and text settings"),
    ("probe_berth:load", "first", "predictor set-up (threads, tokenizer thread started)"),
    ("probe_berth:load_ret__return", "last", "model load (config, safetensors, modules)"),
    ("probe_berth:table", "first", "rest of the predictor (q/k/v, tokenizer joined), output"),
    ("probe_berth:table_ret__return", "last", "read, tokenize, forward, write"),
    ("probe_libc:exit", "first", "after predict: summary line, locals' destructors"),
    # With the fast exit (common/fast_exit.h) exit() is never called: this phase then starts
    # where predict returned and holds the summary line and the flushes.
    ("syscalls:sys_enter_exit_group", "first", "exit(): atexit handlers, static destructors"),
    ("sched:sched_process_exit", "main", "kernel: the address space torn down"),
]
# Spans that may run beside the phases above (the tokenizer loads on a thread of its own since
# the start-up round; before it, inside "rest of the predictor"): (entry, return, name).
SPANS = [("probe_berth:tok", "probe_berth:tok_ret__return", "  tokenizer load (its own span)")]

LINE = re.compile(r"^\s*(\d+)\s+([\d.]+):\s+(?:\d+\s+)?([\w:-]+):\s*(?:[0-9a-f]+\s+)?(.*)$")


def phases(path, top=0):
    events = []  # (time, tid, event, symbol and object of a sample)
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if m:
            events.append((float(m.group(2)), int(m.group(1)), m.group(3), m.group(4).strip()))
    events.sort()
    exec_ev = [e for e in events if e[2] == "sched:sched_process_exec"]
    if not exec_ev:
        sys.exit(f"{path}: no sched_process_exec event; was the run recorded with -e sched:*?")
    pid = exec_ev[0][1]
    stamps = []  # (time, phase name ending there)
    for name, which, phase in MARKERS:
        hits = [e for e in events if e[2] == name]
        if name == "sched:sched_process_exit":
            hits = [e for e in hits if e[1] == pid]
        if not hits:
            continue
        t = hits[-1][0] if which == "last" else hits[0][0]
        stamps.append((t, phase))
    samples = [(e[0], e[3]) for e in events if e[2] == "cpu-clock"]
    period_ms = 1000.0 / FREQ
    out = []
    for (t0, _), (t1, phase) in zip(stamps, stamps[1:]):
        inside = [sym for t, sym in samples if t0 <= t < t1]
        out.append((phase, (t1 - t0) * 1000.0, len(inside) * period_ms))
        if top:
            print(f"-- {phase}: {len(inside)} samples")
            for sym, n in collections.Counter(s[:110] for s in inside).most_common(top):
                print(f"   {n * period_ms:6.1f} ms  {sym}")
    for begin, end, name in SPANS:
        b = [e for e in events if e[2] == begin]
        f = [e for e in events if e[2] == end]
        if b and f:
            tid = b[0][1]
            cpu = sum(1 for e in events if e[2] == "cpu-clock" and e[1] == tid
                      and b[0][0] <= e[0] < f[-1][0]) * period_ms
            out.append((name, (f[-1][0] - b[0][0]) * 1000.0, cpu))
    total = (stamps[-1][0] - stamps[0][0]) * 1000.0
    return out, total, len(samples) * period_ms


FREQ = 1000  # cpu-clock sampling frequency used by startup_breakdown.sh (-F)


def main():
    args = sys.argv[1:]
    top = 0
    if args[:1] == ["--top"]:
        top, args = int(args[1]), args[2:]
    runs = [phases(p, top if i == 0 else 0) for i, p in enumerate(args)]
    if not runs:
        sys.exit(__doc__)
    names = [p for p, _, _ in runs[0][0]]
    print(f"{'phase':58} {'wall ms median (min-max)':>26} {'CPU ms':>8}")
    for i, name in enumerate(names):
        walls = [r[0][i][1] for r in runs if i < len(r[0]) and r[0][i][0] == name]
        cpus = [r[0][i][2] for r in runs if i < len(r[0]) and r[0][i][0] == name]
        print(f"{name:58} {statistics.median(walls):8.1f} ({min(walls):6.1f}-{max(walls):6.1f})"
              f" {statistics.median(cpus):8.1f}")
    totals = [r[1] for r in runs]
    cpus = [r[2] for r in runs]
    print(f"{'exec to exit (all phases)':58} {statistics.median(totals):8.1f} "
          f"({min(totals):6.1f}-{max(totals):6.1f}) {statistics.median(cpus):8.1f}")


if __name__ == "__main__":
    main()
