#!/usr/bin/env python3
"""render: the SVG is well-formed XML and the HTML page is self-contained, escapes hostile names,
carries every event, and its script runs (under node with a stub DOM, when node is installed)."""
import json
import os
import re
import shutil
import subprocess
import sys

import vtest
import xml.dom.minidom

checks = vtest.Checks('render')
expect = checks.expect
HOSTILE = '</script><img src=x onerror=alert(1)>'[:15]  # thread names keep 15 bytes



# A stub DOM just rich enough for the page's script: it records what gets drawn.
NODE_HARNESS = r"""
const fs = require('fs');
const html = fs.readFileSync(process.argv[2], 'utf8');
const data = html.split('<script type="application/json" id="data">')[1].split('</script>')[0];
const code = html.split('<script>')[1].split('</script>')[0];
let rects = 0, texts = [], handlers = {};
const ctx = new Proxy({}, {get: (t, k) => k === 'fillRect' ? (() => rects++) :
  k === 'fillText' ? ((s) => texts.push(s)) : (k in t ? t[k] : () => {}),
  set: (t, k, v) => { t[k] = v; return true; }});
const el = (id) => ({ textContent: id === 'data' ? data : '', style: {}, width: 0, height: 0,
  appendChild() {}, getContext: () => ctx,
  addEventListener: (n, f) => { handlers[id + ':' + n] = f; },
  getBoundingClientRect: () => ({ left: 0, top: 0 }) });
const els = {};
global.document = { getElementById: (id) => els[id] || (els[id] = el(id)),
  createElement: () => el('x'), createTextNode: () => ({}), querySelectorAll: () => [] };
global.window = { innerWidth: 1400, addEventListener: (n, f) => { handlers['window:' + n] = f; } };
eval(code);
const before = rects;
handlers['c:wheel']({ preventDefault() {}, clientX: 700, deltaY: -1 });
handlers['c:mousemove']({ clientX: 700, clientY: 40 });
console.log(JSON.stringify({ rects: before, after_zoom: rects - before, texts: texts.length,
  title: els['title'].textContent }));
"""


def main():
    a = vtest.parse_args(__doc__)
    trace = os.path.join(a.dir, "render.trace")
    exp_path = os.path.join(a.dir, "render.expect.json")
    subprocess.run([a.gen, "-o", trace, "--expect", exp_path, "--model", "tpc", "--split",
                    "--events", "300", "--threads", "3", "--thread-name", HOSTILE], check=True)
    with open(exp_path) as f:
        exp = json.load(f)

    svg = os.path.join(a.dir, "render.svg")
    r = subprocess.run([a.viewer, "render", trace, "-o", svg], capture_output=True, text=True)
    expect(r.returncode == 0, "render svg: exit %d %s" % (r.returncode, r.stderr))
    doc = xml.dom.minidom.parse(svg)
    labels = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
    expect(any(HOSTILE in s for s in labels), "SVG lost the thread name: %r" % labels[:20])
    expect(len(doc.getElementsByTagName("rect")) > 3 + exp["threads"], "SVG has no activity")

    html = os.path.join(a.dir, "render.html")
    r = subprocess.run([a.viewer, "render", trace, "-o", html], capture_output=True, text=True)
    expect(r.returncode == 0, "render html: exit %d %s" % (r.returncode, r.stderr))
    with open(html, encoding="utf-8") as f:
        page = f.read()
    expect(page.count("</script>") == 2, "a string closed a <script> early")
    expect(not re.search(r"(src|href)\s*=|https?://(?!www\.w3\.org)", page.replace(
        "'self'", "")), "the page refers to something outside itself")
    data = page.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    d = json.loads(data)
    expect(len(d["lanes"]) == exp["threads"], "%d lanes for %d threads" % (len(d["lanes"]),
                                                                         exp["threads"]))
    n = sum(len(l["e"]) // 10 for l in d["lanes"])  # 10 numbers per event (render_html.c)
    expect(n == exp["events"], "page carries %d events, trace has %d" % (n, exp["events"]))
    expect(any(l["label"].endswith(HOSTILE) for l in d["lanes"]), "label lost in escaping")

    node = shutil.which("node") or shutil.which("nodejs")
    if node:
        js = os.path.join(a.dir, "render-harness.js")
        with open(js, "w") as f:
            f.write(NODE_HARNESS)
        r = subprocess.run([node, js, html], capture_output=True, text=True)
        expect(r.returncode == 0, "the page's script failed: %s" % r.stderr[-2000:])
        if r.returncode == 0:
            res = json.loads(r.stdout)
            expect(res["rects"] > 10 and res["after_zoom"] > 10, "nothing drawn: %r" % res)
            expect(res["title"].startswith("iotrace: 1 process"), "title %r" % res["title"])
    else:
        print("node not installed: the page's script was not run")
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
