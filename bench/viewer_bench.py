"""Viewer speed: wall time and peak RSS of iotrace's commands on a generated 10-million-event trace."""

import os
import subprocess
import tempfile
import time

from benchutil import BenchError, median, run, summary, total_events


def timed(cmd, timeout=300):
    """Wall seconds and peak RSS (MB) of one child, from wait4's rusage of that child alone."""
    t0 = time.monotonic()
    errf = tempfile.TemporaryFile()  # a file, not a pipe: a chatty child cannot block on it
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            raise BenchError(f"{' '.join(cmd)} ran past {timeout} s")
        time.sleep(0.005)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped above: keep Popen from waiting again
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    errf.close()
    return wall, ru.ru_maxrss / 1024, p.returncode, err


def commands(viewer, trace, out_dir):
    """(name, argv) of every viewer command worth timing; render may not exist yet."""
    return [
        ("summary", [viewer, "summary", trace]),
        ("summary --json", [viewer, "summary", "--json", trace]),
        ("timeline", [viewer, "timeline", "--width", "100", "--no-color", trace]),
        ("export csv", [viewer, "export", "--format", "csv", trace, "-o",
                        os.path.join(out_dir, "out.csv")]),
        ("render", [viewer, "render", trace, "-o", os.path.join(out_dir, "out.html")]),
        ("render svg", [viewer, "render", trace, "-o", os.path.join(out_dir, "out.svg")]),
    ]


def run_viewer(tools, quick, log, reps=3):
    """Returns (rows, [(command, seconds, MB)] for the targets)."""
    threads, per_thread = (2, 100000) if quick else (4, 2500000)
    events = threads * per_thread
    rows, checks = [], []
    with tempfile.TemporaryDirectory(prefix="iotrace-bench-") as out_dir:
        trace = os.path.join(out_dir, "gen.trace")
        run([tools.gen, "-o", trace, "--model", "epoll-et", "--events", str(per_thread),
             "--threads", str(threads)], timeout=600)
        got = total_events(summary(tools.viewer, [trace]))
        if got != events:
            raise BenchError(f"gen_trace wrote {events} events, summary counts {got}")
        size_mb = os.stat(trace).st_size / 1e6
        log(f"viewer: generated {events:,} events, {size_mb:.0f} MB")
        for name, cmd in commands(tools.viewer, trace, out_dir):
            walls, rss = [], []
            for _ in range(1 if quick else reps):
                wall, mb, rc, err = timed(cmd)
                if rc != 0:
                    break
                walls.append(wall)
                rss.append(mb)
            if rc != 0:
                # A command that is not written yet is reported, not failed; a crash fails.
                if "not implemented" in err or rc == 1:
                    rows.append([name, f"{events:,}", "n/a", f"n/a: {err.strip()[:60]}"])
                    continue
                raise BenchError(f"{name}: exit {rc}: {err.strip()[-300:]}")
            w, m = median(walls), max(rss)
            rows.append([name, f"{events:,}", f"{w:.2f}", f"{m:.1f}"])
            log(f"viewer: {name} {w:.2f} s {m:.1f} MB")
            if name in ("summary", "render") and not quick:
                checks.append((name, w, m))
    rows.append(["(trace file)", f"{events:,}", "", f"file {size_mb:.0f} MB"])
    return rows, checks
