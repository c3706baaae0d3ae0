#!/usr/bin/env python3
"""render's HTML page in headless Chromium, on traces of real servers: a select and an epoll echo
server traced under the same load (1010 connections, 10 active) and drawn on one time axis, and a
server whose program name is a <script> tag. Each page must load without a console message, an
exception, a dialog or a request, show one lane per thread with its name, and draw the select
lane's scanning where the epoll lane has none. Screenshots go to the scratch directory."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import cdp

HOSTILE = "<script>alert(1)</script>"
LOAD = ["-c", "1010", "-a", "10", "-d", "1"]
failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


class Server:
    """An example server under the shim on a port the kernel picks; argv0 renames it."""

    def __init__(self, a, name, out, argv0=None):
        env = dict(os.environ, LD_PRELOAD=a.shim,
                   IOTRACE_OUTPUT=os.path.join(out, name + ".%p.trace"))
        exe = os.path.abspath(os.path.join(a.examples, name))
        if argv0:
            # The thread name is the file name run (15 bytes kept): a link named like argv0.
            link = os.path.join(out, argv0.replace("/", "")[:15])
            os.symlink(exe, link)
            exe = link
        self.name = name
        self.proc = subprocess.Popen([argv0 or exe, "-p", "0"], executable=exe, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on \S+:(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("%s did not start: %r" % (name, line))
        self.port = m.group(1)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


def trace_servers(a, out, plan):
    """Runs the servers of plan {name: (loadgen args, argv0)} at once, each with its own loadgen,
    and returns {name: trace path}."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    servers = {n: Server(a, n, out, argv0) for n, (_, argv0) in plan.items()}
    loads = {n: subprocess.Popen([os.path.join(a.examples, "loadgen"), "-p", s.port] + plan[n][0],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for n, s in servers.items()}
    for n, p in loads.items():
        err = p.communicate(timeout=90)[1].decode(errors="replace")
        expect(p.returncode == 0, "loadgen on %s: exit %d: %s" % (n, p.returncode, err[-500:]))
    for n, s in servers.items():
        expect(s.stop() == 0, "%s did not stop cleanly" % n)
    traces = {}
    for n in plan:
        found = [f for f in os.listdir(out) if f.startswith(n + ".") and f.endswith(".trace")]
        if expect(len(found) == 1, "%s wrote %d traces" % (n, len(found))):
            traces[n] = os.path.join(out, found[0])
    return traces


def render(a, traces, html):
    r = subprocess.run([a.viewer, "render"] + traces + ["-o", html], capture_output=True,
                       text=True)
    expect(r.returncode == 0, "render: exit %d: %s" % (r.returncode, r.stderr))
    return r.returncode == 0


def lanes_of(a, traces):
    """The labels the page must show, one per thread: pid/tid name."""
    r = subprocess.run([a.viewer, "export", "--format", "csv", "-o", "-"] + traces,
                       capture_output=True, text=True, check=True)
    import csv
    seen = []
    for row in csv.DictReader(r.stdout.splitlines()):
        lab = "%s/%s %s" % (row["pid"], row["tid"], row["thread"].lstrip("'"))
        if lab not in seen:
            seen.append(lab)
    return seen


# Run in the page after its scripts: the summary table, and the canvas read back once.
PROBE = r"""(() => {
  const L = window.iotrace, cv = document.getElementById('c');
  const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  const count = (y0, y1, keep) => { let n = 0;
    for (let y = y0; y < y1; y++) for (let x = L.label; x < cv.width; x++) {
      const i = (y * cv.width + x) * 4; if (keep(px[i], px[i + 1], px[i + 2], px[i + 3])) n++; }
    return n; };
  const inked = (r, g, b, a) => a > 0 && !(r > 200 && g > 200 && b > 200);
  const brown = (r, g, b, a) => a > 0 && r > 100 && r < 170 && g < 80 && b < 30;
  const lanes = [];
  for (let i = 0; i < L.lanes; i++) { const y = L.top + i * L.lane;
    lanes.push({ activity: count(y + 2, y + L.row - 2, inked),
                 cost: count(y + L.row, y + L.row + L.cost, brown) }); }
  const rows = [...document.querySelectorAll('#rows tr.lane')].map(
    tr => [...tr.cells].map(td => td.textContent));
  return { rows, lanes, scripts: document.scripts.length, title: document.getElementById('title').textContent,
           body: document.body.innerText, images: document.images.length };
})()"""


def open_page(browser, html, png, want):
    """Loads html, checks it against the lanes wanted, screenshots it; returns the probe."""
    page = cdp.Page(browser, 1400, 520)
    page.open(html)
    res = page.evaluate(PROBE)
    page.screenshot(png)
    for c in page.complaints():
        expect(False, "%s: %s" % (os.path.basename(html), c))
    name = os.path.basename(html)
    expect(len(res["rows"]) == len(want), "%s: %d lane rows, %d threads" % (name, len(res["rows"]),
                                                                          len(want)))
    shown = [r[0] for r in res["rows"]]
    for lab in want:
        expect(lab in shown, "%s: lane %r missing from %r" % (name, lab, shown))
    expect(len(res["lanes"]) == len(want), "%s: the canvas has %d lanes" % (name, len(res["lanes"])))
    for i, l in enumerate(res["lanes"]):
        expect(l["activity"] > 50, "%s: lane %d drew almost nothing: %r" % (name, i, l))
    expect(res["scripts"] == 2 and res["images"] == 0, "%s: %d scripts, %d images" % (
        name, res["scripts"], res["images"]))
    print("%s: %s, screenshot %s" % (name, json.dumps(res["lanes"]), png))
    return res


def page_ticks(browser, html, zoom):
    """The axis labels the page draws after running zoom (a script setting its view)."""
    page = cdp.Page(browser, 1400, 520)
    page.open(html)
    return page.evaluate("(() => {" + zoom + " })()")


# A page doing everything the render's pages must not: the harness has to see each of them.
CANARY = """<!DOCTYPE html><html><body><script>console.warn('w'); alert(2);
var i = document.createElement('img'); i.src = 'http://127.0.0.1:9/x.png';
document.body.appendChild(i); missing();</script></body></html>"""


def harness_sees(browser, path):
    with open(path, "w") as f:
        f.write(CANARY)
    page = cdp.Page(browser, 400, 300)
    page.open(path)
    page.evaluate("1")
    got = "\n".join(page.complaints())
    for what in ("console.warning", "dialog alert", "request: http", "exception"):
        expect(what in got, "the harness missed %r in a page that does it: %s" % (what, got))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    for opt in ("--viewer", "--shim", "--examples", "--chromium", "--dir"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    chromium = shutil.which(a.chromium)
    if not chromium:
        print("FAIL: %s not found: tests/install-deps.sh installs it" % a.chromium)
        return 1
    os.makedirs(a.dir, exist_ok=True)

    # The same load on both servers, at the same time, so their lanes share the time axis.
    traces = trace_servers(a, os.path.join(a.dir, "traces"), {
        "echo_select": (LOAD, None), "echo_epoll_lt": (LOAD, None),
        # The program's name reaches the page through its command line.
        "echo_epoll_et": (["-c", "4", "-n", "200"], HOSTILE)})
    if len(traces) != 3:
        return 1
    cmp_html = os.path.join(a.dir, "cmp.html")
    hostile_html = os.path.join(a.dir, "hostile.html")
    pair = [traces["echo_select"], traces["echo_epoll_lt"]]
    if not (render(a, pair, cmp_html) and render(a, [traces["echo_epoll_et"]], hostile_html)):
        return 1
    with open(hostile_html, encoding="utf-8") as f:
        expect("alert(1)" in f.read(), "the hostile name did not reach the page")

    with cdp.Browser(chromium) as b:
        harness_sees(b, os.path.join(a.dir, "canary.html"))
        res = open_page(b, cmp_html, os.path.join(a.dir, "cmp.png"), lanes_of(a, pair))
        if len(res["lanes"]) == 2 and len(res["rows"]) == 2:
            sel, ep = res["rows"]
            # Columns: thread, command, waits in, calls, time, awake, scanned per call, ...
            # Each multiplexer with its own count, none lumped under another.
            expect(sel[2] == "select " + sel[3] and ep[2] == "epoll_wait " + ep[3],
                   "waits in: %r" % [sel, ep])
            # Fewer while the 1010 connections are still being accepted.
            expect(int(sel[6].replace(",", "")) >= 500, "select scans %s fds per call" % sel[6])
            expect(ep[6] == "0", "epoll_wait scans %s fds per call" % ep[6])
            expect(res["lanes"][0]["cost"] > 100, "no scanning drawn under select")
            expect(res["lanes"][1]["cost"] == 0, "scanning drawn under epoll_wait")
        # Zoomed to 2 us past the middle of the trace, every axis label still differs.
        ticks = page_ticks(b, cmp_html, "const L = window.iotrace, a = Math.floor(L.span / 2) + 0.5;"
                           " return L.view(a, a + 2000);")
        expect(len(ticks) == 11 and len(set(ticks)) == 11, "zoomed axis labels repeat: %r" % ticks)
        res = open_page(b, hostile_html, os.path.join(a.dir, "hostile.png"),
                        lanes_of(a, [traces["echo_epoll_et"]]))
        expect(any(r[1].startswith(HOSTILE) for r in res["rows"]),
               "the command line is not shown as text: %r" % res["rows"])
        expect(any(r[0].endswith(HOSTILE[:15]) for r in res["rows"]),
               "the thread name is not shown as text: %r" % res["rows"])
    print("render page: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
