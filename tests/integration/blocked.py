"""Blocked detection: recvs that wait are blocked, recvs that find data or EAGAIN are not."""
from counts import traced_load
from iotest import call, check, check_eq


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
