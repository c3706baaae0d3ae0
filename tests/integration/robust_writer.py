"""The trace file's writer in the situations real programs reach: each run traced and untraced, compared."""
import os
import resource
import shutil
import stat
import subprocess
import types

import lifecycle
from iotest import Failure, call, check, check_eq, diff, kill_group, only_process, trace_files

HOSTILE_TIMEOUT = 15  # a program the shim blocks would hang: fail well before CTest's limit


def same_run(ctx, argv, out_dir, extra=None, limits=None, timeout=None):
    """Runs argv untraced and traced, with the same rlimits; fails unless exit and stdout match."""
    def preexec():
        for which, value in (limits or {}).items():
            resource.setrlimit(which, (value, value))
    kw = {"timeout": timeout} if timeout else {}
    plain = run_with(ctx, argv, ctx.plain_env(), preexec, **kw)
    check(plain.returncode == 0, f"untraced: exit {plain.returncode}\n{plain.stdout}{plain.stderr}")
    if os.path.exists(ctx.log_path):
        os.unlink(ctx.log_path)  # the shim's lines of this run only
    traced = run_with(ctx, argv, ctx.traced_env(out_dir, extra), preexec, **kw)
    traced.logged = shim_log(ctx)
    if (traced.returncode, traced.stdout) != (plain.returncode, plain.stdout):
        raise Failure(f"exit {plain.returncode} untraced, {traced.returncode} traced; stdout:\n"
                      + diff(plain.stdout, traced.stdout, "untraced", "traced")
                      + f"traced stderr:\n{traced.stderr}")
    return traced


def shim_log(ctx):
    """What the shim said in the run's IOTRACE_LOG (it never writes on the program's stderr)."""
    if not os.path.exists(ctx.log_path):
        return ""
    with open(ctx.log_path, errors="replace") as f:
        return f.read()


def said(ctx, result, text):
    """The shim's lines of a run: exactly one, containing text, in the log and none on stderr."""
    lines = [x for x in result.logged.splitlines() if x.startswith("iotrace:")]
    check(len(lines) == 1 and text in lines[0],
          f"expected one 'iotrace: ... {text}' line in IOTRACE_LOG, got:\n{result.logged}")
    check("iotrace:" not in result.stderr, f"the shim wrote on stderr:\n{result.stderr}")


def run_with(ctx, argv, env, preexec, timeout=40):
    try:
        return subprocess.run(argv, env=env, cwd=ctx.tmp, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              preexec_fn=preexec, start_new_session=True)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"timed out after {timeout} s: {' '.join(argv)}\n{e.stdout}{e.stderr}")


def recorded_plus_dropped(process, *calls):
    return sum(call(process, c)["count"] for c in calls) + process.get("dropped_events", 0)


def seccomp(ctx, how, n):
    """Item 1: a filter that allows only the program's own calls; the shim must make none."""
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_sandbox"), "seccomp", how, str(n)], out_dir)
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq(recorded_plus_dropped(p, "poll", "recv"), 2 * (n + 10),
             "polls and recvs recorded + dropped")
    check(call(p, "recv")["count"] >= 10, "the recvs before the filter are recorded")
    return p


def seccomp_past_reserve(ctx, how):
    p = seccomp(ctx, how, 60000)  # 1.9 MB of events: past the 768 KiB taken before the filter
    check(p.get("dropped_events", 0) > 0, "no drop counted past the reserve")


def address_space(ctx, when):
    """Items 8 and 20: an RLIMIT_AS budget (set before start, or lowered by the program)."""
    out_dir = ctx.new_dir("out")
    limits = {resource.RLIMIT_AS: 1500000 * 1024} if when == "start" else None
    run = same_run(ctx, [ctx.program("sc_writer"), "rlimit-as", when, "3000"], out_dir,
                   limits=limits)
    check("malloc(800 MiB) ok" in run.stdout, run.stdout)
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq(call(p, "recv")["count"], 6000, "recvs recorded")


def ownfd(ctx, how):
    """Item 4: the program takes the trace fd's number; its file must stay as the program left it."""
    out_dir, logs = ctx.new_dir("out"), ctx.new_dir("logs")
    log = os.path.join(logs, "program.log")
    limits = {resource.RLIMIT_NOFILE: 64} if how == "dup2" else None
    run = same_run(ctx, [ctx.program("sc_ownfd"), f"ownfd-{how}", log, "5000"], out_dir,
                   limits=limits)
    check_eq(os.path.getsize(log), 10, "size of the program's log")
    check(any(line.startswith("fcntl(top") and line.endswith("= -1 EBADF")
              for line in run.stdout.splitlines()), f"close of the number:\n{run.stdout}")
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq(recorded_plus_dropped(p, "recv"), 5000, "recvs recorded + dropped")


def workers(ctx, how):
    """Item 11: forked workers that _exit or are killed keep little more disk than their data."""
    n = 20
    out_dir = ctx.new_dir("out")
    run = same_run(ctx, [ctx.program("sc_writer"), how, str(n)], out_dir)
    procs = ctx.summary(trace_files(out_dir))
    children = [p for p in procs if call(p, "recv")["count"] == 1]
    check_eq(len(children), n, "workers' files with their one recv")
    bound = 64 * 1024 if how == "fork-kill" else 8 * 1024
    for f in trace_files(out_dir):
        used = os.stat(f).st_blocks * 512
        check(used <= bound + 4096, f"{f} takes {used} bytes of disk, more than {bound}")
    if how == "fork-exit":
        check(all(p.get("closed") for p in children), "a worker's file is not closed after _exit")
    return run


def exec_chain(ctx):
    """Item 11: no fixed number of exec images per pid."""
    k = 105
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_writer"), "exec-chain", str(k)], out_dir)
    procs = ctx.summary(trace_files(out_dir))
    pids = {p.get("pid") for p in procs}
    check_eq(len(pids), 1, "pids traced")
    check_eq(sorted(p.get("exec_seq") for p in procs), list(range(k + 1)), "exec_seq of the images")


def hostile_path(ctx, kind):
    """Items 6 and 18: a FIFO, a directory or a device where the trace file would go."""
    out_dir = ctx.new_dir("out")
    planted = os.path.join(out_dir, "fixed.trace")
    if kind == "fifo":
        os.mkfifo(planted)
    elif kind == "directory":
        os.mkdir(planted)
    else:  # a /dev/null of its own, so that a failing run leaves nothing in /dev
        os.mknod(planted, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    argv = [ctx.program("sc_blocked"), "ready", "100", "0"]
    traced = same_run(ctx, argv, out_dir, {"IOTRACE_OUTPUT": planted}, timeout=HOSTILE_TIMEOUT)
    said(ctx, traced, "not traced")
    check_eq(sorted(os.listdir(out_dir)), ["fixed.trace"], "files in the output directory")
    mode = os.lstat(planted).st_mode
    check({"fifo": stat.S_ISFIFO, "directory": stat.S_ISDIR, "device": stat.S_ISCHR}[kind](mode),
          "the planted file was replaced")


def secure(ctx):
    """Item 7: a setuid program, with the shim in ld.so.preload: IOTRACE_* must not steer it."""
    check(shutil.which("unshare"), "unshare(1) is needed")
    ctx.need_shim()
    os.chmod(ctx.tmp, 0o755)
    setuid_dir, out_dir = ctx.new_dir("setuid"), ctx.new_dir("out")
    os.chmod(setuid_dir, 0o755)
    os.chmod(out_dir, 0o777)
    prog = os.path.join(setuid_dir, "sc_blocked")
    shutil.copy(ctx.program("sc_blocked"), prog)
    os.chown(prog, 65534, 65534)
    os.chmod(prog, 0o4755)
    preload = os.path.join(setuid_dir, "ld.so.preload")
    with open(preload, "w") as f:
        f.write(ctx.shim + "\n")
    argv = [prog, "ready", "100", "0"]
    plain = subprocess.run(argv, env=ctx.plain_env(), cwd=out_dir, capture_output=True,
                           text=True, timeout=40)
    check(plain.returncode == 0, f"untraced: {plain.returncode} {plain.stderr}")
    env = ctx.plain_env()
    env["IOTRACE_OUTPUT"] = os.path.join(out_dir, "chosen.%p.trace")
    # ld.so.preload is put in place only in a mount namespace of this test's own, on an /etc of
    # its own (the loader finds libc in the default directories without ld.so.cache)
    script = 'mount -t tmpfs tmpfs /etc && cp "$1" /etc/ld.so.preload && shift && exec "$@"'
    traced = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                             "sh", preload, *argv], env=env, cwd=out_dir, capture_output=True,
                            text=True, timeout=40)
    check_eq((traced.returncode, traced.stdout), (plain.returncode, plain.stdout),
             "exit and stdout of the setuid program")
    check_eq(traced.stderr, plain.stderr, "stderr of the setuid program")
    check_eq(os.listdir(out_dir), [], "files the setuid program wrote")
    # the shim was loaded there: the same run not setuid is traced
    os.chmod(prog, 0o755)
    again = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                            "sh", preload, *argv], env=env, cwd=out_dir, capture_output=True,
                           text=True, timeout=40)
    check(again.returncode == 0 and trace_files(out_dir),
          f"the shim in ld.so.preload did not trace the program once not setuid: {again.stderr}")


def low_nofile(ctx):
    """Item 18: under `ulimit -n 32` the trace fd still goes to the top, out of the program's way."""
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_fds")], out_dir, limits={resource.RLIMIT_NOFILE: 32})
    only_process(ctx.summary(trace_files(out_dir)))


def cut_while_running(ctx):
    """Item 10: the trace file cut to nothing while the program runs (copytruncate)."""
    n = 3000
    out_dir = ctx.new_dir("out")
    argv = [ctx.program("sc_sigbus"), "cut", str(n)]
    results = []
    if os.path.exists(ctx.log_path):
        os.unlink(ctx.log_path)
    for env in (ctx.plain_env(), ctx.traced_env(out_dir)):
        proc = subprocess.Popen(argv, env=env, cwd=ctx.tmp, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            line = proc.stdout.readline()
            line += proc.stdout.readline()
            check(line.endswith(b"R\n"), f"the program did not get to its first {n} recvs: {line!r}")
            if "LD_PRELOAD" in env:
                files = trace_files(out_dir)
                check(files, "no trace file to cut")
                for f in files:
                    os.truncate(f, 0)
            out, err = proc.communicate(b"x", timeout=30)
        except subprocess.TimeoutExpired:
            raise Failure(f"timed out: {' '.join(argv)}")
        finally:
            kill_group(proc)
        results.append((proc.returncode, line.decode() + out.decode(), err.decode()))
    (prc, pout, _), (trc, tout, terr) = results
    check_eq(prc, 0, f"untraced exit ({pout})")
    if (trc, tout) != (prc, pout):
        raise Failure(f"exit {prc} untraced, {trc} traced; stdout:\n"
                      + diff(pout, tout, "untraced", "traced") + f"traced stderr:\n{terr}")
    said(ctx, types.SimpleNamespace(logged=shim_log(ctx), stderr=terr), "cut")
    for f in trace_files(out_dir):
        check_eq(os.path.getsize(f), 0, f"size of {f} after the cut (the shim must not regrow it)")


def own_sigbus(ctx, how):
    """Item 10's other side: a SIGBUS of the program's own ends it, or runs its handler, as untraced."""
    out_dir = ctx.new_dir("out")
    argv = [ctx.program("sc_sigbus"), "own-sigbus", how]
    plain = ctx.run_plain(argv)
    traced = ctx.run_traced(argv, out_dir)
    check_eq((traced.rc, traced.out), (plain.rc, plain.out), "exit and stdout, traced")
    check_eq(plain.rc, 3 if how == "handler" else -7, "untraced exit")


def threads_windows(ctx):
    """Items 8 and 20: 8 threads filling 25 MB, so windows are mapped and unmapped under them."""
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_threads"), "8", "100000"], out_dir)
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq(call(p, "recv")["count"], 800000, "recvs of 8 threads x 100000")
    check_eq((p.get("dropped_events"), p.get("torn_slots")), (0, 0), "(dropped, torn slots)")


def ownfd_raw_close(ctx):
    """Item 4: the program's close() of a number that was the trace fd must close its socket."""
    out_dir = ctx.new_dir("out")
    run = same_run(ctx, [ctx.program("sc_ownfd"), "ownfd-raw-close"], out_dir)
    check(any(line.startswith("recv(") and line.endswith("= 0") for line in run.stdout.splitlines()),
          f"the peer did not see the end of the stream:\n{run.stdout}")


def thread_churn(ctx):
    """Items 8 and 20: threads that come and go leave no windows mapped behind them."""
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_writer"), "thread-churn", "300"], out_dir)
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq(call(p, "recv")["count"], 600000, "recvs of 300 threads x 2000")


def vfork_exit(ctx):
    """Item 11's limit: _exit closes the file, but never the parent's from a vfork child."""
    out_dir = ctx.new_dir("out")
    same_run(ctx, [ctx.program("sc_writer"), "vfork-exit", "5000"], out_dir)
    p = only_process(ctx.summary(trace_files(out_dir)))
    check_eq((call(p, "recv")["count"], p.get("dropped_events")), (10000, 0),
             "(recvs recorded, dropped) of the parent")
    check(p.get("closed"), "the parent's file is not closed")


def sigkill_windows(ctx):
    """Windows + SIGKILL: what was recorded in windows since unmapped is all in the file."""
    n = 300000  # 9.6 MB of events: ten windows mapped and unmapped before the kill
    out_dir, p = lifecycle.sigkill(ctx, n)
    check_eq(p.get("dropped_events"), 0, "dropped events")
    data = n * 32  # the events alone; chunk headers add under 1%
    used = os.stat(trace_files(out_dir)[0]).st_blocks * 512
    check(used <= data + data // 8 + (128 << 10), f"{used} bytes of disk for {data} of events")
