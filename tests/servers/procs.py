"""Process shapes: a daemon that closes every fd and leaves its directory, a pre-forking server
that re-executes itself, vfork and posix_spawn children, and a module loaded with dlopen."""
import os
import time

import clients
from harness import (HF_EXECED, READS, accepted, calls, check, check_eq, free_port, header_flags,
                     reads_with_data, total, wait_port)


def cwd_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None  # it has just exited


def daemon(ctx, raw=False):
    """daemon_echo: double fork, setsid, all fds closed, chdir("/"); default output location.

    With raw=True the fds are closed by direct system calls the shim cannot see, and the load
    outgrows the file's first extent, so the shim must find its file again to grow it."""
    start_dir = ctx.new_dir("start", 0o755)
    port = free_port()
    # No IOTRACE_OUTPUT: every process must write into the directory the program started in.
    argv = [ctx.helper("daemon_echo"), str(port)] + (["--raw"] if raw else [])
    rc, out, err = ctx.run(argv, ctx.traced_env(None), cwd=start_dir)
    check(rc == 0, f"daemon_echo exit {rc}: {err}")
    said = [ln for ln in err.splitlines() if ln.startswith("iotrace:")] + ctx.shim_log_lines()
    check(not said, "the shim complained:\n" + "\n".join(said))
    # The daemon, to be killed whatever happens next; the middle child (still in the start
    # directory) may not have exited yet.
    ctx.strays += [p for p in ctx.find_processes(argv) if cwd_of(p) == "/"]
    wait_port(port)
    result = clients.echo(port, 4, 2500 if raw else 25, 200)
    pids = []
    for f in ctx.trace_files(start_dir):
        pids.append(int(os.path.basename(f).split(".")[1].split("-")[0]))
    check_eq(len(pids), 3, f"trace files in the start directory {os.listdir(start_dir)}")
    check_eq(len(ctx.strays), 1, "running daemons started with this port")
    daemon_pid = ctx.strays[0]
    check(daemon_pid in pids, f"no trace of the daemon {daemon_pid} in the start directory")
    os.kill(daemon_pid, 15)
    end = time.monotonic() + 10
    while os.path.exists(f"/proc/{daemon_pid}") and time.monotonic() < end:
        time.sleep(0.05)
    check(not os.path.exists(f"/proc/{daemon_pid}"), "the daemon did not stop on SIGTERM")
    stray = [n for n in os.listdir("/") if n.startswith("iotrace.") and n.endswith(".trace")
             and any(f".{p}." in n for p in pids)]
    check(not stray, f"traces written in / after chdir: {stray}")
    procs = ctx.summaries(start_dir)
    for p in procs:
        check(p["events"] > 0, f"pid {p['pid']} ({p['cmdline']}) recorded no event")
    # The first process returns from main, the middle child ends with _exit (the shim closes the
    # file there too) and the daemon calls exit: every file is closed.
    closed = sorted(p["pid"] for p in procs if p["closed"])
    check_eq(closed, sorted(p["pid"] for p in procs), "pids whose trace is closed")
    ev = ctx.events(start_dir)
    d = [p for p in procs if p["pid"] == daemon_pid][0]
    # wait_port's probe and the client's connections.
    check_eq(accepted(ev, {daemon_pid}), 1 + result.conns, "connections the daemon accepted")
    check(total([d], READS, "bytes_to_user") >= result.sent,
          f"the daemon read {total([d], READS, 'bytes_to_user')} bytes, the client sent "
          f"{result.sent}")
    check_eq(d["dropped_events"], 0, "events the daemon's trace dropped")
    got = reads_with_data(ev, {daemon_pid})
    check(got >= result.round_trips, f"the daemon's trace holds {got} reads with data, "
          f"{result.round_trips} round trips were answered")
    readers = [p["pid"] for p in procs if calls(p, "read")["bytes_to_user"] == 1]
    check_eq(len(readers), 2, "processes that read the daemon's ready byte from the pipe")
    return f"3 processes traced, daemon pid {daemon_pid}, {d['events']} events"


def prefork(ctx):
    """prefork_echo: exec of itself, a master, two workers each re-executed from a fork."""
    out_dir = ctx.new_dir("out")
    port = free_port()
    server = ctx.start([ctx.helper("prefork_echo"), str(port), "2"], ctx.traced_env(out_dir),
                       "prefork")
    check_eq(server.first_line(), "ready", "the master's first line")
    results = [clients.echo(port, 3, 20, 500, seed=s) for s in range(3)]
    check_eq(server.stop(), 0, "master exit status")
    m = [ln for ln in server.stdout().splitlines() if ln.startswith("accepted ")]
    check(m, f"the master did not report:\n{server.describe()}")
    sent = sum(r.sent for r in results)
    conns = sum(r.conns for r in results)
    check_eq(int(m[0].split()[1]), conns, "connections the workers say they accepted")
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir)
    for p in procs:
        if p["exec_seq"] == 0:  # replaced by exec: marked EXECED, not CLOSED
            check(header_flags(p["file"]) & HF_EXECED and not p["closed"],
                  f"{p['file']}: flags {header_flags(p['file']):#x}, expected EXECED only")
        else:
            check(p["closed"], f"{p['file']} (pid {p['pid']}) is not closed")
    master = [p for p in procs if p["pid"] == server.pid]
    check_eq(sorted(p["exec_seq"] for p in master), [0, 1],
             "exec_seq of the master's traces (before and after it re-executes itself)")
    workers = [p for p in procs if p["ppid"] == server.pid]
    check_eq(len(workers), 4, "traces of the workers (each forked, then re-executed)")
    # A worker's file from before its exec may be empty: it made no call between fork and exec.
    for pid in {p["pid"] for p in procs}:
        check(sum(p["events"] for p in procs if p["pid"] == pid) > 0, f"pid {pid} recorded nothing")
    check(all(calls(p, "read")["bytes_to_user"] == 1 for p in master if p["exec_seq"] == 0),
          "the pipe read before the re-exec is missing from the first trace")
    ev = ctx.events(out_dir)
    check_eq(accepted(ev), conns, "connections accepted over all traces")
    got = total(workers, READS, "bytes_to_user")
    check(got >= sent, f"workers read {got} bytes, the clients sent {sent}")
    return f"{len(procs)} traces, {conns} connections"


def vfork_spawn(ctx):
    """spawn_kinds: a vfork+execv child and a posix_spawn child each receive over a socketpair."""
    out_dir = ctx.new_dir("out")
    rc, out, err = ctx.run([ctx.helper("spawn_kinds")], ctx.traced_env(out_dir))
    check(rc == 0 and out.startswith("ok"), f"spawn_kinds exit {rc}: {out}{err}")
    parent = int(out.split()[1])
    procs = ctx.summaries(out_dir, expect_closed=True)
    kids = [p for p in procs if p["ppid"] == parent and "--child" in p["cmdline"]]
    check_eq(len(kids), 2, f"traces of the children: {[(p['pid'], p['cmdline']) for p in procs]}")
    for k in kids:
        r = calls(k, "recv")
        check(r["count"] == 1 and r["bytes_to_user"] == 4,
              f"child {k['pid']}: recv {r['count']} calls, {r['bytes_to_user']} bytes (1, 4)")
    par = [p for p in procs if p["pid"] == parent]
    check_eq(len(par), 1, "traces of the parent")
    r = calls(par[0], "recv")
    check(r["count"] == 2 and r["bytes_to_user"] == 8,
          f"parent: recv {r['count']} calls, {r['bytes_to_user']} bytes (2, 8)")
    check_eq(len(procs), 3, "trace files (parent and two children, none for a vfork child "
             "before its exec)")
    return "vfork and posix_spawn children traced"


def dlopen(ctx):
    """dlopen_recv: recv and read made by a module loaded after start-up are recorded."""
    out_dir = ctx.new_dir("out")
    module = os.path.join(ctx.bindir, "plug_recv.so")
    check(os.path.isfile(module), f"{module} is not built")
    rc, out, err = ctx.run([ctx.helper("dlopen_recv"), module], ctx.traced_env(out_dir))
    check(rc == 0 and out.strip() == "ok", f"dlopen_recv exit {rc}: {out}{err}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    check_eq(len(procs), 1, "traces")
    r, rd = calls(procs[0], "recv"), calls(procs[0], "read")
    check(r["count"] == 1 and r["bytes_to_user"] == 5,
          f"the module's recv: {r['count']} calls, {r['bytes_to_user']} bytes (1, 5)")
    check(rd["count"] == 1 and rd["bytes_to_user"] == 6,
          f"the module's read: {rd['count']} calls, {rd['bytes_to_user']} bytes (1, 6)")
    return "recv and read of the dlopen'd module recorded"
