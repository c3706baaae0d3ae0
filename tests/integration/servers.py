"""A real program from Debian: python3 echo servers on select.select and select.epoll, traced, under load."""
import os
import re
import select
import subprocess
import sys

from iotest import RUN_TIMEOUT, Failure, by_pid, call, check, check_eq, kill_group, only_process

K, ROUNDS, SIZE = 6, 20, 100
DEBIAN_PYTHON = "/usr/bin/python3"  # the distribution's binary itself, not a wrapper script


def read_line(proc, timeout):
    """The server's next stdout line, or a failure if it does not come in time."""
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            raise Failure(f"the server said nothing for {timeout} s")
        byte = os.read(proc.stdout.fileno(), 1)
        if not byte:
            raise Failure(f"the server ended early (exit {proc.wait()}): "
                          f"{proc.stderr.read().decode(errors='replace')}")
        line += byte
    return line.decode().strip()


def serve(ctx, script):
    """Runs the server traced and the client untraced; returns the server's stats line and trace."""
    check(os.access(DEBIAN_PYTHON, os.X_OK), f"{DEBIAN_PYTHON} is missing (apt-get install python3)")
    out_dir = ctx.new_dir("out")
    total = K * ROUNDS * SIZE
    server = subprocess.Popen(
        [DEBIAN_PYTHON, os.path.join(ctx.srcdir, "py", script), str(K), str(total)],
        env=ctx.traced_env(out_dir), cwd=ctx.tmp, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        port = int(read_line(server, 20))  # bound to 127.0.0.1, port chosen by the kernel
        client = ctx.run_plain([sys.executable, os.path.join(ctx.srcdir, "py", "echo_client.py"),
                                str(port), str(K), str(ROUNDS), str(SIZE)], timeout=RUN_TIMEOUT)
        check(client.rc == 0, f"the client failed:\n{client.describe()}")
        stats = read_line(server, 20)
        check_eq(server.wait(20), 0, "server exit status")
    finally:
        kill_group(server)
        server.wait()
        server.stdout.close()
        server.stderr.close()
    procs = ctx.summary_of_dir(out_dir)
    return stats, only_process(by_pid(procs, server.pid)), total


def numbers(stats, *names):
    values = []
    for name in names:
        m = re.search(rf"{name} (\d+)", stats)
        check(m, f"no '{name}' in the server's line: {stats}")
        values.append(int(m.group(1)))
    return values


def select_server(ctx):
    stats, p, total = serve(ctx, "echo_select.py")
    calls, recvs, echoed = numbers(stats, "select_calls", "recvs", "echoed")
    check_eq(echoed, total, "bytes echoed")
    sel = call(p, "select")
    check_eq(sel["count"], calls, "select calls (as the server counted them)")
    # Every select had the listener and all K clients in its read set.
    check_eq(sel["fds_watched"], (K + 1) * calls, "fds_watched = (K+1) x select calls")
    check(sel["fds_scanned"] >= (K + 1) * calls,
          f"fds_scanned {sel['fds_scanned']} < (K+1) x {calls} calls")
    check_eq(sel["fds_ready"], recvs, "fds_ready = the recvs the server made")
    recv = call(p, "recv")
    check_eq(recv["count"], recvs, "recv calls")
    check_eq(recv["bytes_to_user"], total, "recv bytes_to_user = bytes the clients sent")
    check_eq(call(p, "accept")["count"] + call(p, "accept4")["count"], K, "accepts")


def epoll_server(ctx):
    stats, p, total = serve(ctx, "echo_epoll.py")
    calls, ready, recvs, echoed = numbers(stats, "epoll_calls", "ready", "recvs", "echoed")
    check_eq(echoed, total, "bytes echoed")
    wait = call(p, "epoll_wait")
    check_eq(wait["count"], calls, "epoll_wait calls (as the server counted them)")
    check_eq(wait["fds_ready"], ready, "fds_ready")
    check_eq(wait["bytes_to_user"], 12 * wait["fds_ready"], "epoll_wait bytes_to_user = 12 x ready")
    check(wait["interest_max"] >= K + 1, f"interest_max {wait['interest_max']} < K+1 = {K + 1}")
    check_eq(call(p, "epoll_ctl")["count"], K + 1, "epoll_ctl calls (K clients + listener)")
    # Not exact: importing socket makes CPython's selectors module probe epoll once on its own.
    created = call(p, "epoll_create1")["count"] + call(p, "epoll_create")["count"]
    check(created >= 1, "no epoll_create recorded")
    recv = call(p, "recv")
    check_eq(recv["count"], recvs, "recv calls")
    check_eq(recv["bytes_to_user"], total, "recv bytes_to_user = bytes the clients sent")
