"""Process identity under the shim: clone children, two threads vforking, exec environments, and
children started inside a seccomp sandbox. Each runs the probe with and without the shim."""
import re

from iotest import Failure, by_pid, call, check, check_eq, diff, only_process, trace_files
from lifecycle import pids_from


def without_pids(out):
    return re.sub(r"(parent|child) \d+", r"\1 PID", out)


def same_as_untraced(ctx, argv, out_dir, extra=None):
    """Runs argv untraced then traced; fails unless exit status and stdout (pids aside) match."""
    plain = ctx.run_plain(argv)
    check(plain.rc == 0, plain.describe())
    traced = ctx.run_traced(argv, out_dir, extra)
    a, b = without_pids(plain.out), without_pids(traced.out)
    if (traced.rc, b) != (plain.rc, a):
        raise Failure(f"exit {plain.rc} untraced, {traced.rc} traced; stdout:\n"
                      + diff(a, b, "untraced", "traced") + traced.err)
    return traced


def whole(process, what, closed=True):
    check_eq(process.get("dropped_events"), 0, f"dropped events of {what}")
    if closed:
        check_eq(process.get("closed"), True, f"{what} closed its own file")
    check_eq(process.get("execed"), False, f"{what} marked as exec'd")


def clone_child(ctx, how):
    """A child of clone() (no atfork handlers) writes its own file; the parent's stays whole."""
    out_dir = ctx.new_dir("out")
    run = same_as_untraced(ctx, [ctx.program("sc_clone"), how], out_dir)
    parent, child = pids_from(run.out, r"parent (\d+) child (\d+)")
    procs = ctx.summary(trace_files(out_dir))
    mine = only_process(by_pid(procs, parent))
    check_eq(call(mine, "recv")["count"], 3 + 2000, "parent recvs (3 before the child, 2000 after)")
    whole(mine, "the parent")
    # a child in a new pid namespace knows itself as pid 1, and writes its file under that pid
    theirs = only_process(by_pid(procs, 1 if how == "newpid" else child))
    check_eq(call(theirs, "recv")["count"], 5, "child recvs, in its own file")
    whole(theirs, "the child")
    check_eq(len(procs), 2, "trace files (parent and child)")


def vfork_child(ctx, how):
    """One thread's vfork child execs after another thread's vfork parent resumed; or a vfork
    child ends with exit(), which runs the shim's exit path on its parent's memory."""
    out_dir = ctx.new_dir("out")
    run = same_as_untraced(ctx, [ctx.program("sc_vfork_threads")] + how, out_dir)
    parent, = pids_from(run.out, r"parent (\d+)")
    mine = only_process(by_pid(ctx.summary(trace_files(out_dir)), parent))
    check_eq(call(mine, "recv")["count"], 3 + 1 + 200, "parent recvs (3 before, 201 after)")
    # exit() in a vfork child runs the process's exit handlers and destructors on the parent's
    # memory, and libc marks them done: the parent's own exit runs none, traced or not
    whole(mine, "the parent", closed=not how)


def exec_bad_envp(ctx):
    """A bad envp gets the kernel's EFAULT from exec and posix_spawn, as untraced."""
    same_as_untraced(ctx, [ctx.program("sc_exec_env"), "bad"], ctx.new_dir("out"))


def exec_small_stack(ctx):
    """posix_spawn and execve with 400 variables from a thread with a PTHREAD_STACK_MIN stack."""
    out_dir = ctx.new_dir("out")
    run = same_as_untraced(ctx, [ctx.program("sc_exec_env"), "small"], out_dir)
    procs = ctx.summary(trace_files(out_dir))
    images = sorted(p.get("exec_seq") for p in by_pid(procs, run.pid))
    check_eq(images, [0, 1], "images of the program (before and after its execve)")
    spawned = [p for p in procs if p.get("pid") != run.pid]
    check_eq([p.get("cmdline", [])[1:] for p in spawned], [["child"], ["child"]],
             "spawned children traced (the shim was carried into the 400-variable environment)")


def sandboxed_child(ctx, how):
    """A child started after a seccomp filter makes no system call for the shim, and the calls
    it could not record are counted as dropped in the file it came from."""
    out_dir = ctx.new_dir("out")
    run = same_as_untraced(ctx, [ctx.program("sc_sandbox_fork"), how], out_dir)
    parent, child = pids_from(run.out, r"parent (\d+) child (\d+)")
    procs = ctx.summary(trace_files(out_dir))
    mine = only_process(by_pid(procs, parent))
    check_eq(call(mine, "recv")["count"], 3 + 1, "parent recvs (3 before the filter, 1 after)")
    check_eq(mine.get("dropped_events"), 2, "dropped events (the sandboxed child's 2 recvs)")
    check(not [p for p in procs if p.get("pid") == child], "a file for the sandboxed child")
