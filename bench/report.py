"""Collects the sections' numbers into tables, judges the targets, renders as text or markdown."""

import calls_bench
from benchutil import median

# The targets: (what, limit); the report says measured and met or not, never fails on them.
CALL_TARGET = 1.06
STACK_TARGET = 1.25
RPS_TARGET = 0.97
P99_TARGET = 1.05
BYTES_TARGET = 32
SUMMARY_S, SUMMARY_MB, RENDER_S = 3.0, 100.0, 10.0


class Report:
    def __init__(self, machine, mode, reps):
        self.head = f"machine: {machine}; mode: {mode}; repetitions: {reps}"
        self.sections = []  # (title, header, rows, notes)
        self.targets = []  # (target, measured, met)
        self.headline = {}  # row -> {column: text}

    def add(self, title, header, rows, notes=()):
        self.sections.append((title, header, rows, list(notes)))

    def target(self, what, measured, met):
        self.targets.append((what, measured, "met" if met else "NOT met"))

    def calls(self, res, names):
        header, rows = calls_bench.table(res, names)
        self.add("Per-call cost", header, rows,
                 ["ratio: median over repetitions of traced/untraced, each pair run back to back"])
        measured = ["poll", "epoll", "select", "recv", "accept"]
        for name, limit in (("iotrace", CALL_TARGET), (f"iotrace stack{calls_bench.STACK_DEPTH}",
                                                         STACK_TARGET)):
            ratios = {k: calls_bench.paired_ratio(res[k], name) for k in measured}
            worst = max(ratios, key=ratios.get)
            cheapest = min(measured, key=lambda k: median(res[k]["untraced"]))
            self.target(f"cheapest call ({cheapest}) {name} <= {limit}x",
                        f"{ratios[cheapest]:.3f}x (worst: {worst} {ratios[worst]:.3f}x)",
                        ratios[cheapest] <= limit)
        for name in names[1:]:
            poll = res["poll"]
            added = median(poll[name]) - median(poll["untraced"])
            self.headline.setdefault("poll on a ready fd: added per call", {})[name] = (
                f"+{added:.0f} ns ({calls_bench.paired_ratio(poll, name):.2f}x)")

    def servers(self, data):
        header, rows, results = data
        self.add("Real servers (median of repetitions)", header, rows,
                 ["ratios against the untraced run of the same repetition; CPU = utime+stime of"
                  " the server's processes per request"])
        for server, by_variant in results.items():
            if "iotrace" not in by_variant:
                continue
            r = by_variant["iotrace"]
            self.target(f"{server} throughput with iotrace >= {RPS_TARGET}x",
                        f"{r['rps_ratio']:.3f}x", r["rps_ratio"] >= RPS_TARGET)
            self.target(f"{server} p99 with iotrace <= {P99_TARGET}x", f"{r['p99_ratio']:.3f}x",
                        r["p99_ratio"] <= P99_TARGET)
            for name, r in by_variant.items():
                if name != "untraced":
                    self.headline.setdefault(f"{server}: throughput, p99", {})[name] = (
                        f"{r['rps_ratio']:.2f}x, {r['p99_ratio']:.2f}x")

    def memory(self, data):
        rows, bytes_per_event = data
        self.add("Trace size and memory", ["measure", "value"], rows)
        self.target(f"bytes per event <= {BYTES_TARGET}", f"{bytes_per_event:.1f}",
                    bytes_per_event <= BYTES_TARGET)

    def viewer(self, data):
        rows, checks = data
        self.add("Viewer", ["command", "events", "wall s", "peak RSS MB"], rows)
        for what, seconds, mb in checks:
            limit_s = RENDER_S if what == "render" else SUMMARY_S
            ok = seconds <= limit_s and (what == "render" or mb <= SUMMARY_MB)
            limit = f"<= {limit_s:g} s" + ("" if what == "render" else f", <= {SUMMARY_MB:g} MB")
            self.target(f"viewer {what} of 10M events {limit}", f"{seconds:.2f} s, {mb:.0f} MB", ok)

    def _tables(self):
        out = []
        if self.headline:
            cols = []
            for v in self.headline.values():
                cols += [c for c in v if c not in cols]
            out.append(("Headline: iotrace against strace and ltrace", ["measure"] + cols,
                        [[row] + [v.get(c, "-") for c in cols] for row, v in self.headline.items()],
                        []))
        out += self.sections
        if self.targets:
            out.append(("Targets", ["target", "measured", "verdict"],
                        [list(t) for t in self.targets], []))
        return out

    def text(self):
        lines = [self.head, ""]
        for title, header, rows, notes in self._tables():
            widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
            lines.append(f"== {title}")
            for r in [header] + rows:
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
            lines += [f"   {n}" for n in notes] + [""]
        return "\n".join(lines)

    def markdown(self):
        lines = [self.head, ""]
        for title, header, rows, notes in self._tables():
            lines += [f"#### {title}", "", "| " + " | ".join(header) + " |",
                      "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
            lines += [""] + [f"{n}." for n in notes] + ([""] if notes else [])
        return "\n".join(lines)
