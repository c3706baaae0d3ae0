#!/usr/bin/env python3
"""Runs every iotrace benchmark and prints one table per section; --quick is the CI smoke run."""

import argparse
import os
import platform
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import calls_bench  # noqa: E402
import memory_bench  # noqa: E402
import report  # noqa: E402
import server_bench  # noqa: E402
import viewer_bench  # noqa: E402
from benchutil import BenchError  # noqa: E402

SECTIONS = ["calls", "servers", "memory", "viewer"]


def machine():
    """nproc, CPU model and kernel, for the report."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Linux {platform.release()}"


def parse():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True, help="the build directory (libiotrace.so, iotrace)")
    ap.add_argument("--calls", help="bench_calls (default BUILD/bench/bench_calls)")
    ap.add_argument("--memory", help="bench_memory (default BUILD/bench/bench_memory)")
    ap.add_argument("--gen", help="gen_trace (default BUILD/tests/viewer/gen_trace)")
    ap.add_argument("--quick", action="store_true", help="seconds, not minutes: checks, no numbers")
    ap.add_argument("--reps", type=int, help="repetitions (default 1 quick, 5 full)")
    ap.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    ap.add_argument("--markdown", help="also write the tables as markdown to this file")
    return ap.parse_args()


def main():
    a = parse()
    b = os.path.abspath(a.build)
    tools = types.SimpleNamespace(
        shim=os.path.join(b, "libiotrace.so"),
        viewer=os.path.join(b, "iotrace"),
        calls=a.calls or os.path.join(b, "bench", "bench_calls"),
        memory=a.memory or os.path.join(b, "bench", "bench_memory"),
        gen=a.gen or os.path.join(b, "tests", "viewer", "gen_trace"),
    )
    for path in vars(tools).values():
        if not os.access(path, os.X_OK if not path.endswith(".so") else os.R_OK):
            sys.exit(f"run.py: {path} is missing: build first")
    reps = a.reps or (1 if a.quick else 5)
    only = a.only.split(",") if a.only else SECTIONS
    t0 = time.monotonic()

    def log(msg):
        print(f"[{time.monotonic() - t0:6.0f}s] {msg}", file=sys.stderr, flush=True)

    rep = report.Report(machine(), "quick" if a.quick else "full", reps)
    try:
        if "calls" in only:
            res, names = calls_bench.run_calls(tools, reps, a.quick, log)
            rep.calls(res, names)
        if "servers" in only:
            rep.servers(server_bench.run_servers(tools, 2 * reps if not a.quick else 1,
                                                 a.quick, log))
        if "memory" in only:
            rep.memory(memory_bench.run_memory(tools, a.quick, log))
        if "viewer" in only:
            rep.viewer(viewer_bench.run_viewer(tools, a.quick, log))
    except BenchError as e:
        print(rep.text(), flush=True)
        sys.exit(f"run.py: FAILED: {e}")
    print(rep.text())
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(rep.markdown())
    log("done")


if __name__ == "__main__":
    main()
