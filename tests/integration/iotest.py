"""Helpers for the integration tests: run programs with or without the shim, read traces, clean up."""
import difflib
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile

RUN_TIMEOUT = 40  # seconds for any one program; CTest stops the whole test at 60


class Failure(Exception):
    """A check that did not hold: the test fails with this message."""


def check(cond, message):
    if not cond:
        raise Failure(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


class Result:
    def __init__(self, argv, rc, out, err, pid, logged=""):
        self.argv, self.rc, self.out, self.err, self.pid = argv, rc, out, err, pid
        self.logged = logged  # what the shim wrote into the run's IOTRACE_LOG

    def iotrace_lines(self):
        """The shim's lines, wherever they went: stderr (only a terminal should get them) or the log."""
        return [line for line in (self.err + self.logged).splitlines()
                if line.startswith("iotrace:")]

    def stderr_iotrace_lines(self):
        return [line for line in self.err.splitlines() if line.startswith("iotrace:")]

    def describe(self):
        return f"$ {' '.join(self.argv)}\nexit {self.rc}\nstdout:\n{self.out}stderr:\n{self.err}"


class Context:
    """Paths of the shim, the viewer and the scenarios, and a temporary directory removed at the end."""

    def __init__(self, shim, viewer, bindir):
        self.shim, self.viewer, self.bindir = shim, viewer, bindir
        self.srcdir = os.path.dirname(os.path.abspath(__file__))
        self.tmp = tempfile.mkdtemp(prefix="iotrace-integ-")
        self.log_path = os.path.join(self.tmp, "shim.log")  # IOTRACE_LOG of traced runs
        self._mounts = []

    def close(self):
        for point in reversed(self._mounts):
            subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def program(self, name):
        path = os.path.join(self.bindir, name)
        check(os.access(path, os.X_OK), f"scenario {path} is not built")
        return path

    def need_shim(self):
        check(os.path.isfile(self.shim), f"the shim is not built: {self.shim}")

    def need_viewer(self):
        check(os.path.isfile(self.viewer), f"the viewer is not built: {self.viewer}")

    def new_dir(self, name):
        return tempfile.mkdtemp(prefix=name + "-", dir=self.tmp)

    def mount_tmpfs(self, name, options):
        """A tmpfs of its own (a full or read-only output dir); not being allowed to is a failure."""
        point = self.new_dir(name)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", point],
                              capture_output=True, text=True)
        check(done.returncode == 0,
              f"cannot mount a tmpfs ({options}) at {point}: {done.stderr.strip()} "
              "(this test needs root and mount permission)")
        self._mounts.append(point)
        return point

    def traced_env(self, out_dir, extra=None):
        """The environment of a traced run: the shim preloaded, files in out_dir, plus extra."""
        self.need_shim()
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("IOTRACE_"):
                del env[key]
        env["LD_PRELOAD"] = self.shim
        env["IOTRACE_OUTPUT"] = os.path.join(out_dir, "iotrace.%p.trace")
        env["IOTRACE_LOG"] = self.log_path
        env["ASAN_OPTIONS"] = "verify_asan_link_order=0"  # in a sanitizer build the shim loads first
        env.update(extra or {})
        return env

    def plain_env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("IOTRACE_") and k != "LD_PRELOAD"}
        return env

    def run(self, argv, env, timeout=RUN_TIMEOUT, cwd=None):
        """Runs argv to the end (or the timeout, a failure) in its own session; returns a Result."""
        own_log = env.get("IOTRACE_LOG") == self.log_path
        if own_log and os.path.exists(self.log_path):
            os.unlink(self.log_path)  # each run's Result holds only its own lines
        proc = subprocess.Popen(argv, env=env, cwd=cwd or self.tmp, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            out, err = proc.communicate()
            raise Failure(f"timed out after {timeout} s: {' '.join(argv)}\nstdout so far:\n"
                          f"{out.decode(errors='replace')}stderr so far:\n"
                          f"{err.decode(errors='replace')}")
        logged = ""
        if own_log and os.path.exists(self.log_path):
            with open(self.log_path, errors="replace") as f:
                logged = f.read()
        return Result(argv, proc.returncode, out.decode(errors="replace"),
                      err.decode(errors="replace"), proc.pid, logged)

    def run_plain(self, argv, **kw):
        return self.run(argv, self.plain_env(), **kw)

    def run_traced(self, argv, out_dir, extra=None, **kw):
        return self.run(argv, self.traced_env(out_dir, extra), **kw)

    def summary(self, files, complaints=None):
        """The viewer's JSON summary of the given trace files: the list of processes.

        A non-zero exit fails at once, unless complaints is a list: then the JSON is still read
        and the complaint appended, so the caller can check the counts before failing on it."""
        self.need_viewer()
        check(files, "no trace file to read")
        done = subprocess.run([self.viewer, "summary", "--json", *files], capture_output=True,
                              text=True, timeout=RUN_TIMEOUT)
        if done.returncode != 0:
            complaint = (f"iotrace summary --json failed (exit {done.returncode}): "
                         f"{done.stderr.strip()}")
            check(complaints is not None, complaint)
            complaints.append(complaint)
        try:
            doc = json.loads(done.stdout)
        except ValueError as e:
            raise Failure(f"iotrace summary --json printed no valid JSON ({e}):\n{done.stdout[:2000]}")
        check(isinstance(doc.get("processes"), list), f"no 'processes' list in {done.stdout[:500]}")
        return doc["processes"]

    def summary_of_dir(self, out_dir):
        return self.summary(trace_files(out_dir))


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def trace_files(out_dir):
    return sorted(glob.glob(os.path.join(out_dir, "*.trace*")))


def read_byte(stream, timeout):
    """One byte from a pipe, or None if none came within timeout seconds."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return os.read(stream.fileno(), 1) if ready else None


ZERO_CALL = {k: 0 for k in ("count", "blocked", "would_block", "errors", "time_ns", "wait_ns",
                            "copy_ns", "fds_scanned", "fds_watched", "fds_ready", "bytes_asked",
                            "bytes_to_kernel", "bytes_to_user", "interest_max")}


def call(process, name):
    """The summary of one call name in one process; a call never made reads as zeros."""
    calls = process.get("calls")
    check(isinstance(calls, dict), f"process {process.get('pid')} has no 'calls' object")
    found = calls.get(name)
    if found is None:
        return dict(ZERO_CALL)
    merged = dict(ZERO_CALL)
    merged.update(found)
    return merged


def only_process(processes):
    check(len(processes) == 1, f"expected one process in the trace, got {len(processes)}: "
          f"{[(p.get('pid'), p.get('exec_seq')) for p in processes]}")
    return processes[0]


def by_pid(processes, pid):
    found = [p for p in processes if p.get("pid") == pid]
    check(found, f"no trace of pid {pid}; traced pids: {[p.get('pid') for p in processes]}")
    return found


def expect_calls(process, name, **fields):
    """Checks exact values of several fields of one call, reporting all mismatches at once."""
    got = call(process, name)
    bad = [f"{name}.{k}: expected {v}, got {got.get(k)}" for k, v in fields.items()
           if got.get(k) != v]
    check(not bad, "; ".join(bad))
    return got


def diff(expected, actual, label_a, label_b):
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        label_a, label_b))
