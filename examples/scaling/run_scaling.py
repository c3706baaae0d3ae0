#!/usr/bin/env python3
"""Runs the scaling benchmarks and writes what they found: scaling.md (tables), scaling.svg
(CPU seconds per 100,000 monitoring operations against watched fds, log-log) and scaling.json.

  run_scaling.py --bench-dir build/examples [--shim build/libiotrace.so --viewer build/iotrace]
                 [--out DIR] [--quick] [--kind pipe|socketpair|eventfd]

scale_bench repeats the design of the table of select/poll/epoll costs in Kerrisk's "The Linux
Programming Interface" (N watched fds, one random fd ready per operation); chain_bench passes
tokens along a ring of socketpairs, a few moving at a time. With --shim and --viewer the same
scale_bench runs are traced and iotrace's counts per call are tabulated: they say why the times
grow. --quick uses small N and K (for CI): it checks that the tables are complete and that the
traced counts are exact, never how long anything took. Standard library only.
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

METHODS = ("select", "poll", "epoll")
# CPU seconds for 100,000 monitoring operations, from TLPI's table (N = 10, 100, 1000, 10000).
TLPI = {"poll": (0.61, 2.9, 35, 990), "select": (0.73, 3.0, 35, 930),
        "epoll": (0.41, 0.42, 0.53, 0.66)}
TLPI_N = (10, 100, 1000, 10000)

FULL = {"fds": (10, 100, 1000, 10000), "ops": {10: 100000, 100: 100000, 1000: 20000, 10000: 4000},
        "repeats": 3, "traced_ops": 2000,
        "chain": {"fds": (100, 1000, 10000), "active": (1, 100), "writes": 10000, "runs": 3}}
QUICK = {"fds": (10, 100, 1000), "ops": {10: 2000, 100: 2000, 1000: 500}, "repeats": 1,
         "traced_ops": 200,
         "chain": {"fds": (100, 1000), "active": (1, 10), "writes": 500, "runs": 2}}

# struct epoll_event is packed to 12 bytes on x86-64 (16 elsewhere).
EPOLL_EVENT_BYTES = 12 if os.uname().machine == "x86_64" else 16


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def fits(kind, n):
    """Whether n watched fds of this kind fit in the open-file limit (the benchmarks raise the
    soft limit to the hard one; the hard one only moves for a privileged process)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    need = (1 if kind == "eventfd" else 2) * n + 8
    return hard == resource.RLIM_INFINITY or need <= hard


def run_json_lines(cmd, env=None, timeout=600):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    if done.returncode != 0:
        raise Failed(f"{' '.join(cmd)} exited with {done.returncode}\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def scale_runs(a, plan):
    """{(method, n): result} with the median CPU time over the repeats."""
    rows = {}
    for n in plan["fds"]:
        kind = a.kind if fits(a.kind, n) else "eventfd"
        for method in ("none",) + METHODS:
            runs = []
            for _ in range(plan["repeats"]):
                cmd = [os.path.join(a.bench_dir, "scale_bench"), "-m", method, "-n", str(n),
                       "-k", str(plan["ops"][n]), "-f", kind]
                runs += run_json_lines(cmd)
            best = sorted(runs, key=lambda r: r["cpu_s_per_100k"])[len(runs) // 2]
            rows[(method, n)] = best
            print(f"scale_bench {method:6} N={n:5} {kind:10} K={best['ops']}: "
                  f"{best['cpu_s_per_100k']:.3f} CPU s per 100k", file=sys.stderr)
    return rows


def traced_runs(a, plan):
    """{(method, n): counts per call of the monitoring call} from iotrace summary --json."""
    calls = {"select": "select", "poll": "poll", "epoll": "epoll_wait"}
    out = {}
    for n in plan["fds"]:
        kind = a.kind if fits(a.kind, n) else "eventfd"
        for method in METHODS:
            with tempfile.TemporaryDirectory(prefix="iotrace-scaling-") as tmp:
                env = {"LD_PRELOAD": a.shim, "IOTRACE_OUTPUT": os.path.join(tmp, "b.%p.trace")}
                ops = plan["traced_ops"]
                run_json_lines([os.path.join(a.bench_dir, "scale_bench"), "-m", method, "-n",
                                str(n), "-k", str(ops), "-f", kind], env=env)
                done = subprocess.run([a.viewer, "summary", "--json", tmp], capture_output=True,
                                      text=True, timeout=120)
                if done.returncode != 0:
                    raise Failed(f"summary exited with {done.returncode}\n{done.stderr}")
                proc = json.loads(done.stdout)["processes"][0]
            c = proc["calls"].get(calls[method])
            expect(c is not None, f"{method} N={n}: no {calls[method]} in the trace")
            out[(method, n)] = {
                "call": calls[method], "count": c["count"], "ops": ops, "kind": kind,
                "scanned": c["fds_scanned"] / c["count"],
                "watched": c["fds_watched"] / c["count"], "ready": c["fds_ready"] / c["count"],
                "to_kernel": c["bytes_to_kernel"] / c["count"],
                "to_user": c["bytes_to_user"] / c["count"], "interest_max": c["interest_max"],
                "model": proc["model"]["name"]}
    return out


def check_traced(traced):
    """What the kernel is given and gives back per call follows from the design exactly."""
    for (method, n), t in traced.items():
        where = f"{method} N={n}"
        expect(t["count"] == t["ops"], f"{where}: {t['count']} calls traced for {t['ops']} ops")
        expect(t["ready"] == 1, f"{where}: {t['ready']} ready per call, not 1")
        if method == "poll":
            expect(t["scanned"] == n, f"{where}: poll scanned {t['scanned']} per call")
            expect(t["to_kernel"] == 8 * n, f"{where}: {t['to_kernel']} bytes in, not 8 x {n}")
        elif method == "select":
            # nfds is the highest fd + 1: it also covers the unwatched fds below (a pipe's
            # write ends, stdio), but only the watched ones are in the set.
            expect(n <= t["scanned"] <= 2 * n + 16, f"{where}: select scanned {t['scanned']}")
            expect(t["watched"] == n, f"{where}: select watched {t['watched']}")
        else:
            expect(t["scanned"] == 0, f"{where}: epoll_wait scanned {t['scanned']}")
            expect(t["interest_max"] == n, f"{where}: interest set {t['interest_max']}")
            expect(t["to_user"] == EPOLL_EVENT_BYTES,
                   f"{where}: {t['to_user']} bytes out per call, not one epoll_event")


def chain_runs(a, plan):
    rows = []
    for n in plan["chain"]["fds"]:
        kind = "socketpair" if fits("socketpair", n) else "eventfd"
        for active in plan["chain"]["active"]:
            for method in METHODS:
                cmd = [os.path.join(a.bench_dir, "chain_bench"), "-m", method, "-n", str(n),
                       "-a", str(active), "-w", str(plan["chain"]["writes"]), "-r",
                       str(plan["chain"]["runs"]), "-f", kind]
                runs = run_json_lines(cmd)
                expect(len(runs) == plan["chain"]["runs"], f"chain_bench: {len(runs)} runs")
                for r in runs:
                    expect(r["ready"] == active + plan["chain"]["writes"],
                           f"chain_bench {method}: {r['ready']} ready fds reported")
                rows.append({"method": method, "fds": n, "active": active, "kind": kind,
                             "writes": plan["chain"]["writes"],
                             "cpu_us": statistics.median(r["cpu_us"] for r in runs),
                             "wall_us": statistics.median(r["wall_us"] for r in runs),
                             "waits": runs[0]["waits"]})
                print(f"chain_bench {method:6} N={n:5} active={active:3}: "
                      f"{rows[-1]['cpu_us']:.0f} CPU us", file=sys.stderr)
    return rows


def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def markdown(a, plan, scale, traced, chain):
    ns = plan["fds"]
    kinds = {scale[("select", n)]["kind"] for n in ns}
    lines = ["# select, poll and epoll as the watched fds grow", "",
             "CPU seconds (user + system, getrusage) per 100,000 monitoring operations, one "
             f"random fd of N ready per operation; fds: {', '.join(sorted(kinds))}. "
             "`none` is the loop without a monitoring call (make one fd ready, read it back); "
             "`TLPI` is the book's figure.", "",
             "| method | " + " | ".join(f"N = {n}" for n in ns) + " |",
             "|---|" + "---:|" * len(ns)]
    for method in ("none",) + METHODS:
        cells = []
        for n in ns:
            r = scale[(method, n)]
            mark = f" ({r['kind']})" if r["kind"] != a.kind else ""
            cells.append(fmt(r["cpu_s_per_100k"]) + mark)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
        if method in TLPI:
            ref = [fmt(TLPI[method][TLPI_N.index(n)]) if n in TLPI_N else "" for n in ns]
            lines.append(f"| {method} (TLPI) | " + " | ".join(ref) + " |")
    lines += ["", "K per N: " + ", ".join(f"{n}: {plan['ops'][n]}" for n in ns)
              + f"; median of {plan['repeats']} runs.", ""]
    if traced:
        lines += ["## What iotrace saw per call", "",
                  f"The same benchmark under the shim ({plan['traced_ops']} operations), from "
                  "`iotrace summary --json`: sums divided by the number of calls.", "",
                  "| method | N | calls | fds scanned | fds watched | fds ready | bytes to kernel | "
                  "bytes to user | interest set |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for method in METHODS:
            for n in ns:
                t = traced[(method, n)]
                lines.append(f"| {t['call']} | {n} | {t['count']} | {t['scanned']:.0f} | "
                             f"{t['watched']:.0f} | {t['ready']:.0f} | {t['to_kernel']:.0f} | {t['to_user']:.0f} | "
                             f"{t['interest_max'] or ''} |")
        lines.append("")
    lines += ["## Tokens along a ring (chain_bench)", "",
              f"{plan['chain']['writes']} writes passed along a ring of N fd pairs, ACTIVE "
              f"tokens moving at once; median of {plan['chain']['runs']} runs.", "",
              "| N | active | fds | waits | select CPU µs | poll CPU µs | epoll CPU µs |",
              "|---:|---:|---|---:|---:|---:|---:|"]
    for n in plan["chain"]["fds"]:
        for active in plan["chain"]["active"]:
            by = {r["method"]: r for r in chain if r["fds"] == n and r["active"] == active}
            lines.append(f"| {n} | {active} | {by['select']['kind']} | {by['epoll']['waits']} | "
                         + " | ".join(f"{by[m]['cpu_us']:.0f}" for m in METHODS) + " |")
    return "\n".join(lines) + "\n"


def svg_plot(plan, scale):
    """Log-log: N on x (10 .. 10^4), CPU s per 100k ops on y (10^-2 .. 10^3); measured lines
    solid with dots, TLPI's dashed."""
    w, h, left, right, top, bottom = 640, 420, 70, 150, 30, 50
    xmin, xmax, ymin, ymax = 1, 4, -2, 3  # decades

    def x(n):
        return left + (math.log10(n) - xmin) / (xmax - xmin) * (w - left - right)

    def y(v):
        v = max(v, 10 ** ymin)
        return top + (ymax - math.log10(v)) / (ymax - ymin) * (h - top - bottom)

    colors = {"select": "#d62728", "poll": "#1f77b4", "epoll": "#2ca02c"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">CPU seconds per 100,000 monitoring '
           'operations</text>']
    for d in range(xmin, xmax + 1):
        px = x(10 ** d)
        out.append(f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{h - bottom}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{px:.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                   f'{10 ** d}</text>')
    for d in range(ymin, ymax + 1):
        py = y(10 ** d)
        out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{w - right}" y2="{py:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">'
                   f'{10 ** d if d >= 0 else 10.0 ** d:g}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{w - left - right}" '
               f'height="{h - top - bottom}" fill="none" stroke="black"/>')
    out.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">'
               'watched fds (N)</text>')
    legend_y = top + 10
    for method in METHODS:
        c = colors[method]
        pts = [(x(n), y(scale[(method, n)]["cpu_s_per_100k"])) for n in plan["fds"]]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="'
                   + " ".join(f"{px:.1f},{py:.1f}" for px, py in pts) + '"/>')
        out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{c}"/>' for px, py in pts]
        ref = [(x(n), y(v)) for n, v in zip(TLPI_N, TLPI[method])]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1" '
                   'stroke-dasharray="5,4" points="'
                   + " ".join(f"{px:.1f},{py:.1f}" for px, py in ref) + '"/>')
        lx = w - right + 12
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 24}" y2="{legend_y}" '
                   f'stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 30}" y="{legend_y + 4}">{method}</text>')
        out.append(f'<line x1="{lx}" y1="{legend_y + 16}" x2="{lx + 24}" y2="{legend_y + 16}" '
                   f'stroke="{c}" stroke-dasharray="5,4"/>')
        out.append(f'<text x="{lx + 30}" y="{legend_y + 20}">{method} (TLPI)</text>')
        legend_y += 40
    out.append("</svg>")
    return "\n".join(out) + "\n"


def check_outputs(plan, scale, md, svg):
    for n in plan["fds"]:
        for method in ("none",) + METHODS:
            r = scale[(method, n)]
            expect(r["cpu_s_per_100k"] >= 0 and r["ops"] == plan["ops"][n],
                   f"{method} N={n}: odd result {r}")
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    expect(len(rows) >= 1 + 4 + 3, f"the table has {len(rows)} rows")
    root = ET.fromstring(svg)
    expect(root.tag.endswith("svg"), "scaling.svg is not an SVG document")
    expect(len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2 * len(METHODS),
           "scaling.svg lacks a line per method")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-dir", required=True, help="where scale_bench/chain_bench are")
    parser.add_argument("--shim", help="libiotrace.so: also trace the runs")
    parser.add_argument("--viewer", help="the iotrace viewer, with --shim")
    parser.add_argument("--out", default=".", help="directory for scaling.md/.svg/.json")
    parser.add_argument("--kind", default="pipe", choices=("pipe", "socketpair", "eventfd"))
    parser.add_argument("--quick", action="store_true", help="small N and K, for CI")
    a = parser.parse_args()
    plan = QUICK if a.quick else FULL
    try:
        scale = scale_runs(a, plan)
        traced = {}
        if a.shim and a.viewer:
            traced = traced_runs(a, plan)
            check_traced(traced)
        chain = chain_runs(a, plan)
        md = markdown(a, plan, scale, traced, chain)
        svg = svg_plot(plan, scale)
        check_outputs(plan, scale, md, svg)
    except (Failed, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "scaling.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "scaling.svg"), "w") as f:
        f.write(svg)
    with open(os.path.join(a.out, "scaling.json"), "w") as f:
        json.dump({"scale": [dict(r, method=m) for (m, n), r in scale.items()],
                   "traced": [dict(t, method=m, fds=n) for (m, n), t in traced.items()],
                   "chain": chain, "tlpi": TLPI}, f, indent=1)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
