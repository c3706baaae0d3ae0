"""Helpers the benchmark sections share: running commands with a deadline, medians, traces, /proc."""

import json
import os
import shutil
import signal
import statistics
import struct
import subprocess
import time

# Offsets in struct iot_file_header (format/iotrace_format.h): used_bytes and dropped_events.
HEADER_USED_BYTES = 72
HEADER_DROPPED = 80


class BenchError(Exception):
    """A benchmark did not run or produced a number that cannot be right."""


def run(cmd, env=None, timeout=120, cwd=None):
    """Runs cmd to completion; returns stdout. A failure or overrun is a BenchError."""
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{cmd[0]} ran past {timeout} s")
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def keyvals(line):
    """Parses 'a=1 b=x' into a dict, numbers as floats where they parse."""
    out = {}
    for word in line.split():
        if "=" in word:
            k, v = word.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def have(tool):
    return shutil.which(tool) is not None


def shim_env(shim, out_dir, stack=0, extra=None):
    """The environment of a traced run: the shim preloaded, traces written into out_dir."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = shim
    env["IOTRACE_OUTPUT"] = os.path.join(out_dir, "iotrace.%p.trace")
    if stack:
        env["IOTRACE_STACK"] = str(stack)
    else:
        env.pop("IOTRACE_STACK", None)
    env.update(extra or {})
    return env


def plain_env():
    """An untraced environment, whatever the caller's shell had preloaded."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "IOTRACE_STACK", "IOTRACE_OUTPUT", "IOTRACE_SPLIT"):
        env.pop(k, None)
    return env


def traces(out_dir):
    return sorted(os.path.join(out_dir, f) for f in os.listdir(out_dir) if f.endswith(".trace"))


def clear_traces(out_dir):
    for f in traces(out_dir):
        os.unlink(f)


def trace_header(path):
    """used_bytes and dropped_events from a trace file's header."""
    with open(path, "rb") as f:
        head = f.read(96)
    if len(head) < 96 or head[:8] != b"IOTRACE\0":
        raise BenchError(f"{path}: not a trace file")
    used, dropped = struct.unpack_from("<QQ", head, HEADER_USED_BYTES)
    return used, dropped


def summary(viewer, files, timeout=300):
    """iotrace summary --json of files, as parsed JSON."""
    return json.loads(run([viewer, "summary", "--json"] + list(files), timeout=timeout))


def call_count(summ, call):
    """Events of one call across every process of a summary."""
    return sum(p["calls"].get(call, {}).get("count", 0) for p in summ["processes"])


def total_events(summ):
    return sum(p["events"] for p in summ["processes"])


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of one process (all its threads), in seconds; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def children(pid):
    """Direct children of pid, read from /proc."""
    kids = []
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return kids


def wait_port(port, deadline_s=10.0):
    """Waits until something accepts on 127.0.0.1:port."""
    import socket

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise BenchError(f"nothing listens on 127.0.0.1:{port} after {deadline_s} s")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM, grace=10.0):
    """Stops a process we started and reaps it; SIGKILL if it outlives the grace period."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
