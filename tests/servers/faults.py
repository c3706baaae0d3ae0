"""Faults: SIGKILL in the middle of a load, a full disk, a read-only output directory."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import clients
from harness import (HF_FULL, READS, check, check_eq, free_port, header_flags, one_iotrace_line,
                     reads_with_data, total, wait_port)
from real import nginx_client, nginx_prefix, start_nginx, start_redis


class CountingLoad(threading.Thread):
    """Echo round trips (or any request/answer) on one connection until told to stop or cut.

    `done` counts round trips whose whole answer arrived: each of them was read by the server
    before it answered, so a trace must hold at least `done` reads that returned data."""

    def __init__(self, port, request, answer_len):
        super().__init__(daemon=True)
        self.port, self.request, self.answer_len = port, request, answer_len
        self.done = 0
        self.stop = False
        self.error = None

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self.stop:
                s.sendall(self.request)
                got = b""
                while len(got) < self.answer_len:
                    chunk = s.recv(self.answer_len - len(got))
                    if not chunk:
                        return  # the server was killed
                    got += chunk
                self.done += 1
        except OSError as e:
            self.error = e


def kill_mid_load(ctx, server, port, request, answer_len, out_dir, group=False):
    """Runs the load for about a second, SIGKILLs the server (with group, its whole process
    group), and checks that each trace reads back, unclosed, with every answered read in it."""
    load = CountingLoad(port, request, answer_len)
    load.start()
    end = time.monotonic() + 10
    while load.done < 2000 and time.monotonic() < end and load.is_alive():
        time.sleep(0.05)
    check(load.done > 0, f"no round trip before the kill ({load.error})")
    if group:
        os.killpg(server.pid, signal.SIGKILL)
    else:
        server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    load.join(10)
    done = load.done  # only grows until the server dies, so this is a lower bound at the kill
    time.sleep(0.2)  # the killed workers are reaped by init, not by this process
    procs = ctx.summaries(out_dir, expect_closed=False)
    ev = ctx.events(out_dir)
    got = reads_with_data(ev, None if group else {server.pid})
    check(got >= done, f"the trace holds {got} reads with data; {done} round trips were answered "
          "before the kill")
    return done, got, procs


def sigkill_example(ctx):
    """echo_epoll_lt SIGKILLed in the middle of a load: every answered round trip is in the trace."""
    out_dir = ctx.new_dir("out")
    port = free_port()
    server = ctx.start([ctx.example("echo_epoll_lt"), "-p", str(port)], ctx.traced_env(out_dir),
                       "echo_epoll_lt")
    wait_port(port, server.proc)
    done, got, _ = kill_mid_load(ctx, server, port, b"x" * 64, 64, out_dir)
    return f"{done} round trips answered before the kill, {got} reads with data recorded"


def sigkill_redis(ctx):
    """redis-server SIGKILLed in the middle of PINGs: every answered PING's read is recorded."""
    out_dir = ctx.new_dir("out")
    port = free_port()
    server = start_redis(ctx, ctx.traced_env(out_dir), port)
    done, got, procs = kill_mid_load(ctx, server, port, b"PING\r\n", len(b"+PONG\r\n"), out_dir)
    main = [p for p in procs if p["pid"] == server.pid]
    check(main and main[0]["calls"].get("read", {}).get("bytes_to_user", 0) >= done * 6,
          f"redis's recorded reads hold fewer than {done} x 6 bytes")
    return f"{done} PINGs answered before the kill, {got} reads with data recorded"


def loadgen(ctx, port, args, timeout=90):
    rc, out, err = ctx.run([ctx.example("loadgen"), "-p", str(port), "--json", *args],
                           timeout=timeout)
    try:
        result = json.loads(out)
    except ValueError:
        result = None
    check(rc == 0 and result is not None and result["errors"] == 0,
          f"loadgen {' '.join(args)}: exit {rc}\n{out}{err}")
    return result


def full_disk(ctx):
    """Traces on a 1 MiB tmpfs: the server serves every message, the shim says so once, drops."""
    out_dir = ctx.mount_tmpfs("full", "size=1m,mode=0700")
    port = free_port()
    server = ctx.start([ctx.example("echo_epoll_lt"), "-p", str(port)], ctx.traced_env(out_dir),
                       "echo_epoll_lt")
    wait_port(port, server.proc)
    result = loadgen(ctx, port, ["-c", "8", "-n", "40000", "-s", "32"])
    check_eq(result["messages"], 40000, "messages echoed whole")
    check_eq(server.stop(), 0, "server exit status")
    line = one_iotrace_line(server, "full disk")
    procs = ctx.summaries(out_dir)
    p = procs[0]
    check(p["dropped_events"] > 0, f"dropped_events is {p['dropped_events']} on a full disk")
    check(header_flags(p["file"]) & HF_FULL, "the header has no FULL flag")
    check(total(procs, READS, "bytes_to_user") > 0, "nothing was kept before the disk filled")
    return f"{p['events']} events kept, {p['dropped_events']} dropped; shim said: {line}"


def readonly_dir(ctx):
    """The output directory is a read-only mount: the server serves untraced, one stderr line."""
    out_dir = ctx.mount_tmpfs("ro", "size=1m,mode=0755")
    done = subprocess.run(["mount", "-o", "remount,ro", out_dir], capture_output=True, text=True)
    check(done.returncode == 0, f"cannot remount {out_dir} read-only: {done.stderr.strip()}")
    port = free_port()
    server = ctx.start([ctx.example("echo_epoll_lt"), "-p", str(port)], ctx.traced_env(out_dir),
                       "echo_epoll_lt")
    wait_port(port, server.proc)
    result = clients.echo(port, 4, 50, 100)
    plain = loadgen(ctx, port, ["-c", "4", "-n", "2000"])
    check_eq(plain["messages"], 2000, "loadgen messages")
    check_eq(server.stop(), 0, "server exit status")
    line = one_iotrace_line(server, "read-only output directory")
    check(not os.listdir(out_dir), f"files appeared in the read-only dir: {os.listdir(out_dir)}")
    return f"{result.round_trips} round trips served; shim said: {line}"


def http_answer_len(port, request):
    """The length of nginx's whole answer to request (headers of fixed width, fixed body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            check(chunk, "nginx closed the connection before its headers ended")
            buf += chunk
        head = buf.split(b"\r\n\r\n", 1)[0]
        length = [int(ln.split(b":")[1]) for ln in head.split(b"\r\n")
                  if ln.lower().startswith(b"content-length:")]
        check(length, f"no Content-Length in {head!r}")
        return len(head) + 4 + length[0]


def sigkill_nginx(ctx):
    """nginx master and workers SIGKILLed together under wrk: every worker trace reads back."""
    prefix, port, _ = nginx_prefix(ctx)
    out_dir = ctx.new_dir("out")
    server = start_nginx(ctx, prefix, port, ctx.traced_env(out_dir))
    request = b"GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = http_answer_len(port, request)
    wrk = ctx.start([ctx.program("/usr/bin/wrk", "wrk"), "-t", "1", "-c", "8", "-d", "10",
                     f"http://127.0.0.1:{port}/small.txt"], ctx.plain_env(), "wrk")
    time.sleep(0.3)
    done, got, procs = kill_mid_load(ctx, server, port, request, answer, out_dir, group=True)
    wrk.kill()
    workers = [p for p in procs if p["ppid"] == server.pid]
    check_eq(len(workers), 2, "worker traces")
    return f"{done} answered requests of one client before the kill; {got} reads with data"


def full_disk_nginx(ctx):
    """nginx master and workers tracing onto a 1 MiB tmpfs under wrk: all served, drops counted."""
    prefix, port, files = nginx_prefix(ctx)
    out_dir = ctx.mount_tmpfs("full", "size=1m,mode=0700")
    # The workers run as nobody: the log they share with the master is made for them beforehand.
    shim_log = os.path.join(ctx.new_dir("shimlog", 0o755), "shim.log")
    open(shim_log, "w").close()
    os.chmod(shim_log, 0o666)
    server = start_nginx(ctx, prefix, port, ctx.traced_env(out_dir, {"IOTRACE_LOG": shim_log}))
    rc, text, err = ctx.run([ctx.program("/usr/bin/wrk", "wrk"), "-t", "2", "-c", "8", "-d", "3",
                             f"http://127.0.0.1:{port}/small.txt"], timeout=30)
    check(rc == 0 and "Socket errors" not in text and "Non-2xx" not in text,
          f"wrk saw errors (exit {rc}):\n{text}{err}")
    after = nginx_client(ctx, port, files, rounds=2)
    check_eq(server.stop(signal.SIGQUIT), 0, "nginx exit status")
    procs = ctx.summaries(out_dir)
    dropping = [p for p in procs if p["dropped_events"] > 0]
    check(dropping, "no process dropped events on a 1 MiB disk under 3 s of wrk")
    for p in dropping:
        check(header_flags(p["file"]) & HF_FULL, f"{p['file']} dropped events without FULL")
    # nginx points its workers' stderr at the error log: the shim's lines must not land there.
    with open(os.path.join(prefix, "logs", "error.log"), errors="replace") as f:
        log = f.read()
    check(not [ln for ln in log.splitlines() if "iotrace:" in ln],
          f"the shim wrote into nginx's error log:\n{log[-2000:]}")
    lines = server.iotrace_lines()
    for p in dropping:
        mine = [ln for ln in lines if p["file"] in ln]
        check(len(mine) == 1, f"{len(mine)} 'iotrace:' lines name {p['file']}, which dropped "
              f"events:\n{server.stderr()[-2000:]}{log[-2000:]}")
    check_eq(len(lines), len(dropping), "'iotrace:' lines (one per process that dropped)")
    return (f"{after.round_trips} checked answers after the fill; "
            f"{sum(p['dropped_events'] for p in procs)} events dropped in {len(dropping)} "
            f"processes, {len(lines)} stderr lines")
