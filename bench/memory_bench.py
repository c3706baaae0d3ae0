"""Trace size and the shim's memory: bytes per event, RSS per thread, RSS after 1M vs 5M events."""

import os
import tempfile

from benchutil import BenchError, call_count, clear_traces, keyvals, plain_env, run, shim_env
from benchutil import summary, trace_header, traces


def run_memory_prog(tools, env, threads, checkpoints, out_dir, expect_events):
    """Runs bench_memory; returns its RSS lines and, when traced, (file size, used bytes, events)."""
    out = run([tools.memory, str(threads)] + [str(c) for c in checkpoints], env=env, timeout=300)
    lines = [keyvals(x) for x in out.splitlines() if x.startswith("calls=")]
    if len(lines) != len(checkpoints) + 1 or any(ln.get("rss_kb", 0) <= 0 for ln in lines):
        raise BenchError(f"bench_memory {threads} {checkpoints}: unexpected output {out!r}")
    files = traces(out_dir)
    if "LD_PRELOAD" not in env:
        return lines, None
    if len(files) != 1:
        raise BenchError(f"bench_memory: expected 1 trace, found {len(files)}")
    events = call_count(summary(tools.viewer, files), "poll")
    if events != expect_events:
        raise BenchError(f"bench_memory: {expect_events} polls made, {events} in the trace")
    used, dropped = trace_header(files[0])
    if dropped:
        raise BenchError(f"bench_memory: the shim dropped {dropped} events")
    size = os.stat(files[0]).st_size
    clear_traces(out_dir)
    return lines, (size, used, events)


def run_memory(tools, quick, log):
    """Returns (rows, bytes per event)."""
    big, small, threads, per_thread = ((100000, 500000, 8, [100, 2000]) if quick else
                                       (1000000, 5000000, 64, [100, 10000]))
    rows = []
    with tempfile.TemporaryDirectory(prefix="iotrace-bench-") as out_dir:
        traced, plain = shim_env(tools.shim, out_dir), plain_env()

        # Size: a run of `big` events, stacks off and on.
        _, (size, used, events) = run_memory_prog(tools, traced, 1, [big], out_dir, big)
        per_event = used / events
        rows += [[f"trace file after {events:,} events", f"{size / 1e6:.1f} MB"],
                 ["bytes per event (bytes used / events)", f"{per_event:.2f}"],
                 ["bytes per event (file size / events)", f"{size / events:.2f}"]]
        _, (ssize, sused, sev) = run_memory_prog(tools, shim_env(tools.shim, out_dir, 8), 1, [big],
                                                 out_dir, big)
        rows.append(["bytes per event, IOTRACE_STACK=8 (used / events)", f"{sused / sev:.2f}"])
        log(f"memory: {per_event:.2f} bytes/event, {sused / sev:.2f} with stacks")

        # Growth: RSS of one thread after `big` and after `small`=5x events, traced and not.
        for name, env in (("untraced", plain), ("iotrace", traced)):
            lines, _ = run_memory_prog(tools, env, 1, [big, small], out_dir, small)
            rows.append([f"RSS {name} after {big:,} / {small:,} events",
                         f"{lines[1]['rss_kb'] / 1024:.1f} / {lines[2]['rss_kb'] / 1024:.1f} MB"])
            if name == "iotrace":
                growth = int(lines[2]["rss_kb"] - lines[1]["rss_kb"])
                rows.append([f"RSS growth from {big:,} to {small:,} events (iotrace)",
                             f"{growth:+d} KiB"])
        log("memory: growth done")

        # Per thread: RSS with all threads alive, traced minus untraced, for 1 and many threads;
        # few calls show the fixed cost of a thread, many show what its chunks add.
        for calls in per_thread:
            delta = {}
            for t in (1, threads):
                rss = {}
                for name, env in (("untraced", plain), ("iotrace", traced)):
                    lines, _ = run_memory_prog(tools, env, t, [calls], out_dir, t * calls)
                    rss[name] = lines[1]["rss_kb"]
                delta[t] = int(rss["iotrace"] - rss["untraced"])
                rows.append([f"RSS with {t} threads x {calls:,} calls: untraced / iotrace",
                             f"{rss['untraced'] / 1024:.1f} / {rss['iotrace'] / 1024:.1f} MB"])
            per = (delta[threads] - delta[1]) / (threads - 1)
            rows += [[f"shim's RSS, 1 thread x {calls:,} calls (traced - untraced)",
                      f"{delta[1]:,} KiB"],
                     [f"shim's RSS per extra thread, {calls:,} calls each", f"{per:.1f} KiB"]]
            log(f"memory: {per:.1f} KiB per thread at {calls} calls")
        clear_traces(out_dir)
    return rows, per_event
