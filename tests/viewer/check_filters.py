#!/usr/bin/env python3
"""The filters every command takes (--from/--to, --pid, --tid, --call, --fd): summary, export,
timeline and render keep exactly the events an independent reading of the full CSV says pass."""
import csv
import io
import json
import os
import subprocess
import sys

import vtest

checks = vtest.Checks('filters')
expect = checks.expect


def run(a, *args):
    r = subprocess.run([a.viewer] + list(args), capture_output=True, text=True)
    expect(r.returncode == 0, "%r: exit %d: %s" % (args, r.returncode, r.stderr[-500:]))
    return r.stdout


def rows(text):
    got = list(csv.DictReader(io.StringIO(text, newline="")))
    for r in got:
        r["start_ns"], r["dur_ns"] = int(r["start_ns"]), int(r["dur_ns"])
    return got


def counts(rs):
    c = {}
    for r in rs:
        c[r["call"]] = c.get(r["call"], 0) + 1
    return c


def summary_counts(a, *args):
    doc = json.loads(run(a, "summary", "--json", *args))
    total = {}
    for p in doc["processes"]:
        for name, c in p["calls"].items():
            total[name] = total.get(name, 0) + c["count"]
    return total, doc


def main():
    a = vtest.parse_args(__doc__)
    t1 = os.path.join(a.dir, "filt-1.trace")
    t2 = os.path.join(a.dir, "filt-2.trace")
    subprocess.run([a.gen, "-o", t1, "--model", "mixed", "--events", "800", "--threads", "3",
                    "--pid", "500"], check=True, capture_output=True)
    subprocess.run([a.gen, "-o", t2, "--model", "epoll-et", "--events", "800", "--pid", "600",
                    "--seed", "7"], check=True, capture_output=True)
    full = rows(run(a, "export", "--format", "csv", "-o", "-", t1, t2))
    end = max(r["start_ns"] + r["dur_ns"] for r in full)
    lo, hi = end // 4, end // 2
    tid = sorted({r["tid"] for r in full if r["pid"] == "500"})[1]
    fd = max((sum(1 for r in full if r["fd"] == f), f) for f in {r["fd"] for r in full})[1]
    cases = [
        (["--call", "recv,epoll_wait"], lambda r: r["call"] in ("recv", "epoll_wait")),
        (["--fd", fd], lambda r: r["fd"] == fd),
        (["--tid", tid], lambda r: r["tid"] == tid),
        (["--pid", "600"], lambda r: r["pid"] == "600"),
        (["--from", "%dns" % lo, "--to", "%dns" % hi],
         lambda r: r["start_ns"] < hi and r["start_ns"] + r["dur_ns"] > lo),
        (["--pid", "500", "--call", "recv", "--from", "%dns" % lo],
         lambda r: r["pid"] == "500" and r["call"] == "recv" and r["start_ns"] + r["dur_ns"] > lo),
    ]
    for args, keep in cases:
        want = [r for r in full if keep(r)]
        expect(0 < len(want) < len(full), "%r keeps %d of %d rows: a useless case" % (
            args, len(want), len(full)))
        got = rows(run(a, "export", "--format", "csv", "-o", "-", *args, t1, t2))
        key = lambda r: (r["file"], r["tid"], r["start_ns"], r["call"])
        expect(sorted(map(key, got)) == sorted(map(key, want)),
               "export %r: %d rows, %d expected" % (args, len(got), len(want)))
        got_counts, doc = summary_counts(a, *args, t1, t2)
        expect(got_counts == counts(want), "summary %r: %r, expected %r" % (args, got_counts,
                                                                            counts(want)))
        chrome = json.loads(run(a, "export", "--format", "chrome", "-o", "-", *args, t1, t2))
        slices = sum(1 for e in chrome["traceEvents"] if e["ph"] == "X")
        expect(slices == len(want), "chrome %r: %d slices, %d expected" % (args, slices, len(want)))
    # --tid: one lane in the timeline; --pid: one process's lanes.
    out = run(a, "timeline", "--width", "80", "--tid", tid, t1, t2)
    lanes = [l for l in out.splitlines() if l.endswith("|") and "/" in l.split("|")[0]]
    expect(len(lanes) == 1 and ("/%s " % tid) in lanes[0], "timeline --tid: %r" % lanes)
    # render --from/--to draws that window.
    html = os.path.join(a.dir, "filt.html")
    run(a, "render", "--from", "%dns" % lo, "--to", "%dns" % hi, "-o", html, t1, t2)
    with open(html) as f:
        page = f.read()
    expect('"span":%d' % (hi - lo) in page, "render --from/--to: the page's span is not the window")
    # Bad values are usage errors, for every command.
    for cmd in (["summary"], ["timeline"], ["export", "--format", "csv", "-o", "-"],
                ["render", "-o", html]):
        for bad in (["--call", "nosuchcall"], ["--fd", "x"], ["--pid", "1,,2"], ["--from", "soon"]):
            r = subprocess.run([a.viewer] + cmd + bad + [t1], capture_output=True, text=True)
            expect(r.returncode == 1, "%s %s: exit %d" % (cmd[0], bad, r.returncode))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
