#!/usr/bin/env python3
"""The Chrome export opened by a real consumer: Chromium's trace engine binds every readiness
arrow, keeps every slice, and gives files with the same pid tracks of their own."""
import json
import os
import shutil
import subprocess
import sys

import vtest

checks = vtest.Checks('consumers')
expect = checks.expect
HERE = os.path.dirname(os.path.abspath(__file__))


def install(workdir):
    """npm installs the pinned consumers into workdir once; returns the script to run."""
    dest = os.path.join(workdir, "consumers")
    os.makedirs(dest, exist_ok=True)
    for name in ("package.json", "trace_engine.mjs"):
        shutil.copy2(os.path.join(HERE, "consumers", name), dest)
    if not os.path.isdir(os.path.join(dest, "node_modules", "@paulirish", "trace_engine")):
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=dest,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit("npm install of the consumers failed: %s" % r.stderr[-2000:])
    return os.path.join(dest, "trace_engine.mjs")


def engine(script, path):
    r = subprocess.run(["node", script, path], capture_output=True, text=True, timeout=300)
    expect(r.returncode == 0, "trace engine on %s: exit %d: %s" % (path, r.returncode,
                                                                 r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else None


def export(a, out, *traces):
    r = subprocess.run([a.viewer, "export", "--format", "chrome", "-o", out] + list(traces),
                       capture_output=True, text=True)
    expect(r.returncode == 0, "export: %s" % r.stderr)
    with open(out) as f:
        return json.load(f)["traceEvents"]


def main():
    a = vtest.parse_args(__doc__)
    script = install(a.dir)
    # An epoll server: one arrow per ready fd read after epoll_wait, all of which must bind.
    t = os.path.join(a.dir, "consumer-epoll.trace")
    subprocess.run([a.gen, "-o", t, "--model", "epoll-et", "--events", "600", "--threads", "2"],
                   check=True)
    ev = export(a, os.path.join(a.dir, "consumer-epoll.json"), t)
    arrows = sum(1 for e in ev if e["ph"] == "s")
    slices = sum(1 for e in ev if e["ph"] == "X")
    got = engine(script, os.path.join(a.dir, "consumer-epoll.json"))
    if got:
        expect(arrows > 0 and got["flows"] == arrows,
               "the engine bound %d of %d readiness arrows" % (got["flows"], arrows))
        entries = sum(th["entries"] for p in got["processes"] for th in p["threads"])
        expect(entries == slices, "the engine kept %d of %d slices" % (entries, slices))
    # The same pid in two files (two hosts): two processes in the engine.
    pair = []
    for name, host, mono, real in (("a", "hosta", "1000000000000", "1795000000000000000"),
                                   ("b", "hostb", "19000000000000", "1795000004600000000")):
        p = os.path.join(a.dir, "consumer-%s.trace" % name)
        subprocess.run([a.gen, "-o", p, "--model", "poll", "--events", "50", "--pid", "100",
                        "--host", host, "--mono-anchor", mono, "--real-anchor", real], check=True)
        pair.append(p)
    export(a, os.path.join(a.dir, "consumer-hosts.json"), *pair)
    got = engine(script, os.path.join(a.dir, "consumer-hosts.json"))
    if got:
        expect(len(got["processes"]) == 2, "two files with pid 100 became %d processes: %r" % (
            len(got["processes"]), got["processes"]))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
