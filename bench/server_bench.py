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


def one_run(server, variant, quick, work, out_dir, tools):
    """Starts the server as the variant says, loads it, returns (rps, p99 ms, CPU us per request)."""
    _, start, load, call = SERVERS[server]
    env = {"untraced": plain_env(), "strace": plain_env(),
           "iotrace": shim_env(tools.shim, out_dir),
           f"iotrace stack{STACK_DEPTH}": shim_env(tools.shim, out_dir, STACK_DEPTH)}[variant]
    amount = (1 if quick else 5) if server == "nginx" else (10000 if quick else 100000)
    p, port = start(work, env)
    st = None
    try:
        wait_port(port)
        time.sleep(0.2)  # nginx forks its worker after the listener is up
        pids = server_pids(p)
        if variant == "strace":
            st = attach_strace(pids)
        if not quick:
            load(port, 1 if server == "nginx" else 10000)  # warm-up: caches, first chunks
        cpu0 = sum(cpu_seconds(x) for x in pids)
        rps, p99, count = load(port, amount)
        cpu = sum(cpu_seconds(x) for x in pids) - cpu0
    finally:
        if st:
            stop(st, grace=10)
        stop(p, grace=20)
    if rps <= 0 or p99 <= 0 or count <= 0:
        raise BenchError(f"{server} {variant}: no sane numbers ({rps}, {p99}, {count})")
    if variant.startswith("iotrace"):
        events = call_count(summary(tools.viewer, traces(out_dir)), call)
        if events < count:
            raise BenchError(f"{server} {variant}: {count} requests but only {events} {call}")
    clear_traces(out_dir)
    return rps, p99, cpu * 1e6 / count


def run_servers(tools, reps, quick, log):
    """Returns (header, rows, {server: {variant: ratios}}) for the report."""
    variants = ["untraced", "iotrace", f"iotrace stack{STACK_DEPTH}"] + (
        ["strace"] if have("strace") else [])
    rows, results, skipped = [], {}, []
    with tempfile.TemporaryDirectory(prefix="iotrace-bench-") as out_dir:
        os.chmod(out_dir, 0o777)  # nginx's worker writes its trace after dropping to nobody
        for server, (needs, _, _, _) in SERVERS.items():
            missing = [t for t in needs if not have(t)]
            if missing:
                skipped.append(f"{server} (missing {', '.join(missing)})")
                continue
            raw = {v: [] for v in variants}
            for rep in range(reps):
                order = variants[rep % len(variants):] + variants[:rep % len(variants)]
                for v in order:
                    with tempfile.TemporaryDirectory(prefix="iotrace-srv-") as work:
                        os.chmod(work, 0o755)
                        raw[v].append(one_run(server, v, quick, work, out_dir, tools))
                    r = raw[v][-1]
                    log(f"{server} rep {rep + 1}/{reps} {v:14s} {r[0]:10.0f} req/s "
                        f"p99 {r[1]:.3f} ms cpu {r[2]:.1f} us/req")
            results[server] = {}
            for v in variants:
                pair = [(x, b) for x, b in zip(raw[v], raw["untraced"])]
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
