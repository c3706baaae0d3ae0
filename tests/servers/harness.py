"""Shared pieces of the server tests: starting programs traced or not, ports, traces, clean-up."""
import csv
import glob
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DEBIAN_PYTHON = "/usr/bin/python3"  # the distribution's own binary, never a pyenv shim
STEP_TIMEOUT = 40  # seconds for one program or client run; CTest stops a whole test earlier


class Failure(Exception):
    """A check that did not hold; the test fails with this message."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def free_port():
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=20):
    """Returns once 127.0.0.1:port accepts a connection; fails if proc ends or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise Failure(f"{proc.args[0]} ended (exit {proc.returncode}) before listening on "
                          f"{port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Failure(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def raise_fd_limit(want):
    """Raises this process's RLIMIT_NOFILE (children inherit it); root may raise the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    if hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError) as e:
            raise Failure(f"cannot raise RLIMIT_NOFILE to {want} (hard {hard}): {e}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def log_lines(path, since=0):
    if not path or not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        f.seek(since)
        return [ln for ln in f.read().decode(errors="replace").splitlines()
                if ln.startswith("iotrace:")]


class Server:
    """A started program in its own session; output goes to files so it can never block on a pipe."""

    def __init__(self, ctx, argv, env, cwd, name):
        self.argv = argv
        # The shim's lines go to IOTRACE_LOG (fd 2 is a file here, not a terminal): from here on.
        self.log_path = env.get("IOTRACE_LOG")
        self.log_from = os.path.getsize(self.log_path) if self.log_path and os.path.exists(
            self.log_path) else 0
        self.out_path = os.path.join(ctx.tmp, f"{name}.{len(ctx.servers)}.out")
        self.err_path = os.path.join(ctx.tmp, f"{name}.{len(ctx.servers)}.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, start_new_session=True)
        self.pid = self.proc.pid

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stderr_iotrace_lines(self):
        return [line for line in self.stderr().splitlines() if line.startswith("iotrace:")]

    def iotrace_lines(self):
        """The shim's lines, wherever they went: the program's stderr (never, unless a terminal)
        or IOTRACE_LOG since this server started."""
        return self.stderr_iotrace_lines() + log_lines(self.log_path, self.log_from)

    def first_line(self, timeout=20):
        """The first whole line the program printed on stdout (servers print their port there)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = self.stdout()
            if "\n" in text:
                return text.split("\n", 1)[0].strip()
            if self.proc.poll() is not None:
                raise Failure(f"{self.argv[0]} ended (exit {self.proc.returncode}) before "
                              f"printing a line; stderr:\n{self.stderr()}")
            time.sleep(0.02)
        raise Failure(f"{self.argv[0]} printed no line in {timeout} s")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals the program and waits; returns its exit status (the group is killed on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"{self.argv[0]} did not stop within {timeout} s of signal {sig}")

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def describe(self):
        return f"$ {' '.join(self.argv)}\nstdout:\n{self.stdout()}\nstderr:\n{self.stderr()}"


class Context:
    """Paths of the shim, the viewer and the helpers, and a temporary directory removed at the end."""

    def __init__(self, args):
        self.shim, self.viewer = args.shim, args.viewer
        self.bindir, self.examples = args.bin, args.examples
        self.srcdir = os.path.dirname(os.path.abspath(__file__))
        # Checked before the directory exists: a failed check leaves no Context to close.
        check(os.path.isfile(self.shim), f"the shim is not built: {self.shim}")
        check(os.path.isfile(self.viewer), f"the viewer is not built: {self.viewer}")
        self.tmp = tempfile.mkdtemp(prefix="iotrace-servers-")
        self.shim_log = os.path.join(self.tmp, "shim.log")  # IOTRACE_LOG of every traced run
        os.chmod(self.tmp, 0o755)  # servers that drop privileges (nginx workers) must get in
        self.servers = []
        self.strays = []  # pids of processes that left their session (daemons), killed at close
        self.mounts = []

    def close(self):
        for server in self.servers:
            server.kill()
        for pid in self.strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for point in reversed(self.mounts):
            subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def find_processes(self, argv):
        """Pids of running processes whose command line is exactly argv."""
        want = ("\0".join(argv) + "\0").encode()
        found = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if entry.isdigit() and f.read() == want:
                        found.append(int(entry))
            except OSError:
                pass
        return found

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def new_dir(self, name, mode=0o700):
        d = tempfile.mkdtemp(prefix=name + "-", dir=self.tmp)
        os.chmod(d, mode)
        return d

    def helper(self, name):
        path = os.path.join(self.bindir, name)
        check(os.access(path, os.X_OK), f"helper {path} is not built")
        return path

    def example(self, name):
        path = os.path.join(self.examples, name)
        check(os.access(path, os.X_OK), f"example {path} is not built")
        return path

    def program(self, path, package):
        check(os.access(path, os.X_OK), f"{path} is missing (apt-get install {package})")
        return path

    def mount_tmpfs(self, name, options):
        """A tmpfs of its own (a full or read-only output directory); failing to mount fails."""
        point = self.new_dir(name)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", point],
                              capture_output=True, text=True)
        check(done.returncode == 0, f"cannot mount a tmpfs ({options}) at {point}: "
              f"{done.stderr.strip()} (this test needs root and permission to mount)")
        self.mounts.append(point)
        return point

    def plain_env(self, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("IOTRACE_") and k != "LD_PRELOAD"}
        env.update(extra or {})
        return env

    def traced_env(self, out_dir, extra=None):
        env = self.plain_env()
        env["LD_PRELOAD"] = self.shim
        if out_dir is not None:
            env["IOTRACE_OUTPUT"] = os.path.join(out_dir, "iotrace.%p.trace")
        env["IOTRACE_LOG"] = self.shim_log
        env["ASAN_OPTIONS"] = "verify_asan_link_order=0"  # a sanitizer build preloads the shim first
        env.update(extra or {})
        return env

    def shim_log_lines(self, since=0):
        """The lines the shim wrote into IOTRACE_LOG, from byte offset since."""
        return log_lines(self.shim_log, since)

    def start(self, argv, env, name="server", cwd=None):
        server = Server(self, argv, env, cwd or self.tmp, name)
        self.servers.append(server)
        return server

    def run(self, argv, env=None, timeout=STEP_TIMEOUT, cwd=None):
        """Runs a program to its end; returns (exit status, stdout, stderr) as text."""
        try:
            done = subprocess.run(argv, env=env if env is not None else self.plain_env(),
                                  cwd=cwd or self.tmp, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise Failure(f"timed out after {timeout} s: {' '.join(argv)}")
        return (done.returncode, done.stdout.decode(errors="replace"),
                done.stderr.decode(errors="replace"))

    # -- traces -------------------------------------------------------------------------------

    def trace_files(self, out_dir):
        return sorted(glob.glob(os.path.join(out_dir, "*.trace*")))

    def summaries(self, out_dir, expect_closed=None):
        """Summaries of every trace file in out_dir, each read on its own (exit 0 required)."""
        files = self.trace_files(out_dir)
        check(files, f"no trace file in {out_dir}")
        procs = []
        for f in files:
            rc, out, err = self.run([self.viewer, "summary", "--json", f])
            check(rc == 0, f"iotrace summary --json {f}: exit {rc}: {err.strip()}")
            try:
                doc = json.loads(out)
            except ValueError as e:
                raise Failure(f"iotrace summary --json {f} printed no JSON ({e}): {out[:500]}")
            check(len(doc.get("processes", [])) == 1, f"{f}: expected one process: {out[:500]}")
            p = doc["processes"][0]
            check(p["torn_slots"] == 0 and p["damaged_ranges"] == 0 and not p["truncated"],
                  f"{f}: damaged trace: torn {p['torn_slots']}, damaged ranges "
                  f"{p['damaged_ranges']}, truncated {p['truncated']}")
            if expect_closed is not None:
                check_eq(p["closed"], expect_closed, f"{f} (pid {p['pid']}) closed")
            procs.append(p)
        return procs

    def events(self, out_dir):
        """Every event of every trace in out_dir, as dicts of the CSV export."""
        files = self.trace_files(out_dir)
        check(files, f"no trace file in {out_dir}")
        rc, out, err = self.run([self.viewer, "export", "--format", "csv", "-o", "-", *files],
                                timeout=120)
        check(rc == 0, f"iotrace export --format csv: exit {rc}: {err.strip()}")
        rows = list(csv.DictReader(io.StringIO(out)))
        for r in rows:
            r["result"] = int(r["result"])
            r["errno"] = int(r["errno"])
            r["pid"] = int(r["pid"])
        return rows


HF_CLOSED, HF_EXECED, HF_FULL = 0x08, 0x10, 0x20  # header flags (docs/trace-format.md)


def header_flags(path):
    """The flags word of a trace file's header (after magic, version and three sizes)."""
    with open(path, "rb") as f:
        head = f.read(28)
    check(head[:8] == b"IOTRACE\0", f"{path}: not a trace file")
    return int.from_bytes(head[24:28], "little")


READS = ("recv", "recvfrom", "recvmsg", "recvmmsg", "read", "readv")
ACCEPTS = ("accept", "accept4")


def calls(p, name):
    """One call's numbers in one process; a call never made reads as all zeros."""
    return p["calls"].get(name, {"count": 0, "errors": 0, "would_block": 0, "bytes_to_user": 0,
                                  "interest_max": 0, "fds_ready": 0})


def total(procs, names, field):
    return sum(calls(p, n)[field] for p in procs for n in names)


def accepted(events, pids=None):
    """Accept calls that returned a connection."""
    return sum(1 for e in events if e["call"] in ACCEPTS and e["result"] >= 0
               and (pids is None or e["pid"] in pids))


def reads_with_data(events, pids=None):
    return sum(1 for e in events if e["call"] in READS and e["result"] > 0
               and (pids is None or e["pid"] in pids))


# Allocated bytes a trace may hold beyond its events: a process with a handful of events must
# not keep megabytes of disk, however it ended (killed, _exit, sandboxed).
DISK_SLACK = 1 << 20


def allocated(path):
    """Bytes of disk a file really holds (its blocks); it can be more or less than its size."""
    return os.stat(path).st_blocks * 512


def check_disk(procs, what):
    """Every trace's allocation stays within DISK_SLACK of its header and events (32 bytes
    each, twice over for chunk headers and call sites); returns the largest allocation."""
    over = []
    for p in procs:
        used = allocated(p["file"])
        if used > 4096 + 64 * p["events"] + DISK_SLACK:
            over.append(f"pid {p['pid']}: {used} bytes for {p['events']} events")
    check(not over, f"{what}: {len(over)} of {len(procs)} traces hold more than "
          f"{DISK_SLACK} bytes beyond their events, {sum(allocated(p['file']) for p in procs)} "
          f"bytes in all:\n" + "\n".join(over))
    return max(allocated(p["file"]) for p in procs)


def one_iotrace_line(server, what):
    check(not server.stderr_iotrace_lines(),
          f"{what}: the shim wrote into the program's stderr:\n{server.stderr()[-3000:]}")
    lines = server.iotrace_lines()
    check(len(lines) == 1, f"{what}: expected one 'iotrace:' line in IOTRACE_LOG, got "
          f"{len(lines)}:\n" + "\n".join(lines[-20:]))
    return lines[0]
