"""vsftpd: sessions made with a raw clone(), run under a seccomp filter and a lowered RLIMIT_AS."""
import ftplib
import io
import os
import re

from harness import READS, accepted, check, check_disk, check_eq, free_port, total, wait_port

# Per connection, vsftpd 3.0.3 clones (a raw clone(CLONE_NEWIPC), no fork handlers run) a
# privileged session process, which sets RLIMIT_AS to 200 MB and clones (CLONE_NEWNET) an
# unprivileged pre-login process; after the login it clones a post-login process as the ftp
# user. With seccomp_sandbox=YES all three install a seccomp filter. The protocol log names
# every one of them by pid.
CONF = """listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port={port}
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root={root}
secure_chroot_dir={empty}
isolate=YES
isolate_network=YES
seccomp_sandbox={sandbox}
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file={log}
log_ftp_protocol=YES
dual_log_enable=NO
syslog_enable=NO
"""

# Commands that vsftpd 3.0.3 answers under its own seccomp filter on Debian 12. Its filter
# does not allow newfstatat, which glibc 2.36's fstat and stat use, so SIZE, LIST, NLST and
# RETR kill the session with SIGSYS there even untraced: they are sent only with the
# sandbox off.
SANDBOXED = ["SYST", "PWD", "CWD /", "TYPE I", "NOOP", "MODE S", "STRU F", "HELP", "FEAT",
             "XYZZY"]
TRANSFERS = ["TYPE I", "SIZE small.txt", "NLST", "RETR big.bin", "RETR small.txt", "CWD /nope",
             "RETR missing.bin"]
SESSIONS = 4


def prepare(ctx, sandbox):
    root = ctx.new_dir("ftproot", 0o755)  # the chroot of anonymous sessions, not writable
    empty = ctx.new_dir("empty", 0o755)
    files = {"small.txt": b"iotrace over ftp\n", "big.bin": os.urandom(200000)}
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    port = free_port()
    conf = ctx.path(f"vsftpd-{sandbox}.conf")
    log = ctx.path(f"vsftpd-{sandbox}.log")
    with open(conf, "w") as f:
        f.write(CONF.format(port=port, root=root, empty=empty, log=log, sandbox=sandbox))
    return conf, log, port, files


def start(ctx, conf, port, env):
    vsftpd = ctx.program("/usr/sbin/vsftpd", "vsftpd")
    server = ctx.start([vsftpd, conf], env, "vsftpd")
    wait_port(port, server.proc)  # this probe connection gets a session of its own
    return server


def command(f, cmd):
    """One command's answer; a refusal (5xx) is an answer, and the session goes on."""
    try:
        if cmd.startswith("RETR"):
            buf = io.BytesIO()
            return (f.retrbinary(cmd, buf.write), buf.getvalue())
        if cmd == "NLST":
            return sorted(f.nlst())
        return f.sendcmd(cmd)
    except ftplib.error_perm as e:
        return f"refused: {e}"


def session(port, commands, watch=None):
    """One anonymous login with ftplib, the commands, QUIT; returns (answers, bytes sent).

    A connection the server drops ends the session; what it said then is an answer too."""
    answers, sent = [], 0
    f = ftplib.FTP()
    try:
        answers.append(f.connect("127.0.0.1", port, timeout=20))
        answers.append(f.login())  # USER anonymous, PASS anonymous@
        sent += len("USER anonymous\r\nPASS anonymous@\r\n")
        for cmd in commands:
            # RETR and NLST send PASV first.
            sent += len(cmd) + 2 + (len("PASV\r\n") if cmd[:4] in ("RETR", "NLST") else 0)
            answers.append(command(f, cmd))
        if watch:
            watch()
        answers.append(f.quit())
        sent += len("QUIT\r\n")
    except (ftplib.Error, EOFError, OSError) as e:
        answers.append(f"{type(e).__name__}: {e}")
    finally:
        f.close()
    return answers, sent


def brief(answers):
    """A session's answers for a message: downloads as their length."""
    return [f"({a[0]!r}, {len(a[1])} bytes)" if isinstance(a, tuple) else a for a in answers]


def logged_pids(log):
    with open(log) as f:
        return {int(m) for m in re.findall(r"\[pid (\d+)\]", f.read())}


def seccomp_modes(log):
    """The seccomp mode (2: filter) of every logged vsftpd process still running."""
    modes = {}
    for pid in logged_pids(log):
        try:
            with open(f"/proc/{pid}/status") as f:
                m = re.search(r"^Seccomp:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            modes[pid] = int(m.group(1))
    return modes


def client(port, commands, log):
    """SESSIONS sessions, one after the other; the first also reads the seccomp mode of the
    vsftpd processes while it is logged in."""
    modes = {}
    runs = [session(port, commands, lambda: modes.update(seccomp_modes(log)))]
    runs += [session(port, commands) for _ in range(SESSIONS - 1)]
    return [a for a, _ in runs], sum(s for _, s in runs), modes


def vsftpd(ctx, sandbox):
    """vsftpd with anonymous ftplib sessions, traced and untraced; sandbox is YES or NO."""
    commands = SANDBOXED if sandbox == "YES" else TRANSFERS
    conf, log, port, files = prepare(ctx, sandbox)
    plain = start(ctx, conf, port, ctx.plain_env())
    untraced, _, modes = client(port, commands, log)
    plain_rc = plain.stop()
    check(all(a[1].startswith("230") and a[-1].startswith("221") for a in untraced),
          f"untraced sessions did not log in and out: {untraced}")
    if sandbox == "YES":
        check(2 in modes.values(), f"no vsftpd session process under a seccomp filter: {modes}")
    else:
        retr = untraced[0][2 + commands.index("RETR big.bin")]
        check(retr[1] == files["big.bin"], f"RETR big.bin untraced: {brief([retr])}")
    os.unlink(log)

    out_dir = ctx.new_dir("out", 0o777)  # pre- and post-login processes are nobody and ftp
    server = start(ctx, conf, port, ctx.traced_env(out_dir))
    traced, sent, _ = client(port, commands, log)
    differ = [i for i, (t, u) in enumerate(zip(traced, untraced)) if t != u]
    check(not differ, f"the ftp client got other answers from the traced vsftpd in sessions "
          f"{differ}; the first:\ntraced   {brief(traced[differ[0]])}\n"
          f"untraced {brief(untraced[differ[0]])}" if differ else "")
    check_eq(server.stop(), plain_rc, "traced vsftpd's status after SIGTERM (as untraced)")
    check(not server.iotrace_lines(), f"the shim wrote on vsftpd's stderr:\n{server.stderr()}")

    procs = ctx.summaries(out_dir)
    pids = {p["pid"] for p in procs}
    sessions = logged_pids(log)
    check(server.pid in pids, f"no trace of the listening process {server.pid}")
    check(not sessions - pids, f"vsftpd processes in its log without a trace: "
          f"{sorted(sessions - pids)} (traces of {sorted(pids)})")
    for p in procs:
        check_eq(p["dropped_events"], 0, f"events dropped by pid {p['pid']}")
        if p["pid"] in sessions:
            check(total([p], READS, "count") > 0, f"session process {p['pid']} recorded no read")
    ev = ctx.events(out_dir)
    check_eq(accepted(ev, {server.pid}), SESSIONS + 1, "connections the listener accepted")
    ours = [p for p in procs if p["pid"] in sessions]
    got = total(ours, READS, "bytes_to_user")
    check(got >= sent, f"the session processes read {got} bytes, the client sent {sent}")
    largest = check_disk(procs, f"vsftpd's {len(procs)} processes")
    return (f"{len(ours)} session processes traced, {sum(p['events'] for p in procs)} events; "
            f"at most {largest} bytes allocated per trace")
