"""Scale and interruptions: 10,000 connections on one epoll set, 64 threads with an epoll loop each,
and SIGUSR1 hitting a server blocked in epoll_wait or recv."""
import re

import clients
from faults import loadgen
from harness import (READS, accepted, calls, check, check_eq, free_port, raise_fd_limit, total,
                     wait_port)

CONNS = 10000


def connections_10000(ctx):
    """echo_epoll_lt holding 10,000 connections from loadgen: interest_max >= 10,000."""
    raise_fd_limit(CONNS + 1000)  # the server and loadgen inherit it, each needs one per connection
    out_dir = ctx.new_dir("out")
    port = free_port()
    server = ctx.start([ctx.example("echo_epoll_lt"), "-p", str(port)], ctx.traced_env(out_dir),
                       "echo_epoll_lt")
    wait_port(port, server.proc)
    result = loadgen(ctx, port, ["-c", str(CONNS), "-a", "100", "-s", "64", "-n", "20000",
                                 "--timeout", "80"], timeout=100)
    check_eq(result["connections"], CONNS, "connections loadgen held")
    check_eq(result["messages"], 20000, "messages echoed whole")
    check_eq(server.stop(), 0, "server exit status")
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    p = procs[0]
    most = max(calls(p, c)["interest_max"] for c in ("epoll_wait", "epoll_ctl", "epoll_pwait"))
    check(most >= CONNS, f"interest_max is {most}, the server watched {CONNS} connections")
    ev = ctx.events(out_dir)
    check_eq(accepted(ev), CONNS + 1, "accepted connections (loadgen's and the probe)")
    check(total(procs, READS, "bytes_to_user") >= result["bytes_sent"],
          f"the server read {total(procs, READS, 'bytes_to_user')} bytes, loadgen sent "
          f"{result['bytes_sent']}")
    return f"interest_max {most}"


def threads_64(ctx):
    """threads_epoll 64: every thread runs an epoll loop; 64 lanes in the trace, echo correct."""
    out_dir = ctx.new_dir("out")
    server = ctx.start([ctx.helper("threads_epoll"), "64"], ctx.traced_env(out_dir), "threads")
    port = int(server.first_line())
    result = clients.echo(port, 128, 8, 200)
    check_eq(server.stop(), 0, "server exit status")
    check(f"accepted {result.conns}" in server.stdout(), f"server said:\n{server.stdout()}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    p = procs[0]
    check(p["threads"] >= 64, f"{p['threads']} thread lanes in the trace, 64 loops ran")
    ev = ctx.events(out_dir)
    waiting = {e["tid"] for e in ev if e["call"] == "epoll_wait"}
    check(len(waiting) == 64, f"{len(waiting)} threads called epoll_wait, expected 64")
    readers = {e["tid"] for e in ev if e["call"] == "recv" and e["result"] > 0}
    check(len(readers) == 64, f"{len(readers)} threads received data, expected 64")
    check_eq(accepted(ev), result.conns, "accepted connections")
    check(total(procs, READS, "bytes_to_user") >= result.sent, "fewer bytes read than sent")
    return f"{p['threads']} thread lanes, {result.round_trips} round trips"


def signals(ctx, mode, restart):
    """sig_echo: SIGUSR1 every 200 us at the main thread; echo stays correct, EINTRs all recorded."""
    out_dir = ctx.new_dir("out")
    argv = [ctx.helper("sig_echo"), mode, "restart" if restart else "norestart"]
    server = ctx.start(argv, ctx.traced_env(out_dir), "sig_echo")
    port = int(server.first_line())
    conns = 4 if mode == "epoll" else 1
    results = [clients.echo(port, conns, 600, 1000, seed=s) for s in range(4)]
    check_eq(server.stop(), 0, "server exit status")
    m = re.search(r"signals (\d+) eintr_epoll_wait (\d+) eintr_recv (\d+) eintr_accept (\d+)",
                  server.stdout())
    check(m, f"the server did not report:\n{server.describe()}")
    sigs, e_wait, e_recv, e_accept = map(int, m.groups())
    check(sigs > 100, f"only {sigs} signals arrived")
    ev = ctx.events(out_dir)
    seen = {}
    for e in ev:
        if e["errno"] == 4:  # EINTR
            seen[e["call"]] = seen.get(e["call"], 0) + 1
    check_eq(seen.get("epoll_wait", 0), e_wait, "epoll_wait EINTRs recorded vs seen by the server")
    check_eq(seen.get("recv", 0), e_recv, "recv EINTRs recorded vs seen by the server")
    check_eq(seen.get("accept", 0), e_accept, "accept EINTRs recorded vs seen by the server")
    check_eq(accepted(ev), sum(r.conns for r in results), "accepted connections")
    procs = ctx.summaries(out_dir, expect_closed=True)
    sent = sum(r.sent for r in results)
    check(total(procs, READS, "bytes_to_user") >= sent, "fewer bytes read than sent")
    if restart and mode == "recv":
        check_eq(e_recv, 0, "recv EINTRs with SA_RESTART (the kernel restarts a socket recv)")
    return (f"{sigs} signals; EINTR: epoll_wait {e_wait}, recv {e_recv}, accept {e_accept}; "
            f"{sum(r.round_trips for r in results)} round trips")
