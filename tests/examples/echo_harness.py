"""Starts an example echo server, drives it with loadgen, stops it, and returns loadgen's result.

Used by the examples tests; meant to be imported as well by tests that run the same servers
under the shim (pass env={"LD_PRELOAD": ...}). Standard library only.
"""

import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time

# Bounds, not expectations: a server that needs longer than this has hung.
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
LOADGEN_TIMEOUT_S = 50

LISTENING = re.compile(rb"listening on (\S+):(\d+)\n")


class HarnessError(Exception):
    """The server or loadgen did not behave; the message says how, with their stderr."""


def loadgen_for(server_binary):
    """loadgen is built next to the servers; IOTRACE_LOADGEN overrides that."""
    return os.environ.get("IOTRACE_LOADGEN") or os.path.join(
        os.path.dirname(os.path.abspath(server_binary)), "loadgen")


class EchoServer:
    """One server process on a port the kernel picks (-p 0), as a context manager."""

    def __init__(self, binary, env=None, args=()):
        self.binary = binary
        self.env = None if env is None else {**os.environ, **env}
        self.args = list(args)
        self.proc = None
        self.port = None
        self.returncode = None
        # A file, not a pipe, so that a chatty server can never block on a full pipe.
        self.stderr = tempfile.TemporaryFile()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def start(self):
        self.proc = subprocess.Popen([self.binary, "-p", "0", *self.args], env=self.env,
                                     stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0)
        self.port = self._wait_listening()
        return self.port

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        fd = self.proc.stdout.fileno()
        seen = b""
        while True:
            match = LISTENING.search(seen)
            if match:
                return int(match.group(2))
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"{self.binary}: no 'listening on' line within "
                                   f"{START_TIMEOUT_S} s\n{self.stderr_text()}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait()
                    raise HarnessError(f"{self.binary} exited with {code} before listening\n"
                                       f"{self.stderr_text()}")
                seen += chunk

    def stop(self, sig=signal.SIGTERM):
        """Sends sig, then waits; returns the exit status (negative: killed by a signal)."""
        self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise HarnessError(f"{self.binary} still running {STOP_TIMEOUT_S} s after {sig!r}\n"
                               f"{self.stderr_text()}")
        return self.returncode


class LoadgenRun:
    """loadgen's exit status, its parsed JSON result (None if it printed none) and stderr."""

    def __init__(self, returncode, result, stderr):
        self.returncode = returncode
        self.result = result
        self.stderr = stderr


def run_loadgen(loadgen, port, loadgen_args):
    cmd = [loadgen, "-p", str(port), "--json", *map(str, loadgen_args)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=LOADGEN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"{' '.join(cmd)}: still running after {LOADGEN_TIMEOUT_S} s")
    stdout = done.stdout.decode(errors="replace").strip()
    result = json.loads(stdout) if stdout.startswith("{") else None
    return LoadgenRun(done.returncode, result, done.stderr.decode(errors="replace"))


def run_server_with_load(server_binary, loadgen_args, env=None):
    """Starts the server (env added to this process's environment), runs loadgen against it
    with loadgen_args, stops it with SIGTERM and returns loadgen's JSON result as a dict.
    Raises HarnessError if the server does not start or stop cleanly or loadgen fails."""
    with EchoServer(server_binary, env=env) as server:
        run = run_loadgen(loadgen_for(server_binary), server.port, loadgen_args)
        code = server.stop()
        if run.returncode != 0 or run.result is None:
            raise HarnessError(f"loadgen {' '.join(map(str, loadgen_args))} exited with "
                               f"{run.returncode}\n{run.stderr}\nserver stderr:\n"
                               f"{server.stderr_text()}")
        if code != 0:
            raise HarnessError(f"{server_binary} exited with {code} after SIGTERM\n"
                               f"{server.stderr_text()}")
        return run.result
