#!/usr/bin/env python3
"""export: the Chrome JSON and the CSV hold every event, nest phases, link readiness, escape strings."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys

import vtest

checks = vtest.Checks('export')
expect = checks.expect



# Hostile strings: quotes, commas, a newline, an escape sequence, a formula, invalid UTF-8.
NASTY_CMD = "=evil\"prog,\x1b[31mred\nline \udcff"  # \udcff: the raw byte 0xff (surrogateescape)
NASTY_THREAD = 'w"o,r\nk'


def gen(a, name, *args):
    path = os.path.join(a.dir, name + ".trace")
    exp = os.path.join(a.dir, name + ".expect.json")
    subprocess.run([a.gen, "-o", path, "--expect", exp] + list(args), check=True)
    with open(exp) as f:
        return path, json.load(f)


def export(a, fmt, *paths):
    r = subprocess.run([a.viewer, "export", "--format", fmt, "-o", "-"] + list(paths),
                       capture_output=True)
    expect(r.returncode == 0, "export %s: exit %d: %s" % (fmt, r.returncode, r.stderr))
    return r.stdout


def check_chrome(a):
    path, exp = gen(a, "export-split", "--model", "tpc", "--split", "--phases-first", "--events",
                    "400", "--threads", "3", "--thread-name", NASTY_THREAD, "--cmdline", NASTY_CMD)
    out = export(a, "chrome", path)
    try:
        doc = json.loads(out.decode("utf-8"))  # also proves the output is valid UTF-8
    except ValueError as e:
        expect(False, "chrome export is not JSON: %s" % e)
        return
    ev = doc["traceEvents"]
    slices = [e for e in ev if e["ph"] == "X"]
    expect(len(slices) == exp["events"], "%d X events, %d events" % (len(slices), exp["events"]))
    names = {e["args"]["name"] for e in ev if e["ph"] == "M"}
    expect(NASTY_THREAD[:15] in names, "thread name lost in escaping: %r" % names)
    expect(any(n.startswith(NASTY_CMD.split(" ")[0][:10]) for n in names),
           "process name lost: %r" % names)
    for e in slices:
        for k in ("fd", "result", "errno", "blocked", "bytes_to_kernel", "bytes_to_user"):
            expect(k in e["args"], "slice without %s: %r" % (k, e))
            break
    # Every phase lies inside a read slice of the same thread (Perfetto nests by time).
    reads = {}
    for e in slices:
        if e["name"] == "recv":
            reads.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"], e["args"]["fd"]))
    phases = [e for e in slices if e["name"] in ("wait", "copy")]
    expect(len(phases) > 0, "split trace exported no phases")
    # The generator records phases before their read, so a thread that stops mid-read may end
    # with phases whose read was never written: only those may stand alone.
    last = {}
    for e in slices:
        last.setdefault(e["tid"], []).append(e)
    tails = {id(e) for v in last.values() for e in v[-2:]}
    for p in phases:
        if id(p) in tails:
            continue
        ok = any(s <= p["ts"] and p["ts"] + p["dur"] <= t + 1e-3 and fd == p["args"]["fd"]
                 for s, t, fd in reads.get(p["tid"], []))
        expect(ok, "phase %r is not nested in a read" % p)
    # ts and dur are microseconds with the nanoseconds as three decimals.
    expect(any(e["ts"] != int(e["ts"]) for e in slices), "no fractional timestamps")

    path, exp = gen(a, "export-epoll", "--model", "epoll-et", "--events", "600", "--threads", "2")
    doc = json.loads(export(a, "chrome", path))
    ev = doc["traceEvents"]
    starts = {e["id"]: e for e in ev if e["ph"] == "s"}
    ends = {e["id"]: e for e in ev if e["ph"] == "f"}
    expect(len(starts) > 0 and set(starts) == set(ends), "flow ids unmatched")
    by_start = {(e["tid"], e["ts"]): e for e in ev if e["ph"] == "X"}
    for i, s in starts.items():
        f = ends[i]
        src, dst = by_start.get((s["tid"], s["ts"])), by_start.get((f["tid"], f["ts"]))
        expect(s["tid"] == f["tid"], "flow %d crosses threads" % i)
        expect(src is not None and src["name"] == "epoll_wait", "flow %d starts at %r" % (i, src))
        expect(dst is not None and dst["name"] == "recv", "flow %d ends at %r" % (i, dst))
    ready = sum(c["fds_ready"] for c in exp["calls"].values())
    # One arrow per ready fd, except where a thread's events end after its epoll_wait (at most
    # 4 ready fds lost per thread).
    expect(ready - 8 <= len(starts) <= ready, "%d flows for %d ready fds" % (len(starts), ready))


def phases_outside(slices):
    """Phases (tid, name, ts, dur, fd tuples in thread order) that lie in no read of their thread
    on their fd; a thread's last two events may be phases whose read was never written."""
    by = {}
    for sl in slices:
        by.setdefault(sl[0], []).append(sl)
    bad = []
    for evs in by.values():
        reads = [e for e in evs if e[1] not in ("wait", "copy")]
        for e in evs[:-2]:
            if e[1] in ("wait", "copy") and not any(
                    r[2] <= e[2] and e[2] + e[3] <= r[2] + r[3] and r[4] == e[4] for r in reads):
                bad.append(e)
    return bad


def check_nesting(a):
    """Reads long enough to be stored in microseconds still hold their phases, in both exports
    and whichever order the phases were written in."""
    for order in (["--phases-first"], []):
        path, _ = gen(a, "export-nest", "--model", "tpc", "--split", "--units", "--events", "400",
                      "--threads", "3", *order)
        ev = json.loads(export(a, "chrome", path))["traceEvents"]
        # Integer ns, so that the comparison is exact.
        sl = [(e["tid"], e["name"], round(e["ts"] * 1000), round(e["dur"] * 1000), e["args"]["fd"])
              for e in ev if e["ph"] == "X"]
        bad = phases_outside(sl)
        expect(not bad, "chrome %s: %d phases leave their read, e.g. %r" % (order, len(bad),
                                                                           bad[:2]))
        rows = list(csv.reader(io.StringIO(export(a, "csv", path).decode("utf-8"), newline="")))
        h = rows[0]
        ti, ci, si, di, fi = (h.index(c) for c in ("tid", "call", "start_ns", "dur_ns", "fd"))
        sl = [(r[ti], r[ci], int(r[si]), int(r[di]), r[fi]) for r in rows[1:]]
        sl.sort(key=lambda x: (x[0], x[2]))
        bad = phases_outside(sl)
        expect(not bad, "csv %s: %d phases leave their read, e.g. %r" % (order, len(bad), bad[:2]))


def check_csv(a):
    path, exp = gen(a, "export-csv", "--model", "mixed", "--events", "300", "--threads", "2",
                    "--thread-name", NASTY_THREAD)
    out = export(a, "csv", path).decode("utf-8")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    head = rows[0]
    expect(head[:6] == ["file", "pid", "exec_seq", "tid", "thread", "call"], "header %r" % head)
    body = rows[1:]
    expect(len(body) == exp["events"], "%d rows, %d events" % (len(body), exp["events"]))
    expect(all(len(r) == len(head) for r in body), "rows with the wrong number of fields")
    expect(any(r[4] == NASTY_THREAD[:15] for r in body), "thread name not round-tripped")
    counts = {}
    for r in body:
        counts[r[5]] = counts.get(r[5], 0) + 1
    want = {k: v["count"] for k, v in exp["calls"].items()}
    expect(counts == want, "per-call rows %r, generator %r" % (counts, want))
    # Rows come in start order within a file, reads before the phases recorded inside them.
    path3, exp3 = gen(a, "export-order", "--model", "tpc", "--split", "--phases-first",
                      "--events", "300", "--threads", "4")
    out = export(a, "csv", path3).decode("utf-8")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    col = rows[0].index("start_ns")
    starts = [int(r[col]) for r in rows[1:]]
    expect(len(starts) == exp3["events"], "%d rows, %d events" % (len(starts), exp3["events"]))
    expect(starts == sorted(starts), "rows out of start order in one file")
    # Every string field is quoted, as documented: file, thread, call and kind.
    raw = out.splitlines()[1].split(",")
    quoted = [i for i, v in enumerate(raw) if v.startswith('"') and v.endswith('"')]
    names = [rows[0][i] for i in quoted]
    expect(names == ["file", "thread", "call", "kind"], "quoted fields: %r" % names)
    # A formula-looking field is defused for spreadsheets.
    path2, _ = gen(a, "export-formula", "--model", "poll", "--events", "20",
                   "--thread-name", "=cmd|' /C calc'!A0")
    out = export(a, "csv", path2).decode("utf-8")
    expect(",\"'=cmd|' /C calc'\"," in out, "formula not defused")


def check_categories(a):
    """One category for slices and arrows (Chromium binds flows within one), and one on metadata."""
    path, _ = gen(a, "export-cat", "--model", "epoll-et", "--events", "200")
    ev = json.loads(export(a, "chrome", path))["traceEvents"]
    cats = {e["ph"]: set() for e in ev}
    for e in ev:
        cats[e["ph"]].add(e.get("cat"))
    expect(cats["X"] == cats["s"] == cats["f"] and len(cats["X"]) == 1,
           "slices and flows in different categories: %r" % cats)
    expect(None not in cats["M"], "a metadata event without a category")
    expect(all("kind" in e["args"] for e in ev if e["ph"] == "X"), "a slice without its kind")


# Two hosts whose monotonic clocks are 5 hours apart and whose wall clocks 4.6 s apart.
HOST_A = ["--pid", "100", "--host", "hosta", "--mono-anchor", "1000000000000",
          "--real-anchor", "1795000000000000000"]
HOST_B = ["--pid", "100", "--host", "hostb", "--mono-anchor", "19000000000000",
          "--real-anchor", "1795000004600000000"]


def check_hosts(a):
    """Files from two hosts: placed by wall clock, each its own track, hosts named."""
    pa, _ = gen(a, "host-a", "--model", "epoll-lt", "--events", "100", *HOST_A)
    pb, _ = gen(a, "host-b", "--model", "epoll-lt", "--events", "100", *HOST_B)
    ev = json.loads(export(a, "chrome", pa, pb))["traceEvents"]
    first = {}
    for e in ev:
        if e["ph"] == "X":
            first[e["pid"]] = min(first.get(e["pid"], e["ts"]), e["ts"])
    expect(len(first) == 2, "two files with pid 100 share a track: pids %r" % sorted(first))
    if len(first) == 2:
        gap = max(first.values()) - min(first.values())
        expect(4.5e6 < gap < 4.7e6, "second host starts %.0f us after the first, not 4.6 s" % gap)
    procs = [e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
    expect(len(procs) == 2 and procs[0].startswith("hosta: ") and procs[1].startswith("hostb: ")
           and all("pid 100" in p for p in procs), "process names %r" % procs)
    tids = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "X"}
    expect(len({t for _, t in tids}) == len(tids), "a tid shared by two tracks: %r" % tids)
    rows = list(csv.reader(io.StringIO(export(a, "csv", pa, pb).decode("utf-8"), newline="")))
    col = rows[0].index("start_ns")
    starts = {}
    for r in rows[1:]:
        starts[r[0]] = min(starts.get(r[0], int(r[col])), int(r[col]))
    expect(len(starts) == 2 and 4.5e9 < max(starts.values()) - min(starts.values()) < 4.7e9,
           "csv start times %r" % starts)
    r = subprocess.run([a.viewer, "timeline", "--width", "80", pa, pb], capture_output=True,
                       text=True)
    expect(r.returncode == 0 and "placed by wall clock" in r.stdout and "of 4.6" in r.stdout,
           "timeline of two hosts: %r" % r.stdout[:200])
    expect("wall clock" in r.stderr, "the timeline did not say how it placed the files")
    expect("hosta: 100/" in r.stdout and "hostb: 100/" in r.stdout, "lanes without hosts")
    r = subprocess.run([a.viewer, "timeline", "--clock", "mono", "--width", "80", pa, pb],
                       capture_output=True, text=True)
    expect(r.returncode == 0 and "of 18000" in r.stdout, "--clock mono: %r" % r.stdout[:200])
    # One host: the monotonic clock, no host in the labels.
    r = subprocess.run([a.viewer, "timeline", "--width", "80", pa], capture_output=True, text=True)
    expect("placed by wall clock" not in r.stdout and "hosta:" not in r.stdout and not r.stderr,
           "one host: %r %r" % (r.stdout[:200], r.stderr))
    r = subprocess.run([a.viewer, "export", "--format", "csv", "--clock", "sideways", "-o", "-",
                        pa], capture_output=True, text=True)
    expect(r.returncode == 1 and "--clock" in r.stderr, "a bad --clock: %r" % r.stderr)


def check_boot_ids(a):
    """Boot ids decide when files carry them: two containers of one kernel (other host names)
    share the monotonic clock; two boots of one host name, with close anchors, do not."""
    same, other = "2f88105c7097462fb1a990e57eea1cbf", "9a3e2b1c7097462fb1a990e57eea1c00"
    def pair(tag, host_b, boot_b):
        pa, _ = gen(a, "boot-%s-a" % tag, "--model", "poll", "--events", "50", "--host", "c1",
                    "--boot-id", same, "--mono-anchor", "1000000000000",
                    "--real-anchor", "1795000000000000000")
        pb, _ = gen(a, "boot-%s-b" % tag, "--model", "poll", "--events", "50", "--host", host_b,
                    "--boot-id", boot_b, "--mono-anchor", "1000200000000",
                    "--real-anchor", "1795000000100000000")  # wall says 0.1 s, mono 0.2 s
        r = subprocess.run([a.viewer, "timeline", "--width", "80", pa, pb], capture_output=True,
                           text=True)
        return r
    r = pair("containers", "c2", same)
    expect("placed by wall clock" not in r.stdout and not r.stderr,
           "one boot id, two host names: %r %r" % (r.stdout[:150], r.stderr))
    r = pair("reboot", "c1", other)
    expect("placed by wall clock" in r.stdout, "two boot ids: %r" % r.stdout[:150])


def check_empty_processes(a):
    """Processes that made no traced call (a shell, a wrapper script's chain of execs) leave files
    with no events: every command takes them beside the others."""
    d = os.path.join(a.dir, "empty")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for pid in (11, 12, 13):
        subprocess.run([a.gen, "-o", os.path.join(d, "iotrace.%d.trace" % pid), "--model", "poll",
                        "--events", "0", "--pid", str(pid)], check=True, capture_output=True)
    subprocess.run([a.gen, "-o", os.path.join(d, "iotrace.14.trace"), "--model", "poll",
                    "--events", "50", "--pid", "14"], check=True, capture_output=True)
    for args in (["timeline", "--width", "80"], ["render", "-o", os.path.join(a.dir, "e.html")],
                 ["render", "-o", os.path.join(a.dir, "e.svg")],
                 ["export", "--format", "chrome", "-o", "-"], ["summary"]):
        r = subprocess.run([a.viewer] + args + [d], capture_output=True, text=True)
        expect(r.returncode == 0 and not r.stderr,
               "%s with processes that made no call: exit %d: %s" % (args[0], r.returncode,
                                                                     r.stderr[-300:]))


def check_exec_images(a):
    """The same pid before and after exec: two tracks, one process name each."""
    p0, _ = gen(a, "img-0", "--model", "poll", "--events", "50", "--pid", "77", "--execed")
    p1, _ = gen(a, "img-1", "--model", "poll", "--events", "50", "--pid", "77", "--exec-seq", "1")
    ev = json.loads(export(a, "chrome", p0, p1))["traceEvents"]
    names = {}
    for e in ev:
        if e["ph"] == "M" and e["name"] == "process_name":
            names.setdefault(e["pid"], []).append(e["args"]["name"])
    expect(len(names) == 2 and all(len(v) == 1 for v in names.values()),
           "process names per track: %r" % names)


def check_file_order(a):
    """A directory's files in number order, exec images in exec order, however they are named."""
    d = os.path.join(a.dir, "order")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    made = []
    for pid, seq in ((7, 0), (7, 1), (7, 2), (7, 10), (99, 0), (100, 0)):
        name = "iotrace.%d%s.trace" % (pid, "-%d" % seq if seq else "")
        subprocess.run([a.gen, "-o", os.path.join(d, name), "--model", "poll", "--events", "10",
                        "--pid", str(pid), "--exec-seq", str(seq)], check=True,
                       capture_output=True)
        made.append(name)
    for args in ([d], sorted(os.path.join(d, m) for m in made)):  # a directory, a shell glob
        r = subprocess.run([a.viewer, "summary"] + args, capture_output=True, text=True)
        got = [l.split(":")[0].split("/")[-1] for l in r.stdout.splitlines()
               if l.startswith("== ") and not l.startswith("== total")]
        # A glob sorts by bytes: pid 7's images are put in exec order in the places it gave them.
        lex = sorted(made)
        images = iter(made[:4])
        want = made if args == [d] else [next(images) if m in made[:4] else m for m in lex]
        expect(got == want, "files in the order %r, expected %r" % (got, want))


def main():
    a = vtest.parse_args(__doc__)
    check_file_order(a)
    check_nesting(a)
    check_chrome(a)
    check_csv(a)
    check_categories(a)
    check_hosts(a)
    check_exec_images(a)
    check_boot_ids(a)
    check_empty_processes(a)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
