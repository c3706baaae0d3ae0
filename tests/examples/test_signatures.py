"""Runs one example server under the shim, drives it with loadgen, and checks that the echo was
right and that `iotrace summary --json` shows the server's IO model: its signature in the counts
and the viewer's own diagnosis (model.name).

  test_signatures.py SERVER --server BIN --shim LIBIOTRACE --viewer IOTRACE [--loadgen BIN]

SERVER is the example's name (echo_select, ...). The loads are bounded by message counts; the
checks compare counts with each other, never with times.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo_harness import HarnessError, run_server_with_load  # noqa: E402
from test_examples import Failed, expect, expect_clean_run  # noqa: E402

SKIP = 77
MULTIPLEXERS = ("select", "pselect", "poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2")
READS = ("recv", "recvfrom", "recvmsg", "read", "readv")


class Traced:
    """One server process's summary (the PROCESS object) and its events as CSV rows."""

    def __init__(self, proc, rows, load):
        self.proc = proc
        self.rows = rows
        self.load = load

    def call(self, name):
        """The CALL entry, or zeros when the call never happened."""
        empty = {"count": 0, "blocked": 0, "would_block": 0, "errors": 0, "fds_scanned": 0,
                 "fds_watched": 0, "fds_ready": 0, "bytes_to_kernel": 0, "bytes_to_user": 0,
                 "interest_max": 0}
        return self.proc["calls"].get(name, empty)

    def shown(self):
        calls = {k: {f: v[f] for f in ("count", "blocked", "would_block", "errors",
                                       "fds_scanned", "fds_ready", "bytes_to_kernel",
                                       "bytes_to_user", "interest_max")}
                 for k, v in self.proc["calls"].items()}
        return json.dumps({"threads": self.proc["threads"], "events": self.proc["events"],
                           "model": self.proc["model"], "calls": calls,
                           "loadgen": self.load}, indent=1)


def trace_run(a, connections, active, size, messages, rate=None, events=False):
    """Runs the server under the shim with one loadgen load; returns its Traced summary, with
    every event when asked (exporting a busy poller's million EAGAINs takes a while)."""
    with tempfile.TemporaryDirectory(prefix="iotrace-sig-") as tmp:
        env = {"LD_PRELOAD": a.shim, "IOTRACE_OUTPUT": os.path.join(tmp, "server.%p.trace")}
        load = ["-c", connections, "-a", active, "-s", size, "-n", messages]
        if rate:
            load += ["-r", rate]
        result = run_server_with_load(a.server, load, env=env)
        expect_clean_run(result, connections, active, size, messages)
        summary = subprocess.run([a.viewer, "summary", "--json", tmp], capture_output=True,
                                 text=True, timeout=60)
        expect(summary.returncode == 0, f"summary exited with {summary.returncode}",
               summary.stderr)
        procs = json.loads(summary.stdout)["processes"]
        expect(len(procs) == 1, f"expected one trace, got {len(procs)}", summary.stdout)
        rows = export_rows(a, tmp) if events else []
    traced = Traced(procs[0], rows, result)
    print(f"-c {connections} -a {active} -s {size} -n {messages}"
          f"{' -r ' + str(rate) if rate else ''}:\n{traced.shown()}")
    return traced


def export_rows(a, trace_dir):
    csv_path = os.path.join(trace_dir, "events.csv")
    export = subprocess.run([a.viewer, "export", "--format", "csv", trace_dir, "-o", csv_path],
                            capture_output=True, text=True, timeout=60)
    expect(export.returncode == 0, f"export exited with {export.returncode}", export.stderr)
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def expect_model(t, name):
    got = t.proc["model"]["name"]
    expect(got == name, f"the viewer diagnosed {got!r}, the server is {name!r} "
           f"(evidence: {t.proc['model']['evidence']})", t.shown())


def expect_no_multiplexer(t):
    used = [c for c in MULTIPLEXERS if t.call(c)["count"]]
    expect(not used, f"multiplexer calls traced: {used}", t.shown())


def successful_reads(t, name="recv"):
    c = t.call(name)
    return c["count"] - c["errors"]


def check_busy_poll(a):
    # Paced load: between two messages the server has nothing to do but spin on EAGAIN.
    t = trace_run(a, 10, 10, 64, 1000, rate=2000)
    recv = t.call("recv")
    data = successful_reads(t)
    expect(recv["would_block"] >= 10 * data,
           f"recv EAGAIN {recv['would_block']} is not >= 10 x {data} reads with data", t.shown())
    expect(recv["blocked"] * 10 <= recv["count"], "most recv calls should not block", t.shown())
    expect_no_multiplexer(t)
    expect_model(t, "non-blocking busy polling")


def per_call_scanned(t, call):
    """Median and mean of nfds over the multiplexer's calls made once every connection was
    accepted (messages can start while the server is still accepting)."""
    accepted = [int(r["start_ns"]) for r in t.rows
                if r["call"] in ("accept", "accept4") and int(r["result"]) >= 0]
    after = max(accepted, default=0)
    nfds = [int(r["arg"]) for r in t.rows if r["call"] == call and int(r["start_ns"]) > after]
    expect(nfds, f"no {call} events exported after the last accept", t.shown())
    return statistics.median(nfds), sum(nfds) / len(nfds)


def check_scanning(a, call, model):
    """select and poll look at every watched fd on each call: nfds follows the connections.
    The last load keeps all 200 connections busy, so each call reports many ready fds."""
    medians, runs = {}, []
    for n, active in ((10, 10), (200, 20), (200, 200)):
        t = trace_run(a, n, active, 64, 2000, events=True)
        c = t.call(call)
        median, mean = per_call_scanned(t, call)
        print(f"{call}, {n} connections, {active} active: {c['count']} calls, per call scanned "
              f"median {median}, mean {mean:.1f}")
        expect(median >= n, f"{call} scanned a median {median} fds per call with {n} "
               f"connections open", t.shown())
        expect(c["fds_ready"] <= c["fds_scanned"], "more ready than scanned", t.shown())
        if call == "poll":
            expect(c["bytes_to_kernel"] == 8 * c["fds_scanned"],
                   f"poll bytes_to_kernel {c['bytes_to_kernel']} != 8 x fds_scanned "
                   f"{c['fds_scanned']} (one struct pollfd per fd)", t.shown())
        medians.setdefault(n, median)
        runs.append(t)
    expect(medians[200] >= 10 * medians[10],
           f"per-call scanned did not grow with the connections: {medians}")
    for t in runs:
        expect_model(t, model)


def check_epoll(a, edge):
    n = 200
    t = trace_run(a, n, n, 64, 4000)
    wait, recv = t.call("epoll_wait"), t.call("recv")
    ready = wait["fds_ready"]
    expect(wait["interest_max"] >= n, f"interest_max {wait['interest_max']} < {n}", t.shown())
    expect(wait["bytes_to_user"] == 12 * ready,
           f"epoll_wait bytes_to_user {wait['bytes_to_user']} != 12 x {ready} ready events",
           t.shown())
    expect(wait["fds_scanned"] == 0, "epoll_wait has no fds to scan", t.shown())
    if edge:
        # Each readiness report is drained: the last read of every report meets EAGAIN.
        expect(0.5 * ready <= recv["would_block"] <= 1.1 * ready,
               f"{recv['would_block']} EAGAIN reads for {ready} readiness events: expected "
               f"about one each", t.shown())
        expect_model(t, "epoll edge-triggered")
    else:
        expect(recv["would_block"] <= 0.05 * ready,
               f"{recv['would_block']} EAGAIN reads for {ready} readiness events: a "
               f"level-triggered server reads once per report", t.shown())
        expect_model(t, "epoll level-triggered")


def check_epoll_rdhup(a):
    """Edge-triggered like nginx: a short read ends the turn, so reads almost never meet EAGAIN
    and nothing in the reads tells the edges apart from levels."""
    n = 200
    t = trace_run(a, n, 50, 64, 4000)
    wait, recv, ctl = t.call("epoll_wait"), t.call("recv"), t.call("epoll_ctl")
    expect(wait["interest_max"] >= n, f"interest_max {wait['interest_max']} < {n}", t.shown())
    expect(recv["would_block"] <= 0.05 * wait["fds_ready"],
           f"{recv['would_block']} EAGAIN reads for {wait['fds_ready']} readiness reports",
           t.shown())
    # Registered once per connection, for both directions: no MOD ever follows.
    expect(ctl["count"] == n + 1, f"{ctl['count']} epoll_ctl calls for {n} connections",
           t.shown())
    expect_model(t, "epoll edge-triggered")


def check_blocking(a, connections, model):
    """Paced load, so that each recv finds nothing yet and sleeps; one thread per connection
    (one in all for the single-client servers)."""
    t = trace_run(a, connections, connections, 64, 1000, rate=2000)
    recv = t.call("recv")
    threads = t.proc["threads"]
    if connections > 1:
        expect(threads >= connections, f"{threads} threads traced for {connections} connections",
               t.shown())
    else:
        expect(threads == 1, f"{threads} threads traced", t.shown())
    expect(recv["blocked"] >= recv["count"] // 2, "fewer than half of the reads blocked",
           t.shown())
    expect(recv["would_block"] == 0, "a blocking server's reads never return EAGAIN", t.shown())
    expect_no_multiplexer(t)
    expect_model(t, model)


def check_sigio(a):
    t = trace_run(a, 50, 20, 64, 2000)
    recv = t.call("recv")
    expect_no_multiplexer(t)
    # A signal says which fd is ready; it is drained, so about every other read is EAGAIN.
    expect(recv["would_block"] >= 0.3 * recv["count"],
           f"only {recv['would_block']} of {recv['count']} reads ended in EAGAIN", t.shown())
    expect(recv["would_block"] <= 2 * successful_reads(t),
           "more EAGAIN reads than a drain per signal explains: busy polling?", t.shown())
    expect_model(t, "signal-driven")


def check_async(a):
    # liburing makes its system calls itself (io_uring_enter), not through libc, so the shim
    # sees none of the server's accepts, reads or waits: the trace is there but nearly empty.
    t = trace_run(a, 10, 10, 64, 1000)
    expect(t.proc["closed"], "the trace was not closed", t.shown())
    traced_io = sum(t.call(c)["count"] for c in READS + MULTIPLEXERS + ("accept", "accept4"))
    expect(traced_io <= 10, f"{traced_io} reads/accepts/waits traced for 1000 echoes",
           t.shown())
    expect_model(t, "unknown")


CHECKS = {
    "echo_busy_poll": check_busy_poll,
    "echo_select": lambda a: check_scanning(a, "select", "select"),
    "echo_poll": lambda a: check_scanning(a, "poll", "poll"),
    "echo_epoll_lt": lambda a: check_epoll(a, edge=False),
    "echo_epoll_et": lambda a: check_epoll(a, edge=True),
    "echo_epoll_et_rdhup": check_epoll_rdhup,
    "echo_blocking_threads": lambda a: check_blocking(a, 20, "blocking, thread per connection"),
    "echo_blocking_single": lambda a: check_blocking(a, 1, "blocking, single-threaded"),
    "echo_blocking_large": lambda a: check_blocking(a, 1, "blocking, single-threaded"),
    "echo_sigio": check_sigio,
    "echo_async": check_async,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(CHECKS))
    parser.add_argument("--server", required=True)
    parser.add_argument("--shim", required=True)
    parser.add_argument("--viewer", required=True)
    parser.add_argument("--loadgen")
    a = parser.parse_args()
    if a.loadgen:
        os.environ["IOTRACE_LOADGEN"] = a.loadgen
    try:
        CHECKS[a.name](a)
    except (Failed, HarnessError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
