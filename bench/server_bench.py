"""Real servers on loopback: nginx under wrk and redis-server under redis-benchmark, traced or not."""

import os
import re
import subprocess
import tempfile
import time

from benchutil import BenchError, call_count, children, clear_traces, cpu_seconds, free_port
from benchutil import have, median, plain_env, run, shim_env, stop, summary, traces, wait_port

STACK_DEPTH = 8
NGINX_CONF = """# written by bench/server_bench.py for one run
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
  }}
}}
"""


def start_nginx(work, env):
    """Starts nginx with one worker; returns (Popen, port)."""
    port = free_port()
    os.makedirs(os.path.join(work, "www"), exist_ok=True)
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    with open(os.path.join(work, "www", "index.html"), "w") as f:
        f.write("x" * 1024)  # one small static page: the network path dominates
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=work, port=port))
    p = subprocess.Popen(["nginx", "-p", work, "-c", conf, "-e", os.path.join(work, "error.log")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p, port


def start_redis(work, env):
    port = free_port()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", work, "--logfile",
                          os.path.join(work, "redis.log")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p, port


def wrk_load(port, seconds):
    """wrk's requests/s, p99 (ms) and request count."""
    out = run(["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency",
               f"http://127.0.0.1:{port}/index.html"], timeout=seconds + 60)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    count = int(re.search(r"(\d+) requests in", out).group(1))
    if re.search(r"Non-2xx|Socket errors", out):
        raise BenchError(f"wrk saw errors: {out}")
    return rps, p99, count


def redis_load(port, requests):
    """redis-benchmark SET and GET: mean of their requests/s and of their p99 (ms), request count."""
    out = run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50", "-n",
               str(requests), "-t", "set,get", "--csv"], timeout=600)
    rows = [line.replace('"', "").split(",") for line in out.splitlines()
            if line.startswith('"SET"') or line.startswith('"GET"')]
    if len(rows) != 2:
        raise BenchError(f"redis-benchmark output not understood: {out!r}")
    return (sum(float(r[1]) for r in rows) / 2, sum(float(r[6]) for r in rows) / 2, 2 * requests)


def server_pids(p):
    return [p.pid] + children(p.pid)


def attach_strace(pids):
    """strace -f on every process of the server; returns once each is attached."""
    cmd = ["strace", "-f", "-o", "/dev/null"]
    for pid in pids:
        cmd += ["-p", str(pid)]
    st = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    attached, end = 0, time.monotonic() + 10
    while attached < len(pids) and time.monotonic() < end:
        line = st.stderr.readline()
        attached += "attached" in line
    if attached < len(pids):
        stop(st)
        raise BenchError("strace did not attach")
    return st


SERVERS = {
    # name: (needed tools, start, load, call that must appear per request)
    "nginx": (["nginx", "wrk"], start_nginx, wrk_load, "recv"),
    "redis": (["redis-server", "redis-benchmark"], start_redis, redis_load, "read"),
}


class Instance:
    """One server started as a variant says, with its own directories, kept up for every round."""

    def __init__(self, server, variant, tools):
        self.server, self.variant, self.tools = server, variant, tools
        self.work = tempfile.TemporaryDirectory(prefix="iotrace-srv-")
        self.out = tempfile.TemporaryDirectory(prefix="iotrace-bench-")
        os.chmod(self.work.name, 0o755)
        os.chmod(self.out.name, 0o777)  # nginx's worker writes its trace after dropping to nobody
        env = {"untraced": plain_env(), "strace": plain_env(),
               "iotrace": shim_env(tools.shim, self.out.name),
               f"iotrace stack{STACK_DEPTH}": shim_env(tools.shim, self.out.name, STACK_DEPTH)}
        self.proc, self.port = SERVERS[server][1](self.work.name, env[variant])
        self.strace, self.requests = None, 0
        wait_port(self.port)
        time.sleep(0.2)  # nginx forks its worker after the listener is up
        self.pids = server_pids(self.proc)
        if variant == "strace":
            self.strace = attach_strace(self.pids)

    def measure(self, amount):
        """One load burst: (req/s, p99 ms, CPU us per request)."""
        cpu0 = sum(cpu_seconds(x) for x in self.pids)
        rps, p99, count = SERVERS[self.server][2](self.port, amount)
        cpu = sum(cpu_seconds(x) for x in self.pids) - cpu0
        if rps <= 0 or p99 <= 0 or count <= 0:
            raise BenchError(f"{self.server} {self.variant}: no sane numbers ({rps}, {p99}, {count})")
        self.requests += count
        return rps, p99, cpu * 1e6 / count

    def close(self, check=True):
        """Stops the server; a traced one must have recorded at least one read per request."""
        if self.strace:
            stop(self.strace, grace=10)
        stop(self.proc, grace=20)
        try:
            if check and self.variant.startswith("iotrace"):
                call = SERVERS[self.server][3]
                events = call_count(summary(self.tools.viewer, traces(self.out.name)), call)
                if events < self.requests:
                    raise BenchError(f"{self.server} {self.variant}: {self.requests} requests"
                                     f" but only {events} {call} events in the trace")
        finally:
            self.work.cleanup()
            self.out.cleanup()


def run_servers(tools, reps, quick, log):
    """Returns (header, rows, {server: {variant: ratios}}) for the report.

    Every variant's server stays up for the whole section and the load alternates between them
    in short bursts, rotating the order: on a shared machine the background load drifts, and
    back-to-back bursts see the same drift, so each traced burst is compared with its neighbour.
    """
    variants = ["untraced", "iotrace", f"iotrace stack{STACK_DEPTH}"] + (
        ["strace"] if have("strace") else [])
    rows, results, skipped = [], {}, []
    for server, (needs, _, _, _) in SERVERS.items():
        missing = [t for t in needs if not have(t)]
        if missing:
            skipped.append(f"{server} (missing {', '.join(missing)})")
            continue
        amount = (1 if quick else 2) if server == "nginx" else (5000 if quick else 30000)
        inst, raw = {}, {v: [] for v in variants}
        try:
            for v in variants:
                inst[v] = Instance(server, v, tools)
            if not quick:
                for v in variants:  # warm-up: caches, the shim's first chunks
                    inst[v].measure(1 if server == "nginx" else 5000)
            for rep in range(reps):
                order = variants[rep % len(variants):] + variants[:rep % len(variants)]
                for v in order:
                    raw[v].append(inst[v].measure(amount))
                    r = raw[v][-1]
                    log(f"{server} round {rep + 1}/{reps} {v:14s} {r[0]:10.0f} req/s "
                        f"p99 {r[1]:.3f} ms cpu {r[2]:.1f} us/req")
        finally:
            failed = len(raw["untraced"]) < reps
            for i in inst.values():
                i.close(check=not failed)
        results[server] = {}
        for v in variants:
            pair = list(zip(raw[v], raw["untraced"]))
            ratios = {k: median([x[i] / b[i] for x, b in pair if b[i] > 0])
                      for i, k in enumerate(("rps_ratio", "p99_ratio", "cpu_ratio"))}
            results[server][v] = ratios
            med = [median([x[i] for x in raw[v]]) for i in range(3)]
            rows.append([server, v, f"{med[0]:,.0f}", f"{med[1]:.3f}", f"{med[2]:.1f}",
                         f"{ratios['rps_ratio']:.3f}", f"{ratios['p99_ratio']:.3f}",
                         f"{ratios['cpu_ratio']:.3f}"])
    for s in skipped:
        rows.append([s, "skipped", "", "", "", "", "", ""])
    header = ["server", "variant", "req/s", "p99 ms", "CPU us/req", "req/s x", "p99 x", "CPU x"]
    return header, rows, results
