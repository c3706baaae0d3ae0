"""Blocked detection: recvs that wait are blocked, recvs that find data or EAGAIN are not."""
from counts import traced_load
from iotest import call, check, check_eq, trace_files


def waits(ctx):
    n, ms = 5, 50
    p, _ = traced_load(ctx, "sc_blocked", ["wait", n, ms])
    recv = call(p, "recv")
    check_eq(recv["count"], n, "recv count")
    check_eq(recv["blocked"], n, f"recvs blocked (each waited {ms} ms for data)")
    check_eq(recv["would_block"], 0, "would_block")
    check(recv["time_ns"] >= n * (ms - 5) * 1_000_000,
          f"recv time_ns {recv['time_ns']} < {n} x {ms - 5} ms")
    check(p.get("blocked_measured") is True, "blocked_measured is not true")


def data_ready(ctx):
    n = 200
    p, _ = traced_load(ctx, "sc_blocked", ["ready", n, 0])
    recv = call(p, "recv")
    check_eq(recv["count"], n, "recv count")
    check(recv["blocked"] <= n // 10,
          f"{recv['blocked']} of {n} recvs with data already there counted blocked (> 10 %)")
    check_eq(recv["would_block"], 0, "would_block")


def eagain(ctx):
    n = 200
    p, _ = traced_load(ctx, "sc_blocked", ["eagain", n, 0])
    recv = call(p, "recv")
    check_eq(recv["count"], n, "recv count")
    check_eq(recv["would_block"], n, "would_block (every recv returned EAGAIN)")
    check(recv["blocked"] <= n // 10, f"{recv['blocked']} of {n} EAGAIN recvs counted blocked")


def split_phases(ctx):
    """With IOTRACE_SPLIT=1 each waiting recv is a wait phase then a copy phase."""
    n, ms = 5, 50
    p, _ = traced_load(ctx, "sc_blocked", ["wait", n, ms], {"IOTRACE_SPLIT": "1"})
    check_eq(p.get("split"), True, "split")
    wait, copy = call(p, "wait"), call(p, "copy")
    check_eq(wait["count"], n, "wait phase events")
    check_eq(copy["count"], n, "copy phase events")
    check_eq(copy["bytes_to_user"], n, "bytes copied in the copy phases")
    check(wait["time_ns"] >= n * (ms - 5) * 1_000_000,
          f"wait phases took {wait['time_ns']} ns < {n} x {ms - 5} ms")
    check_eq(wait["blocked"], n, "wait phases blocked")


def long_split_read(ctx):
    """A read that waits longer than 4.3 s is stored in microseconds: rounded up, so its copy
    phase (in ns) still ends inside it, in the trace itself and not only in the exports."""
    import struct
    import sys
    out_dir = ctx.new_dir("out")
    prog = ("import socket, threading, time; a, b = socket.socketpair(); "
            "threading.Thread(target=lambda: (time.sleep(4.5), b.send(b'x'))).start(); "
            "print(a.recv(1))")
    run = ctx.run_traced([sys.executable, "-c", prog], out_dir, {"IOTRACE_SPLIT": "1"},
                         timeout=30)
    check(run.rc == 0 and "b'x'" in run.out, run.describe())
    units = {0: 1, 1: 1000, 2: 1000000}
    reads, copies = [], []
    for path in trace_files(out_dir):
        with open(path, "rb") as f:
            data = f.read()
        off = 4096
        while off + 64 <= len(data):
            magic, kind, _flags, size = struct.unpack_from("<IHHI", data, off)
            if magic != 0x4354494F or size < 1024:
                off += 1024
                continue
            if kind == 1:
                used, _seq, cap = struct.unpack_from("<III", data, off + 16)
                for i in range(min(used, cap)):
                    start, dur, call, flags = struct.unpack_from("<QIBB", data, off + 64 + 32 * i)
                    end = start + dur * units[(flags >> 3) & 3]
                    if call == 11 and flags & 0x40:  # recv, split into phases
                        reads.append((start, end))
                    elif call == 20:  # the copy phase
                        copies.append((start, end))
            off += size
    long_reads = [r for r in reads if r[1] - r[0] > 4_300_000_000]
    check(long_reads, f"no split recv longer than 4.3 s among {reads}")
    for rs, re_ in long_reads:
        mine = [c for c in copies if rs <= c[0] <= re_]
        check(mine and all(c[1] <= re_ for c in mine),
              f"a copy phase ends after its read: read {rs}..{re_}, phases {mine}")
