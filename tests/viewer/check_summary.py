#!/usr/bin/env python3
"""Runs gen_trace, then `iotrace summary --json`, and checks every number against what was generated."""
import argparse
import json
import os
import subprocess
import sys

# The schema of docs/summary-json.md: key -> type, for a process and for one call.
PROCESS_KEYS = {
    "file": str, "pid": int, "ppid": int, "exec_seq": int, "cmdline": list, "host": str,
    "boot_id": str,
    "start_realtime_ns": int, "duration_ns": int, "threads": int, "events": int,
    "torn_slots": int, "dropped_events": int, "closed": bool, "execed": bool, "full": bool,
    "truncated": bool,
    "damaged_ranges": int, "stacks": bool, "split": bool, "blocked_measured": bool,
    "model": dict, "calls": dict, "notes": list,
}
CALL_KEYS = [
    "count", "blocked", "would_block", "errors", "time_ns", "mean_ns", "p50_ns", "p90_ns",
    "p99_ns", "p999_ns", "max_ns", "wait_ns", "copy_ns", "fds_scanned", "fds_watched",
    "fds_ready", "bytes_asked", "bytes_to_kernel", "bytes_to_user", "interest_max", "errnos",
]
NUMBER_KEYS = [k for k in CALL_KEYS if k != "errnos"]
PERCENTILES = ("p50_ns", "p90_ns", "p99_ns", "p999_ns")
PROCESS_CHECKS = ["pid", "threads", "closed", "truncated", "damaged_ranges", "dropped_events",
                  "events", "torn_slots"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def check_schema(proc, allow_sites):
    keys = set(proc)
    want = set(PROCESS_KEYS) | ({"sites"} if allow_sites else set())
    if keys != want:
        fail("process keys differ from the schema: extra %s, missing %s"
             % (sorted(keys - want), sorted(want - keys)))
    for k, t in PROCESS_KEYS.items():
        # bool is a subclass of int in Python: check it both ways.
        if k in proc and (not isinstance(proc[k], t) or (t is int and isinstance(proc[k], bool))):
            fail("%s has type %s, schema says %s" % (k, type(proc[k]).__name__, t.__name__))
    if set(proc.get("model", {})) != {"name", "evidence"}:
        fail("model keys: %s" % sorted(proc.get("model", {})))
    for name, c in proc.get("calls", {}).items():
        if list(c) != CALL_KEYS:
            fail("call %s keys: %s" % (name, list(c)))
        if c.get("count", 0) <= 0:
            fail("call %s listed with count %s" % (name, c.get("count")))
        for k in NUMBER_KEYS:
            if not isinstance(c.get(k), int) or isinstance(c.get(k), bool) or c.get(k) < 0:
                fail("call %s field %s = %r is not a non-negative int" % (name, k, c.get(k)))
        if not isinstance(c.get("errnos"), dict) or sum(c["errnos"].values()) != c.get("errors"):
            fail("call %s: errnos %r do not add up to its %r errors" % (name, c.get("errnos"),
                                                                     c.get("errors")))
        q = [c.get(k, 0) for k in PERCENTILES + ("max_ns",)]
        if q != sorted(q):
            fail("call %s: percentiles out of order: %r" % (name, q))


def close_enough(got, want):
    # The histogram reports the middle of a bucket at most 1/64 wide relative to the value.
    return abs(got - want) <= want // 32 + 1


def compare(proc, exp, strict_duration):
    for k in PROCESS_CHECKS:
        if proc.get(k) != exp[k]:
            fail("%s: viewer says %r, generator wrote %r" % (k, proc.get(k), exp[k]))
    if strict_duration and proc.get("duration_ns") != exp["duration_ns"]:
        fail("duration_ns: viewer %r, generator %r" % (proc.get("duration_ns"), exp["duration_ns"]))
    if exp["model"] and proc["model"]["name"] != exp["model"]:
        fail("model: viewer says %r (%s), generator imitated %r"
             % (proc["model"]["name"], proc["model"]["evidence"], exp["model"]))
    got_calls, want_calls = proc["calls"], exp["calls"]
    if set(got_calls) != set(want_calls):
        fail("calls: viewer %s, generator %s" % (sorted(got_calls), sorted(want_calls)))
    for name in sorted(set(got_calls) & set(want_calls)):
        g, w = got_calls[name], want_calls[name]
        for k in CALL_KEYS:
            ok = close_enough(g[k], w[k]) if k in PERCENTILES else g[k] == w[k]
            if not ok:
                fail("%s.%s: viewer %r, generator %r" % (name, k, g[k], w[k]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--viewer", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--dir", required=True, help="scratch directory")
    ap.add_argument("--name", required=True)
    ap.add_argument("--exit", type=int, default=0, help="expected exit status of the viewer")
    ap.add_argument("--stderr", action="append", default=[],
                    help="text the viewer's stderr must contain")
    ap.add_argument("--by-site", action="store_true")
    ap.add_argument("gen_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    trace = os.path.join(a.dir, a.name + ".trace")
    expect = os.path.join(a.dir, a.name + ".expect.json")
    gen_args = [x for x in a.gen_args if x != "--"]
    subprocess.run([a.gen, "-o", trace, "--expect", expect] + gen_args, check=True)
    cmd = [a.viewer, "summary", "--json"] + (["--by-site"] if a.by_site else []) + [trace]
    r = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(r.stderr)
    if r.returncode != a.exit:
        fail("exit status %d, expected %d" % (r.returncode, a.exit))
    for s in a.stderr:
        if s not in r.stderr:
            fail("stderr lacks %r" % s)
    try:
        out = json.loads(r.stdout)
    except ValueError as e:
        fail("output is not JSON: %s\n%s" % (e, r.stdout[:2000]))
        return 1
    with open(expect) as f:
        exp = json.load(f)
    if set(out) != {"processes"} or len(out["processes"]) != 1:
        fail("expected one process, got %r" % list(out))
        return 1
    proc = out["processes"][0]
    check_schema(proc, a.by_site)
    compare(proc, exp, exp["closed"])
    if a.by_site:
        check_sites(proc)
    print("%s: %d failures" % (a.name, len(failures)))
    return 1 if failures else 0


def check_sites(proc):
    """Per-site counts add up to the per-call counts, and frames name the generator's functions."""
    sums = {}
    for s in proc.get("sites", []):
        sums[s["call"]] = sums.get(s["call"], 0) + s["count"]
        if not any("gen_site_reader" in f for f in s["frames"]):
            fail("site %d frames do not name gen_site_reader: %s" % (s["site"], s["frames"]))
        if not any("gen_site_loop" in f for f in s["frames"]):
            fail("site %d frames do not name gen_site_loop: %s" % (s["site"], s["frames"]))
    for name, c in proc["calls"].items():
        if sums.get(name) != c["count"]:
            fail("sites of %s add up to %r, calls say %d" % (name, sums.get(name), c["count"]))


if __name__ == "__main__":
    sys.exit(main())
