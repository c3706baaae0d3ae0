"""apache2 with mpm_worker: a thread pool, one listener thread accepting and workers reading."""
import os
import random
import re

import clients
from harness import READS, accepted, check, check_disk, check_eq, free_port, total, wait_port

MODULES = "/usr/lib/apache2/modules"
THREADS = 4
# mpm_worker, not mpm_event: Debian 12's mpm_event child crashes at times on SIGTERM untraced
# too (SIGSEGV in apr_os_sock_get in the main thread while a worker frees its pools: 3 stops
# in about 90 here), which would hide a crash the shim causes.
MPM = "worker"
# One child process only (ServerLimit 1), so the thread pool is the whole server. The modules
# are the least a static site needs: no Debian site configuration is read.
CONF = """ServerRoot {prefix}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
LoadModule mpm_{mpm}_module {modules}/mod_mpm_{mpm}.so
LoadModule authz_core_module {modules}/mod_authz_core.so
User nobody
Group nogroup
PidFile {prefix}/logs/httpd.pid
ErrorLog {prefix}/logs/error.log
DocumentRoot {prefix}/htdocs
<Directory {prefix}/htdocs>
  Require all granted
</Directory>
StartServers 1
ServerLimit 1
ThreadLimit {threads}
ThreadsPerChild {threads}
MaxRequestWorkers {threads}
MinSpareThreads 1
MaxSpareThreads {threads}
MaxConnectionsPerChild 0
"""
PATHS = ["/index.html", "/small.txt", "/big.bin", "/missing"]
AB_REQUESTS, AB_CONCURRENCY = 2000, 8


def prepare(ctx):
    prefix = ctx.new_dir("apache", 0o755)  # the child runs as nobody and reads htdocs/
    for sub in ("logs", "htdocs"):
        os.makedirs(os.path.join(prefix, sub), mode=0o755)
    rng = random.Random(11)
    files = {"index.html": b"<html>iotrace</html>\n", "small.txt": b"y" * 100,
             "big.bin": bytes(rng.getrandbits(8) for _ in range(300000))}
    for name, data in files.items():
        with open(os.path.join(prefix, "htdocs", name), "wb") as f:
            f.write(data)
    port = free_port()
    with open(os.path.join(prefix, "httpd.conf"), "w") as f:
        f.write(CONF.format(prefix=prefix, port=port, modules=MODULES, threads=THREADS,
                           mpm=MPM))
    return prefix, port, files


def start(ctx, prefix, port, env):
    apache2 = ctx.program("/usr/sbin/apache2", "apache2-bin")
    server = ctx.start([apache2, "-d", prefix, "-f", os.path.join(prefix, "httpd.conf"),
                        "-DFOREGROUND"], env, "apache2")
    wait_port(port, server.proc)
    return server


def pool(server):
    """The child processes of the server and how many threads each runs now."""
    found = {}
    for tid in os.listdir(f"/proc/{server.pid}/task"):
        with open(f"/proc/{server.pid}/task/{tid}/children") as f:
            for pid in f.read().split():
                found[int(pid)] = len(os.listdir(f"/proc/{pid}/task"))
    return found


def error_log(prefix):
    with open(os.path.join(prefix, "logs", "error.log"), errors="replace") as f:
        return f.read()


def crashes(log):
    """The parent's reports of a child that died of a signal (AH00052 "exit signal")."""
    return "\n".join(line for line in log.splitlines() if "exit signal" in line)


def curl(ctx, port):
    """One curl per path, each its own connection: (status, body) per path."""
    prog = ctx.program("/usr/bin/curl", "curl")
    out = []
    for i, path in enumerate(PATHS):
        body = ctx.path(f"curl.{i}")
        rc, text, err = ctx.run([prog, "-sS", "--max-time", "20", "-o", body, "-w",
                                 "%{http_code}", f"http://127.0.0.1:{port}{path}"])
        check(rc == 0, f"curl {path}: exit {rc}: {err}")
        with open(body, "rb") as f:
            out.append((text, f.read()))
    return out


def ab(ctx, port):
    """ApacheBench, one connection per request; returns its figures that must not vary."""
    prog = ctx.program("/usr/bin/ab", "apache2-utils")
    rc, text, err = ctx.run([prog, "-q", "-n", str(AB_REQUESTS), "-c", str(AB_CONCURRENCY),
                             f"http://127.0.0.1:{port}/small.txt"], timeout=60)
    check(rc == 0, f"ab failed ({rc}): {text}{err}")
    figures = {}
    for key in ("Complete requests", "Failed requests", "Non-2xx responses", "HTML transferred"):
        m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
        figures[key] = int(m.group(1)) if m else 0
    return figures


def load(ctx, port, files):
    """The python keep-alive client, curl and ab; checks every answer against the files."""
    http = clients.http(port, 3, PATHS, 3)
    for (status, body), path in zip(http.answers, PATHS * 3):
        want = files.get(path[1:])
        check(status.endswith(b" 200 OK") and body == want if want else b" 404 " in status,
              f"GET {path}: {status!r}, {len(body)} bytes")
    got = curl(ctx, port)
    for (status, body), path in zip(got, PATHS):
        want = files.get(path[1:])
        check(status == "200" and body == want if want else status == "404",
              f"curl {path}: {status}, {len(body)} bytes")
    bench = ab(ctx, port)
    check(bench["Complete requests"] == AB_REQUESTS and bench["Failed requests"] == 0
          and bench["Non-2xx responses"] == 0
          and bench["HTML transferred"] == AB_REQUESTS * len(files["small.txt"]),
          f"ab: {bench}")
    return http, got, bench


def apache_worker(ctx):
    """apache2 (mpm_worker, 1 child of 4 workers) under a python client, curl and ab -c 8."""
    prefix, port, files = prepare(ctx)
    plain = start(ctx, prefix, port, ctx.plain_env())
    untraced = load(ctx, port, files)
    plain_rc = plain.stop()
    check_eq(plain_rc, 0, "untraced apache2 exit status after SIGTERM")
    check(not crashes(error_log(prefix)), f"apache2's child died of a signal untraced:\n"
          f"{crashes(error_log(prefix))}")
    os.unlink(os.path.join(prefix, "logs", "error.log"))

    out_dir = ctx.new_dir("out")
    server = start(ctx, prefix, port, ctx.traced_env(out_dir))
    traced = load(ctx, port, files)
    running = pool(server)  # after the load: the child has served it
    check(traced[0].answers == untraced[0].answers and traced[1:] == untraced[1:],
          "apache2 answered differently under the shim")
    check_eq(server.stop(), plain_rc, "traced apache2 exit status after SIGTERM")
    check(not server.iotrace_lines(), f"the shim wrote on apache2's stderr:\n{server.stderr()}")
    check_eq(len(running), 1, f"apache2 children while it ran: {running}")
    (child_pid, nthreads), = running.items()
    check(nthreads >= THREADS + 1, f"the child ran {nthreads} threads, expected the "
          f"{THREADS} workers and a listener")

    log = error_log(prefix)
    check(not crashes(log), f"apache2's child died of a signal traced:\n{crashes(log)}")

    procs = ctx.summaries(out_dir)
    for p in procs:  # both end with exit
        check(p["closed"], f"pid {p['pid']} (child {child_pid}) did not end with exit: its "
              f"trace is not closed; apache2's error log ends:\n{log[-1500:]}")
    check_eq(sorted(p["pid"] for p in procs), sorted([server.pid, child_pid]),
             "traced pids (the parent and its one child)")
    for p in procs:
        check_eq(p["dropped_events"], 0, f"events dropped by pid {p['pid']}")
    child = [p for p in procs if p["pid"] == child_pid][0]
    ev = [e for e in ctx.events(out_dir) if e["pid"] == child_pid]
    http, _, bench = traced
    conns = 1 + http.conns + len(PATHS) + bench["Complete requests"]  # the probe first
    # ab may open up to its concurrency in connections it closes unused once all its requests
    # are answered.
    got = accepted(ev)
    check(conns <= got <= conns + AB_CONCURRENCY, f"the child accepted {got} connections: the "
          f"probe, python's, curl's and ab's make {conns} (ab may add up to {AB_CONCURRENCY})")
    accepts = [e for e in ev if e["call"] in ("accept", "accept4") and e["result"] >= 0]
    acceptors = {e["tid"] for e in accepts}
    # Reads of connections, told by fd from the listener's reads of its wake-up pipe.
    conn_fds = {str(e["result"]) for e in accepts}
    readers = {e["tid"] for e in ev if e["call"] in READS and e["result"] > 0
               and e["fd"] in conn_fds}
    check_eq(len(acceptors), 1, "threads that accepted connections (the listener)")
    check(readers and not readers & acceptors, f"threads that read requests {sorted(readers)} "
          f"must be workers, not the listener {sorted(acceptors)}")
    least = http.sent + bench["Complete requests"] * len(b"GET /small.txt HTTP/1.0\r\n\r\n")
    read = total([child], READS, "bytes_to_user")
    check(read >= least, f"the child read {read} bytes, the clients sent at least {least}")
    largest = check_disk(procs, "apache2's parent and child")
    return (f"{got} connections, {len(readers)} worker threads read; {child['events']} "
            f"events, at most {largest} bytes allocated per trace")
