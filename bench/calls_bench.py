"""Per-call overhead: bench_calls loops run untraced, under the shim, with stacks, strace, ltrace."""

import tempfile

from benchutil import BenchError, call_count, clear_traces, have, keyvals, median, plain_env
from benchutil import run, shim_env, summary, traces

# The loops bench_calls knows, and the call each one records (None: the floor references).
KINDS = [
    ("empty", None),
    ("clock", None),
    ("poll", "poll"),
    ("epoll", "epoll_wait"),
    ("select", "select"),
    ("recv", "recv"),
    ("accept", "accept"),
]
LABELS = {
    "empty": "empty loop (floor)",
    "clock": "clock_gettime (vDSO)",
    "poll": "poll, 1 ready fd",
    "epoll": "epoll_wait, 1 ready event",
    "select": "select, 1 ready fd",
    "recv": "recv 64 B, socketpair",
    "accept": "accept, queued unix conn.",
}
STACK_DEPTH = 8


def variants(quick):
    """(name, wraps a command, env kind): strace and ltrace only when installed."""
    out = [("untraced", None, "plain"), ("iotrace", None, "shim"),
           (f"iotrace stack{STACK_DEPTH}", None, "stack")]
    if have("strace"):
        out.append(("strace", ["strace", "-f", "-o", "/dev/null"], "plain"))
    if have("ltrace") and not quick:
        out.append(("ltrace", ["ltrace", "-o", "/dev/null"], "plain"))
    return out


def iters_for(kind, tracer, quick):
    """Calls per run: tracers are ~100x slower, accept costs ~5 other calls; all also time-capped."""
    n = 20000 if quick else 1000000
    if tracer:
        n //= 20
    if kind == "accept":
        n //= 5
    return max(n, 200)


def check_trace(viewer, out_dir, call, calls, what):
    """The traced run must leave one file with exactly the calls the loop made."""
    files = traces(out_dir)
    if len(files) != 1:
        raise BenchError(f"{what}: expected 1 trace file, found {len(files)}")
    got = call_count(summary(viewer, files), call)
    if got != calls:
        raise BenchError(f"{what}: the loop made {calls} {call} calls, the trace holds {got}")
    clear_traces(out_dir)


def run_calls(tools, reps, quick, log):
    """Returns {kind: {variant: [ns per call, one per repetition]}} and the variant names."""
    vs = variants(quick)
    res = {k: {v[0]: [] for v in vs} for k, _ in KINDS}
    with tempfile.TemporaryDirectory(prefix="iotrace-bench-") as out_dir:
        for rep in range(reps):
            for kind, call in KINDS:
                # Rotate the order each repetition so no variant always runs after the same one.
                order = vs[rep % len(vs):] + vs[:rep % len(vs)]
                for name, wrap, envkind in order:
                    n = iters_for(kind, wrap, quick)
                    cmd = (wrap or []) + [tools.calls, kind, "--iters", str(n), "--batches",
                                          "10" if quick else "20", "--seconds",
                                          "1" if quick else "4"]
                    env = (shim_env(tools.shim, out_dir, STACK_DEPTH if envkind == "stack" else 0)
                           if envkind != "plain" else plain_env())
                    out = run(cmd, env=env, timeout=120)
                    kv = keyvals(out.strip().splitlines()[-1])
                    ns = kv.get("ns_per_call")
                    if not isinstance(ns, float) or ns <= 0 or kv.get("calls", 0) <= 0:
                        raise BenchError(f"{kind} {name}: no sane result in {out!r}")
                    if envkind != "plain" and call:
                        check_trace(tools.viewer, out_dir, call, int(kv["calls"]), f"{kind} {name}")
                    clear_traces(out_dir)
                    res[kind][name].append(ns)
                    log(f"calls rep {rep + 1}/{reps} {kind:7s} {name:16s} {ns:10.1f} ns")
    return res, [v[0] for v in vs]


def paired_ratio(res_kind, name):
    """Median over repetitions of variant/untraced: each pair ran back to back, so drift cancels."""
    base = res_kind["untraced"]
    pairs = [v / b for v, b in zip(res_kind[name], base) if b > 0]
    return median(pairs)


def table(res, names):
    """Rows for the report: one per loop, ns and ratio per variant."""
    rows = []
    for kind, _ in KINDS:
        row = [LABELS[kind]]
        for name in names:
            ns = median(res[kind][name])
            if name == "untraced" or kind == "empty":
                row.append(f"{ns:.1f}")
            else:
                row.append(f"{ns:.1f} ({paired_ratio(res[kind], name):.2f}x)")
        rows.append(row)
    return ["call (ns per call, median)"] + names, rows
