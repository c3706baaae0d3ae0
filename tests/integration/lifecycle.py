"""Process lifecycle: fork, exec, threads, spawned children, closed fds, SIGKILL, full or hostile output dirs."""
import os
import re
import signal
import subprocess

from counts import traced_load
from iotest import (Failure, by_pid, call, check, check_eq, diff, kill_group, only_process,
                    read_byte, trace_files)


def recv_count(processes):
    return sum(call(p, "recv")["count"] for p in processes)


def pids_from(out, pattern):
    m = re.search(pattern, out)
    check(m, f"the scenario did not print /{pattern}/:\n{out}")
    return [int(g) for g in m.groups()]


def fork(ctx):
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program("sc_fork")], out_dir)
    check(run.rc == 0, run.describe())
    parent, child = pids_from(run.out, r"parent (\d+) child (\d+)")
    procs = ctx.summary_of_dir(out_dir)
    check_eq(len(trace_files(out_dir)), 2, "trace files (parent and child)")
    mine = only_process(by_pid(procs, parent))
    theirs = only_process(by_pid(procs, child))
    check_eq(call(mine, "recv")["count"], 4, "parent recvs (3 before fork, 1 after)")
    check_eq(call(theirs, "recv")["count"], 2, "child recvs (the parent's 3 must not be copied)")
    check_eq(theirs.get("ppid"), parent, "child's ppid")
    check(mine.get("file") != theirs.get("file"), "parent and child share a file")


def exec_self(ctx, strip_env):
    out_dir = ctx.new_dir("out")
    args = [ctx.program("sc_exec")] + (["strip-env"] if strip_env else [])
    run = ctx.run_traced(args, out_dir)
    check(run.rc == 0, run.describe())
    first, = pids_from(run.out, r"first image pid (\d+)")
    second, = pids_from(run.out, r"second image pid (\d+)")
    check_eq(second, first, "pid across exec")
    procs = by_pid(ctx.summary_of_dir(out_dir), first)
    seqs = sorted(p.get("exec_seq") for p in procs)
    check_eq(seqs, [0, 1], "exec_seq of the files of this pid (one per image)")
    for p in procs:
        want = 2 if p.get("exec_seq") == 0 else 3
        check_eq(call(p, "recv")["count"], want, f"recvs of image exec_seq={p.get('exec_seq')}")
    check_eq([p.get("cmdline") for p in procs if p.get("exec_seq") == 1][0][1:], ["second"],
             "the new image's arguments")
    for p in procs:
        first_image = p.get("exec_seq") == 0
        check_eq((p.get("execed"), p.get("closed")), (first_image, not first_image),
                 f"(execed, closed) of the image with exec_seq={p.get('exec_seq')}")



def boot_id(ctx):
    """The header names the boot the file was written in, so the viewer knows which files share
    a monotonic clock."""
    p, _ = traced_load(ctx, "sc_threads", [1, 10])
    with open("/proc/sys/kernel/random/boot_id") as f:
        want = f.read().strip().replace("-", "")
    check_eq(p.get("boot_id"), want, "boot_id in the header")


def exec_log(ctx):
    """IOTRACE_LOG reaches the new image even when the program execs with an empty environment:
    each image says once that IOTRACE_STACK is not a number, in the log, never on stderr."""
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program("sc_exec"), "empty-env"], out_dir, {"IOTRACE_STACK": "x"})
    check(run.rc == 0, run.describe())
    said = [l for l in run.logged.splitlines() if "IOTRACE_STACK is not a number" in l]
    check_eq(len(said), 2, f"log lines about IOTRACE_STACK, one per image: {run.logged!r}")
    check("iotrace:" not in run.err, f"the shim wrote on the program's stderr: {run.err!r}")


def threads(ctx):
    p, _ = traced_load(ctx, "sc_threads", [8, 1000])
    check_eq(call(p, "recv")["count"], 8000, "recvs of 8 threads x 1000")
    check_eq(p.get("threads"), 8, "thread lanes")


def spawn(ctx, how):
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program("sc_spawn"), how], out_dir)
    check(run.rc == 0, run.describe())
    parent, child = pids_from(run.out, r"parent (\d+) child (\d+)")
    procs = ctx.summary_of_dir(out_dir)
    mine = only_process(by_pid(procs, parent))
    check_eq(call(mine, "recv")["count"], 5, "parent recvs (3 before the child, 2 after)")
    check_eq(recv_count(by_pid(procs, child)), 7, "recvs of the child program, in its own file")
    others = [p.get("pid") for p in procs if p.get("pid") not in (parent, child)]
    check(not others, f"trace files of unexpected pids {others}")


def closed_fds(ctx):
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program("sc_closefds"), "100"], out_dir)
    check(run.rc == 0, f"the program failed after closing fds 0..1023:\n{run.describe()}")
    p = only_process(ctx.summary_of_dir(out_dir))
    check_eq(call(p, "recv")["count"], 100, "recvs after closing every fd and chdir(/)")


def sigkill(ctx, n=1000):
    """n recvs, SIGKILL, and all n read back; returns the out dir and the process's summary."""
    out_dir = ctx.new_dir("out")
    proc = subprocess.Popen([ctx.program("sc_killed"), str(n)], env=ctx.traced_env(out_dir),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        said = read_byte(proc.stdout, 20)
        check(said == b"R", f"the program did not report its {n} recvs (got {said!r})")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        kill_group(proc)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    p = only_process(ctx.summary_of_dir(out_dir))
    check_eq(call(p, "recv")["count"], n, "recvs read back after SIGKILL")
    check_eq(p.get("closed"), False, "closed (the process was killed)")
    return out_dir, p


def compare_untraced(ctx, argv, traced):
    plain = ctx.run_plain(argv)
    check(plain.rc == 0, plain.describe())
    if (traced.rc, traced.out) != (plain.rc, plain.out):
        raise Failure(f"exit {plain.rc} -> {traced.rc}; stdout:\n"
                      + diff(plain.out, traced.out, "untraced", "traced"))


def one_iotrace_line(run):
    """The shim said one line, in IOTRACE_LOG, and none into the program's stderr (a pipe)."""
    check(not run.stderr_iotrace_lines(), f"the shim wrote into the program's stderr:\n{run.err}")
    lines = run.iotrace_lines()
    check(len(lines) == 1, f"expected one 'iotrace:' line in IOTRACE_LOG, got {len(lines)}:\n"
          f"{run.logged}")


def full_disk(ctx):
    n = 100000  # 3.2 MB of events for a 1 MiB file system
    full = ctx.mount_tmpfs("full", "size=1m")
    argv = [ctx.program("sc_blocked"), "ready", str(n), "0"]
    traced = ctx.run_traced(argv, full)
    compare_untraced(ctx, argv, traced)
    one_iotrace_line(traced)
    complaints = []
    p = only_process(ctx.summary(trace_files(full), complaints))
    check(p.get("dropped_events", 0) > 0, f"dropped_events = {p.get('dropped_events')}")
    check_eq(call(p, "recv")["count"] + p["dropped_events"], n, "recorded + dropped recvs")
    # Running out of space is foreseen: the file must still read back whole, not as damaged.
    check(not complaints, "; ".join(complaints))
    check_eq(p.get("truncated"), False, "truncated")
    check_eq(p.get("closed"), True, "closed")


def max_size(ctx):
    n = 100000
    out_dir = ctx.new_dir("out")
    run = ctx.run_traced([ctx.program("sc_blocked"), "ready", str(n), "0"], out_dir,
                         {"IOTRACE_MAX_SIZE": "1"})
    check(run.rc == 0, run.describe())
    complaints = []
    p = only_process(ctx.summary(trace_files(out_dir), complaints))
    for f in trace_files(out_dir):
        check(os.path.getsize(f) <= 1 << 20, f"{f} is {os.path.getsize(f)} bytes > 1 MiB")
    check(p.get("dropped_events", 0) > 0, f"dropped_events = {p.get('dropped_events')}")
    check_eq(call(p, "recv")["count"] + p["dropped_events"], n, "recorded + dropped recvs")
    check(not complaints, "; ".join(complaints))
    check_eq(p.get("truncated"), False, "truncated")


def read_only_dir(ctx):
    ro = ctx.mount_tmpfs("ro", "size=1m,ro")
    argv = [ctx.program("sc_blocked"), "ready", "100", "0"]
    traced = ctx.run_traced(argv, ro)
    compare_untraced(ctx, argv, traced)
    one_iotrace_line(traced)
    check_eq(os.listdir(ro), [], "files in the read-only directory")


def symlink(ctx, dangling):
    out_dir, elsewhere = ctx.new_dir("out"), ctx.new_dir("elsewhere")
    victim = os.path.join(elsewhere, "victim")
    if not dangling:
        with open(victim, "w") as f:
            f.write("must stay as it is\n")
    planted = os.path.join(out_dir, "fixed.trace")
    os.symlink(victim, planted)
    argv = [ctx.program("sc_blocked"), "ready", "100", "0"]
    traced = ctx.run_traced(argv, out_dir, {"IOTRACE_OUTPUT": planted})
    compare_untraced(ctx, argv, traced)
    one_iotrace_line(traced)
    check(os.path.islink(planted), "the planted symlink was replaced")
    if dangling:
        check(not os.path.exists(victim), "the shim created the symlink's target")
    else:
        with open(victim) as f:
            check_eq(f.read(), "must stay as it is\n", "the symlink target's content")
