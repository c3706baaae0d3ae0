"""The shim's messages: never in the program's stderr unless it is a terminal; in IOTRACE_LOG and
in the trace's notes instead."""
import json
import os
import pty
import select
import socket
import subprocess

from iotest import RUN_TIMEOUT, Failure, check, check_eq, diff, kill_group, only_process, trace_files

STACK_WORDS = "IOTRACE_STACK is not a number; using the default"


def env_with(ctx, out_dir, extra, log=None):
    """A traced environment with IOTRACE_LOG set to log, or unset."""
    env = ctx.traced_env(out_dir, extra)
    env.pop("IOTRACE_LOG", None)
    if log:
        env["IOTRACE_LOG"] = log
    return env


def run_with_stderr(argv, env, stderr_end, cwd):
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=stderr_end, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        proc.communicate()
        raise Failure(f"timed out: {' '.join(argv)}")
    return proc.returncode, out.decode(errors="replace")


def talk_on_socket(ctx, env):
    """Runs sc_stderr with a socket as its stderr, as inetd does; returns (exit, stdout, peer bytes)."""
    ours, theirs = socket.socketpair()
    with ours:
        try:
            rc, out = run_with_stderr([ctx.program("sc_stderr")], env, theirs.fileno(), ctx.tmp)
        finally:
            theirs.close()
        got = b""
        while True:
            ready, _, _ = select.select([ours], [], [], RUN_TIMEOUT)
            check(ready, "the peer saw no end of the conversation")
            piece = ours.recv(65536)
            if not piece:
                return rc, out, got
            got += piece


def stderr_socket(ctx):
    """A service speaking on fd 2 to its peer: the peer sees only the program's own lines."""
    missing = os.path.join(ctx.tmp, "no-such-dir", "iotrace.%p.trace")
    env = env_with(ctx, ctx.tmp, {"IOTRACE_OUTPUT": missing, "IOTRACE_STACK": "abc"})
    traced = talk_on_socket(ctx, env)
    plain = talk_on_socket(ctx, ctx.plain_env())
    check_eq(plain[0], 0, "untraced exit status")
    if traced != plain:
        raise Failure(f"exit {plain[0]} -> {traced[0]}; what the peer read on fd 2:\n"
                      + diff(plain[2].decode(errors="replace"), traced[2].decode(errors="replace"),
                             "untraced", "traced"))
    return f"the peer read {len(plain[2])} bytes either way"


def log_file(ctx):
    """IOTRACE_LOG, relative to where the program started, gets the lines stderr does not."""
    start = ctx.new_dir("start")
    os.mkdir(os.path.join(start, "logs"))
    missing = os.path.join(ctx.tmp, "no-such-dir", "iotrace.%p.trace")
    env = env_with(ctx, ctx.tmp, {"IOTRACE_OUTPUT": missing, "IOTRACE_STACK": "abc"},
                   log="logs/shim.log")
    traced = ctx.run([ctx.program("sc_stderr")], env, cwd=start)
    plain = ctx.run_plain([ctx.program("sc_stderr")])
    check_eq((traced.rc, traced.out, traced.err), (plain.rc, plain.out, plain.err),
             "exit, stdout and stderr traced (stderr is a pipe)")
    path = os.path.join(start, "logs", "shim.log")
    check(os.path.isfile(path), "IOTRACE_LOG was not written")
    with open(path) as f:
        lines = f.read().splitlines()
    want_pid = f"iotrace: pid {traced.pid}: "
    check_eq(len(lines), 2, f"lines in IOTRACE_LOG ({lines})")
    check(lines[0] == want_pid + STACK_WORDS, f"first line: {lines[0]!r}")
    check(lines[1].startswith(want_pid + "cannot create " + missing.replace("%p", str(traced.pid))),
          f"second line: {lines[1]!r}")
    check_eq(os.stat(path).st_mode & 0o777, 0o600, "IOTRACE_LOG's mode")
    return lines[1]


def log_hostile(ctx):
    """A symbolic link or a FIFO at IOTRACE_LOG: not followed, never waited on."""
    where = ctx.new_dir("logs")
    victim = os.path.join(where, "victim")
    with open(victim, "w") as f:
        f.write("must stay as it is\n")
    link = os.path.join(where, "link.log")
    os.symlink(victim, link)
    fifo = os.path.join(where, "fifo.log")
    os.mkfifo(fifo)
    for log in (link, fifo):
        env = env_with(ctx, ctx.new_dir("out"), {"IOTRACE_STACK": "abc"}, log=log)
        run = ctx.run([ctx.program("sc_stderr")], env)  # a hang is a timeout, a failure
        check_eq(run.rc, 0, f"exit status with IOTRACE_LOG at {log}")
    with open(victim) as f:
        check_eq(f.read(), "must stay as it is\n", "the symlink target's content")
    check(os.path.islink(link), "the planted symlink was replaced")


def terminal(ctx):
    """fd 2 a terminal: a person reads it, so the line goes there."""
    master, slave = pty.openpty()
    try:
        env = env_with(ctx, ctx.new_dir("out"), {"IOTRACE_STACK": "abc"})
        rc, _ = run_with_stderr([ctx.program("sc_stderr")], env, slave, ctx.tmp)
        os.close(slave)
        slave = -1
        said = b""
        while True:
            ready, _, _ = select.select([master], [], [], 5)
            if not ready:
                break
            try:
                piece = os.read(master, 4096)
            except OSError:  # EIO once the program's side is closed
                break
            if not piece:
                break
            said += piece
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    check_eq(rc, 0, "exit status")
    check(("iotrace: " + STACK_WORDS).encode() in said, f"the terminal got {said!r}")


def notes(ctx):
    """What the shim says goes into the trace too, and the summary shows it."""
    out_dir = ctx.new_dir("out")
    env = env_with(ctx, out_dir, {"IOTRACE_STACK": "abc"})
    run = ctx.run([ctx.program("sc_stderr")], env)
    check_eq(run.rc, 0, "exit status")
    files = trace_files(out_dir)
    check(len(files) == 1, f"expected one trace, got {files}")
    p = only_process(ctx.summary(files))
    texts = [n.get("text") for n in p.get("notes", [])]
    check_eq(texts, [STACK_WORDS], "the trace's notes")
    done = subprocess.run([ctx.viewer, "summary", files[0]], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    check("shim notes:" in done.stdout and STACK_WORDS in done.stdout,
          f"the text summary does not show the note:\n{done.stdout}")
    return json.dumps(p["notes"])
