"""Recorded-count tests: a scenario makes a known number of calls; the viewer must count exactly those."""
import os

from iotest import call, check, check_eq, expect_calls, only_process


def traced_load(ctx, program, args, extra=None):
    """Runs a scenario traced, checks it worked, and returns its one process from the summary."""
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program(program), *map(str, args)], out_dir, extra)
    check(run.rc == 0, f"the scenario failed under the shim:\n{run.describe()}")
    return only_process(ctx.summary_of_dir(out_dir)), run


def recv_family(ctx, program):
    k, n = 50, 100
    p, _ = traced_load(ctx, program, ["load", k, n])
    for name in ("recv", "recvfrom", "recvmsg", "readv"):
        expect_calls(p, name, count=k, bytes_to_user=k * n, errors=0)
    expect_calls(p, "recv", bytes_asked=k * n)
    # k pipe reads; the k reads of a regular file must not be there.
    expect_calls(p, "read", count=k, bytes_to_user=k * n)
    expect_calls(p, "recvmmsg", count=1, bytes_to_user=k * n)


def select_family(ctx, program, nfds):
    k = 40
    p, _ = traced_load(ctx, program, ["load", k, nfds])
    set_bytes = (nfds + 63) // 64 * 8
    for name in ("select", "pselect"):
        expect_calls(p, name, count=k, fds_scanned=k * nfds, fds_watched=k, fds_ready=k,
                     bytes_to_kernel=k * set_bytes, bytes_to_user=k * set_bytes, errors=0)


def poll_family(ctx, program):
    k, nfds = 40, 100
    p, _ = traced_load(ctx, program, ["load", k, nfds])
    for name in ("poll", "ppoll"):
        expect_calls(p, name, count=k, fds_scanned=k * nfds, fds_watched=k * nfds // 2,
                     fds_ready=k, bytes_to_kernel=k * nfds * 8, bytes_to_user=k * nfds * 2)


def epoll_family(ctx, program):
    k, nreg = 30, 64
    p, _ = traced_load(ctx, program, ["load", k, nreg])
    expect_calls(p, "epoll_create1", count=1)
    # nreg ADDs, one ADD failing with EEXIST, two DELs failing (EBADF, ENOENT): DEL sends nothing.
    expect_calls(p, "epoll_ctl", count=nreg + 3, errors=3, bytes_to_kernel=12 * (nreg + 1))
    for name in ("epoll_wait", "epoll_pwait", "epoll_pwait2"):
        expect_calls(p, name, count=k, fds_ready=k, bytes_to_user=12 * k, interest_max=nreg)


def epoll_interest_after_close(ctx):
    """Half the registered fds closed before any wait: the kernel dropped them, so must the count."""
    nreg = 40
    p, _ = traced_load(ctx, "sc_epoll", ["shrink", nreg])
    expect_calls(p, "epoll_wait", count=10, interest_max=nreg - nreg // 2 + 1)


def accept_family(ctx, program):
    k = 20
    p, _ = traced_load(ctx, program, ["load", k])
    expect_calls(p, "accept", count=k, errors=0, would_block=0)
    expect_calls(p, "accept4", count=k + 1, would_block=1)
    expect_calls(p, "poll", count=2 * k)


def header(ctx):
    """What the summary says about the process itself, and the stacks/split flags it ran with."""
    for extra, stacks, split in (({}, False, False), ({"IOTRACE_STACK": "8"}, True, False),
                                 ({"IOTRACE_SPLIT": "1"}, False, True)):
        p, run = traced_load(ctx, "sc_blocked", ["ready", 10, 0], extra)
        check_eq(p.get("pid"), run.pid, "pid")
        check_eq(p.get("ppid"), os.getpid(), "ppid")
        check_eq(p.get("exec_seq"), 0, "exec_seq")
        check_eq(p.get("cmdline"), run.argv, "cmdline")
        check_eq(p.get("closed"), True, "closed after a normal exit")
        check_eq(p.get("truncated"), False, "truncated")
        check_eq(p.get("dropped_events"), 0, "dropped_events")
        check_eq(p.get("torn_slots"), 0, "torn_slots")
        check_eq(p.get("threads"), 1, "threads")
        check_eq(p.get("stacks"), stacks, f"stacks with {extra}")
        check_eq(p.get("split"), split, f"split with {extra}")
        check_eq(call(p, "recv")["count"], 10, "recv count")
        check(p.get("events", 0) >= 10, f"events {p.get('events')} < 10 recvs")
