"""Checks the example echo servers and loadgen: one case per CTest test, chosen by subcommand.

  echo      --server BIN [--connections N --active M]   echoes 1- and 4000-byte messages
  many-fds  --server BIN --connections N --active M     holds N connections (N > 1024)
  bad-echo  --loadgen BIN                               loadgen catches corrupt or cut echoes
"""

import argparse
import os
import resource
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from echo_harness import EchoServer, loadgen_for, run_loadgen, run_server_with_load  # noqa: E402

MESSAGES = 1000
SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests


class Failed(Exception):
    pass


def expect(cond, what, details=""):
    if not cond:
        raise Failed(f"{what}\n{details}".rstrip())


def expect_clean_run(result, connections, active, size, messages):
    """loadgen's result shows every message echoed whole and equal, nothing else."""
    shown = repr(result)
    expect(result["errors"] == 0, "loadgen reported errors", shown)
    expect(result["connections"] == connections, f"expected {connections} connections", shown)
    expect(result["active"] == active, f"expected {active} active connections", shown)
    expect(result["messages"] == messages, f"expected {messages} messages", shown)
    expect(result["bytes_sent"] == messages * size, "bytes sent do not add up", shown)
    expect(result["bytes_received"] == result["bytes_sent"], "bytes received != sent", shown)


def check_echo(server, connections, active):
    """Two loads on one server process, so that it also outlives a first set of clients; then
    a stop with a client still connected, and one with SIGINT."""
    with EchoServer(server) as srv:
        for size in (1, 4000):
            args = ["-c", connections, "-a", active, "-s", size, "-n", MESSAGES]
            run = run_loadgen(loadgen_for(server), srv.port, args)
            expect(run.returncode == 0 and run.result is not None,
                   f"loadgen -s {size} exited with {run.returncode}",
                   run.stderr + "\nserver stderr:\n" + srv.stderr_text())
            expect_clean_run(run.result, connections, active, size, MESSAGES)
            print(f"size {size}: {run.result}")
        # Once this echo is back, the server is busy with the client (blocked in its recv, for
        # the blocking servers) and must still stop.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as client:
            client.sendall(b"ping")
            echoed = b""
            while len(echoed) < 4:
                chunk = client.recv(4 - len(echoed))
                expect(chunk, "server closed the connection instead of echoing 'ping'")
                echoed += chunk
            expect(echoed == b"ping", f"'ping' came back as {echoed!r}")
            code = srv.stop(signal.SIGTERM)
        expect(code == 0, f"server exited with {code} after SIGTERM", srv.stderr_text())
    with EchoServer(server) as srv:
        code = srv.stop(signal.SIGINT)
        expect(code == 0, f"server exited with {code} after SIGINT", srv.stderr_text())


def check_many_fds(server, connections, active):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < connections + 64:
        print(f"skipped: RLIMIT_NOFILE hard limit {hard} is below {connections + 64}")
        return SKIP
    # Active connections are spread over all of them and include the last, whose server fd is
    # above 1024: its echoes only come back if the server really watches fds past FD_SETSIZE.
    result = run_server_with_load(server, ["-c", connections, "-a", active, "-s", 100,
                                           "-n", MESSAGES])
    expect_clean_run(result, connections, active, 100, MESSAGES)
    print(result)
    return 0


class PyEchoServer:
    """A deliberately faulty echo server: 'good' echoes, 'flip' alters one byte, 'close' hangs up
    after echoing `limit` bytes."""

    def __init__(self, mode, limit):
        self.mode, self.limit = mode, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        echoed = 0
        with conn:
            while True:
                data = bytearray(conn.recv(65536))
                if not data:
                    return
                if self.mode == "flip" and echoed <= self.limit < echoed + len(data):
                    data[self.limit - echoed] ^= 0x01
                conn.sendall(data)
                echoed += len(data)
                if self.mode == "close" and echoed >= self.limit:
                    return

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()


def check_bad_echo(loadgen):
    args = ["-c", 2, "-a", 2, "-s", 100, "-n", 20, "--timeout", 20]
    # A hang-up reads as end of file, or as a reset when loadgen's next message was unread.
    cases = [("good", 0, None), ("flip", 250, ["echo differs"]),
             ("close", 100, ["closed by the server", "reset by peer"])]
    for mode, limit, complaints in cases:
        server = PyEchoServer(mode, limit)
        try:
            run = run_loadgen(loadgen, server.port, args)
        finally:
            server.close()
        print(f"{mode}: exit {run.returncode}, {run.result}, stderr: {run.stderr.strip()}")
        expect(run.result is not None, f"{mode}: loadgen printed no JSON", run.stderr)
        if complaints is None:
            expect(run.returncode == 0, "good: loadgen failed on a correct echo", run.stderr)
            expect_clean_run(run.result, 2, 2, 100, 20)
        else:
            expect(run.returncode == 1, f"{mode}: loadgen exited with {run.returncode}, not 1")
            expect(run.result["errors"] >= 1, f"{mode}: no error counted", repr(run.result))
            expect(any(c in run.stderr for c in complaints),
                   f"{mode}: stderr says none of {complaints}", run.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=["echo", "many-fds", "bad-echo"])
    parser.add_argument("--server")
    parser.add_argument("--loadgen")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--active", type=int, default=5)
    a = parser.parse_args()
    if a.loadgen:
        os.environ["IOTRACE_LOADGEN"] = a.loadgen
    try:
        if a.case == "echo":
            check_echo(a.server, a.connections, a.active)
        elif a.case == "many-fds":
            return check_many_fds(a.server, a.connections, a.active)
        else:
            check_bad_echo(a.loadgen)
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
