#!/usr/bin/env python3
"""summary across processes and its table: a total over several files (counts summed, histograms
merged), the tail percentiles and errno breakdown, --sort, a table cut to --width, and an errors
column that leaves EAGAIN to its own."""
import json
import os
import subprocess
import sys

import vtest

checks = vtest.Checks('totals')
expect = checks.expect


def gen(a, name, *args):
    path = os.path.join(a.dir, name + ".trace")
    subprocess.run([a.gen, "-o", path] + list(args), check=True, capture_output=True)
    return path


def summary(a, *args):
    r = subprocess.run([a.viewer, "summary"] + list(args), capture_output=True, text=True)
    expect(r.returncode == 0, "summary %r: exit %d: %s" % (args, r.returncode, r.stderr))
    return r.stdout


def table_rows(text):
    """The first table's rows after its 'call' heading: name -> cells."""
    rows, on = {}, False
    for line in text.splitlines():
        if line.startswith("call "):
            if rows:
                break
            on = True
            continue
        if on and line and not line.startswith("(") and not line.startswith(" "):
            cells = line.split()
            rows[cells[0]] = cells[1:]
        elif on and rows:
            break
    return rows


def main():
    a = vtest.parse_args(__doc__)
    pool = gen(a, "tot-pool", "--model", "pool", "--events", "2000", "--threads", "3")
    mixed = gen(a, "tot-mixed", "--model", "mixed", "--events", "2000", "--threads", "2",
                "--pid", "4343")
    both = json.loads(summary(a, "--json", pool, mixed))
    procs, total = both["processes"], both.get("total")
    expect(total is not None and total.get("processes") == 2, "no total of 2 processes: %r" %
           (total or {}).get("processes"))
    if total:
        for name, t in total["calls"].items():
            parts = [p["calls"][name] for p in procs if name in p["calls"]]
            for k in ("count", "errors", "would_block", "time_ns", "wait_ns", "copy_ns",
                      "bytes_to_user"):
                expect(t[k] == sum(x[k] for x in parts), "total %s.%s %d, processes %r" % (
                    name, k, t[k], [x[k] for x in parts]))
            expect(t["max_ns"] == max(x["max_ns"] for x in parts), "total %s.max_ns" % name)
            expect(min(x["p50_ns"] for x in parts) <= t["p50_ns"] <= max(x["p50_ns"] for x in parts),
                   "total %s.p50_ns %d outside its processes'" % (name, t["p50_ns"]))
            errnos = {}
            for x in parts:
                for e, n in x["errnos"].items():
                    errnos[e] = errnos.get(e, 0) + n
            expect(t["errnos"] == errnos, "total %s errnos %r, processes %r" % (name, t["errnos"],
                                                                               errnos))
    one = json.loads(summary(a, "--json", pool))
    expect(set(one) == {"processes"}, "one file has a total: %r" % list(one))

    text = summary(a, pool, mixed)
    expect("== total of 2 processes" in text, "the text has no total block")
    rows = table_rows(text)
    head = [l for l in text.splitlines() if l.startswith("call ")][0].split()[1:]
    for col in ("p90", "p99.9", "max"):
        expect(col in head, "no %s column in %r" % (col, head))
    if "recv" in rows and "errors" in head and "EAGAIN" in head:
        r = rows["recv"]
        expect(r[head.index("errors")] == "0" and r[head.index("EAGAIN")] != "0",
               "recv errors %s with EAGAIN %s: errors must leave EAGAIN out" % (
                   r[head.index("errors")], r[head.index("EAGAIN")]))
    expect("failures by errno:" in text and "EAGAIN" in text.split("failures by errno:")[1],
           "no errno breakdown")

    # --sort time: rows by time, most first (the times from the JSON of the same file).
    names = [n for n in table_rows(summary(a, "--sort", "time", mixed)) if n != "total"]
    calls = json.loads(summary(a, "--json", mixed))["processes"][0]["calls"]
    want = sorted(calls, key=lambda n: (-calls[n]["time_ns"], list(calls).index(n)))
    expect(names == want, "--sort time gave %r, expected %r" % (names, want))
    r = subprocess.run([a.viewer, "summary", "--sort", "colour", mixed], capture_output=True,
                       text=True)
    expect(r.returncode == 1 and "--sort" in r.stderr, "a bad --sort: %d %r" % (r.returncode,
                                                                            r.stderr))
    # --width 80: every line of the table fits, the columns carried on below.
    out = summary(a, "--width", "80", mixed)
    table = [l for l in out.splitlines() if not l.startswith(("==", "   ", "  "))]
    expect(all(len(l) <= 80 for l in table), "lines wider than 80: %r" % [l for l in table
                                                                        if len(l) > 80][:2])
    expect(sum(1 for l in table if l.startswith("call ")) >= 2, "the table was not cut in groups")
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
