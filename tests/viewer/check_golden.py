#!/usr/bin/env python3
"""Golden tests: the viewer's text output for fixed generated traces must match tests/viewer/golden/.

Each case writes its traces with gen_trace (deterministic for a seed), runs one viewer command in
the scratch directory (so paths print the same everywhere) and compares "$ command", standard
output, standard error and the exit status with golden/<case>.txt.  --update rewrites them.
"""
import argparse
import os
import shlex
import subprocess
import sys

# case: (traces to generate as (file, gen args), viewer arguments)
CASES = {
    "summary_epoll_et": ([("epoll.trace", "--model epoll-et --events 500 --threads 2")],
                         "summary epoll.trace"),
    "summary_split": ([("split.trace", "--model tpc --split --phases-first --events 300")],
                      "summary split.trace"),
    "summary_mixed_no_rseq": ([("mixed.trace", "--model mixed --no-rseq --events 240")],
                              "summary mixed.trace"),
    "summary_truncated": ([("cut.trace", "--model select --events 400 --capacity 50 "
                                         "--cut-back 700 --not-closed")],
                          "summary cut.trace"),
    "summary_zero_chunk": ([("zero.trace", "--model busy --events 400 --capacity 50 "
                                           "--zero-chunk 2 --not-closed")],
                           "summary zero.trace"),
    "summary_directory": ([("procs/iotrace.100.trace", "--model epoll-lt --events 200 --pid 100 "
                                                       "--cmdline 'nginx: master process'"),
                           ("procs/iotrace.101.trace", "--model epoll-et --events 300 --pid 101 "
                                                       "--cmdline 'nginx: worker process'")],
                          "summary procs"),
    "timeline_epoll": ([("epoll.trace", "--model epoll-et --events 500 --threads 2")],
                       "timeline --width 100 epoll.trace"),
    "timeline_window": ([("tpc.trace", "--model tpc --split --events 200 --threads 3")],
                        "timeline --width 90 --from 1ms --to 3ms tpc.trace"),
    "timeline_signal": ([("signal.trace", "--model signal --events 60")],
                        "timeline --width 80 signal.trace"),
    "timeline_color": ([("signal.trace", "--model signal --events 30")],
                       "timeline --color --width 60 signal.trace"),
    "export_csv": ([("small.trace", "--model mixed --events 12")],
                   "export --format csv -o - small.trace"),
}


def run_case(a, name, traces, cmd):
    for path, args in traces:
        full = os.path.join(a.dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        subprocess.run([a.gen, "-o", full] + shlex.split(args), check=True)
    r = subprocess.run([a.viewer] + shlex.split(cmd), cwd=a.dir, capture_output=True, text=True,
                       env=dict(os.environ, COLUMNS="100"))
    return "$ iotrace %s\n%s--- stderr\n%s--- exit %d\n" % (cmd, r.stdout, r.stderr, r.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewer", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    # The viewer runs inside the scratch directory: relative tool paths would break there.
    a.viewer, a.gen = os.path.abspath(a.viewer), os.path.abspath(a.gen)
    os.makedirs(a.dir, exist_ok=True)
    bad = 0
    for name in a.cases or sorted(CASES):
        traces, cmd = CASES[name]
        got = run_case(a, name, traces, cmd)
        path = os.path.join(a.golden, name + ".txt")
        if a.update:
            with open(path, "w") as f:
                f.write(got)
            print("updated", path)
            continue
        try:
            with open(path) as f:
                want = f.read()
        except FileNotFoundError:
            want = None
        if got != want:
            bad += 1
            print("FAIL: %s differs from %s" % (name, path))
            import difflib
            sys.stdout.writelines(difflib.unified_diff(
                (want or "").splitlines(True), got.splitlines(True), "golden", "now"))
        else:
            print("ok:", name)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
