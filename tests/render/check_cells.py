#!/usr/bin/env python3
"""One cell rule, three renderings: the same traces drawn as the text timeline, the SVG and the
HTML page (in headless Chromium) must colour the same cells the same way, and copying must show
where a server copied, not be outvoted by the waits and idle time around it."""
import argparse
import os
import re
import shutil
import subprocess
import sys

import cdp

CELLS = 1200  # the SVG's width in cells: the text timeline and the page are asked for as many
WAIT, COPY, EAGAIN, MUX, OTHER, AWAKE, IDLE = range(7)  # render.h's kinds, idle last
GLYPHS = {"#": WAIT, "=": COPY, "!": EAGAIN, "~": MUX, "+": OTHER, ".": -1, " ": -1}
failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


def text_cells(a, traces, window=()):
    """Each lane's cells as the timeline prints them, at CELLS columns."""
    width = CELLS + 40
    for _ in range(3):
        r = subprocess.run([a.viewer, "timeline", "--no-color", "--width", str(width)] +
                           list(window) + traces, capture_output=True, text=True, check=True)
        lanes = [l[l.index("|") + 1:-1] for l in r.stdout.splitlines()
                 if "|" in l and l.endswith("|") and "/" in l.split("|")[0]]
        if lanes and len(lanes[0]) == CELLS:
            return [[GLYPHS[g] for g in l] for l in lanes]
        width += CELLS - len(lanes[0])
    raise SystemExit("the timeline would not give %d columns" % CELLS)


def svg_cells(a, traces, out):
    subprocess.run([a.viewer, "render", "-o", out] + traces, check=True, capture_output=True)
    with open(out) as f:
        svg = f.read()
    colours = {}
    legend = re.findall(r'<rect x="\d+" y="\d+" width="12" height="12" fill="(#\w+)"/>', svg)
    for k, c in enumerate((WAIT, COPY, EAGAIN, MUX, AWAKE, OTHER, IDLE)):  # render.c's legend
        colours[legend[k]] = c
    lanes = {}
    for x, y, w, c in re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="16" '
                                 r'fill="(#\w+)"/>', svg):
        row = lanes.setdefault(int(y), [-1] * CELLS)
        k = colours[c]
        for i in range(int(x) - 240, int(x) - 240 + int(w)):
            row[i] = -1 if k == IDLE else MUX if k == AWAKE else k
    return [lanes[y] for y in sorted(lanes)]


def page_cells(browser, html, view=None):
    page = cdp.Page(browser, 1400, 520)
    page.open(html)
    if view:
        page.evaluate("window.iotrace.view(%d, %d)" % view)
    got = page.evaluate("window.iotrace.cells(%d)" % CELLS)
    for c in page.complaints():
        expect(False, "page: %s" % c)
    return [[MUX if k == AWAKE else k for k in lane] for lane in got]


def page_features(a, browser):
    """Folding, filtering, sorting, hover details and per-call counts of the page, on a
    thread-per-connection server of 40 threads and a thread that uses every multiplexer."""
    tpc = os.path.join(a.dir, "feat-tpc.trace")
    mixed = os.path.join(a.dir, "feat-mixed.trace")
    subprocess.run([a.gen, "-o", tpc, "--model", "tpc-poll", "--events", "200", "--threads", "40",
                    "--thread-name", "worker", "--pid", "300"], check=True, capture_output=True)
    subprocess.run([a.gen, "-o", mixed, "--model", "mixed", "--events", "400", "--pid", "301"],
                   check=True, capture_output=True)
    html = os.path.join(a.dir, "feat.html")
    subprocess.run([a.viewer, "render", "-o", html, tpc, mixed], check=True, capture_output=True)
    page = cdp.Page(browser, 1400, 800)
    page.open(html)
    shown = page.evaluate("window.iotrace.shown()")
    # 40 threads of one process: its 39 readers are one group until opened (plus the acceptor);
    # the other process has one thread.
    expect(len(shown) == 3 and sorted(n for _, n in shown) == [1, 1, 39],
           "folded lanes: %r" % shown)
    expect(page.evaluate("window.iotrace.fold(true), window.iotrace.lanes") == 41,
           "expand all did not show the 41 lanes")
    expect(page.evaluate("window.iotrace.filter('no such lane'), window.iotrace.lanes") == 0,
           "a filter matching nothing still shows lanes")
    expect(page.evaluate("window.iotrace.filter('301/'), window.iotrace.lanes") == 1,
           "filtering on a pid did not leave its one lane")
    rows = page.evaluate("[...document.querySelectorAll('#rows tr.lane')].map(tr => tr.cells[2].textContent)")
    waits = rows[0] if rows else ""
    named = [c for c in ("select", "pselect", "poll", "ppoll", "epoll_wait", "epoll_pwait") if
             (" " + c + " ") in (" " + waits.replace(",", " , ") + " ")]
    expect(len(named) >= 3, "the mixed thread's multiplexers were lumped: %r" % waits)
    page.evaluate("window.iotrace.filter('')")
    # Hover over the first call of the first drawn lane: its details.
    tip = page.evaluate("(() => { const e = window.iotrace; return e.tip(0, %s); })()" %
                        "JSON.parse(document.getElementById('data').textContent).lanes[0].e[0]")
    expect(tip is not None and ("blocked" in tip or "did not block" in tip) and "lasted" in tip,
           "hover text: %r" % tip)
    sticky = page.evaluate("getComputedStyle(document.getElementById('axis')).position")
    expect(sticky == "sticky", "the time axis does not stay in view: position %r" % sticky)
    for c in page.complaints():
        expect(False, "feature page: %s" % c)


def compare(name, a, b):
    expect(len(a) == len(b) and len(a) > 0, "%s: %d and %d lanes" % (name, len(a), len(b)))
    for i, (x, y) in enumerate(zip(a, b)):
        differ = sum(1 for p, q in zip(x, y) if p != q)
        # Rounding at cell edges may tip a cell that is exactly on the rule's threshold.
        expect(differ <= CELLS // 100, "%s, lane %d: %d of %d cells differ: %s vs %s" % (
            name, i, differ, CELLS, "".join("%d" % (k + 1) for k in x[:200]),
            "".join("%d" % (k + 1) for k in y[:200])))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    for opt in ("--viewer", "--gen", "--chromium", "--dir"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    chromium = shutil.which(a.chromium)
    if not chromium:
        print("FAIL: %s not found: tests/install-deps.sh installs it" % a.chromium)
        return 1
    os.makedirs(a.dir, exist_ok=True)
    traces = []
    for model, extra in (("epoll-lt", []), ("tpc", ["--split", "--phases-first"]),
                         ("poll", []), ("busy", [])):
        t = os.path.join(a.dir, "cells-%s.trace" % model)
        subprocess.run([a.gen, "-o", t, "--model", model, "--events", "3000", "--pid",
                        str(100 + len(traces))] + extra, check=True, capture_output=True)
        traces.append(t)
    text = text_cells(a, traces)
    svg = svg_cells(a, traces, os.path.join(a.dir, "cells.svg"))
    html = os.path.join(a.dir, "cells.html")
    subprocess.run([a.viewer, "render", "-o", html] + traces, check=True, capture_output=True)
    # Zoomed to 2 ms of the thread-per-connection server, whose copy phases last a few us
    # inside reads that wait hundreds: the phases must show.
    zoom_text = text_cells(a, [traces[1]], ("--from", "5ms", "--to", "7ms"))
    zoom = os.path.join(a.dir, "cells-zoom.html")
    subprocess.run([a.viewer, "render", "-o", zoom, traces[1]], check=True, capture_output=True)
    with cdp.Browser(chromium) as b:
        page = page_cells(b, html)
        zoom_page = page_cells(b, zoom, (5000000, 7000000))
        page_features(a, b)
    compare("text vs svg", text, svg)
    compare("text vs page", text, page)
    compare("zoomed text vs page", zoom_text, zoom_page)
    epoll_copy = sum(1 for k in text[0] if k == COPY)
    zoom_copy = sum(1 for lane in zoom_text for k in lane if k == COPY)
    expect(epoll_copy > 0, "no copying shown in the epoll server's lane")
    expect(zoom_copy > 0, "no copy phase shown in 2 ms of a thread-per-connection server")
    print("cells: %d failures; %d copy cells in the epoll lane, %d zoomed in" % (
        len(failures), epoll_copy, zoom_copy))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
