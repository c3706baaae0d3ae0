#!/usr/bin/env python3
"""The IO-model diagnosis on real servers: each example echo server runs under the shim, loadgen
drives it, and summary --json must name the model the server was written with."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import vtest

# server -> (model the viewer must name, loadgen connections)
SERVERS = {
    "echo_epoll_et": ("epoll edge-triggered", 20),
    "echo_epoll_lt": ("epoll level-triggered", 20),
    "echo_select": ("select", 20),
    "echo_poll": ("poll", 20),
    "echo_blocking_threads": ("blocking, thread per connection", 20),
    "echo_blocking_single": ("blocking, single-threaded", 1),
    "echo_busy_poll": ("non-blocking busy polling", 20),
    "echo_sigio": ("signal-driven", 20),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc):
    for _ in range(100):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    def extra(ap):
        ap.add_argument("--shim", required=True)
        ap.add_argument("--examples", required=True, help="directory of the example binaries")
    a = vtest.parse_args(__doc__, need_gen=False, extra=extra)
    checks = vtest.Checks("real models")
    for server, (model, conns) in SERVERS.items():
        exe = os.path.join(a.examples, server)
        if not checks.expect(os.path.exists(exe), "%s is not built (build all targets)" % exe):
            continue
        out = os.path.join(a.dir, "real-" + server)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        port = free_port()
        env = dict(os.environ, LD_PRELOAD=a.shim,
                   IOTRACE_OUTPUT=os.path.join(out, "iotrace.%p.trace"))
        proc = subprocess.Popen([exe, "-p", str(port)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            # The probe connection is one more client the server sees: harmless to every model.
            if not checks.expect(wait_listening(port, proc), "%s did not listen" % server):
                continue
            lg = subprocess.run([os.path.join(a.examples, "loadgen"), "-p", str(port), "-c",
                                 str(conns), "-n", "2000"], capture_output=True, text=True)
            checks.expect(lg.returncode == 0, "%s: loadgen failed: %s" % (server, lg.stderr[-500:]))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        r = subprocess.run([a.viewer, "summary", "--json", out], capture_output=True, text=True)
        if not checks.expect(r.returncode == 0, "%s: summary exit %d: %s" % (server, r.returncode,
                                                                          r.stderr[-500:])):
            continue
        procs = json.loads(r.stdout)["processes"]
        got = [p["model"]["name"] + ": " + p["model"]["evidence"] for p in procs]
        print("%s -> %s" % (server, got))
        checks.expect(len(procs) == 1 and procs[0]["model"]["name"] == model,
                      "%s: expected %r, viewer says %r" % (server, model, got))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
