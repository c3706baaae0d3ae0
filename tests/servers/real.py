"""Real servers from Debian (nginx, redis, memcached, python3) traced under load and compared untraced."""
import os
import random
import re
import signal

import clients
from harness import (DEBIAN_PYTHON, READS, accepted, calls, check, check_eq, free_port, total,
                     wait_port)

NGINX_CONF = """daemon off;
master_process on;
worker_processes 2;
error_log {prefix}/logs/error.log;
pid {prefix}/logs/nginx.pid;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi;
  uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    root {prefix}/html;
    # nginx's proxy reads the upstream answer with readv: the request goes back to this server.
    location /via/ {{ proxy_pass http://127.0.0.1:{port}/; }}
  }}
}}
"""

NGINX_PATHS = ["/", "/small.txt", "/big.bin", "/via/big.bin", "/missing"]


def nginx_prefix(ctx):
    prefix = ctx.new_dir("nginx", 0o755)  # the workers run as nobody and read html/
    for sub in ("logs", "tmp", "html"):
        os.makedirs(os.path.join(prefix, sub), mode=0o755)
    rng = random.Random(7)
    files = {"index.html": b"<html>iotrace</html>\n", "small.txt": b"x" * 100,
             "big.bin": bytes(rng.getrandbits(8) for _ in range(300000))}
    for name, data in files.items():
        with open(os.path.join(prefix, "html", name), "wb") as f:
            f.write(data)
    port = free_port()
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(prefix=prefix, port=port))
    return prefix, port, files


def start_nginx(ctx, prefix, port, env):
    nginx = ctx.program("/usr/sbin/nginx", "nginx-light")
    server = ctx.start([nginx, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf")], env,
                       "nginx")
    wait_port(port, server.proc)
    return server


def nginx_workers(procs, master_pid):
    workers = [p for p in procs if p["ppid"] == master_pid]
    check_eq(len(workers), 2, f"worker traces (children of master {master_pid})")
    for w in workers:  # the header keeps the title a worker gives itself, read at its exit
        check(w["closed"] and w["cmdline"] and w["cmdline"][0].startswith("nginx: worker process"),
              f"worker {w['pid']}: closed {w['closed']}, command line {w['cmdline']}")
    return workers


def nginx_client(ctx, port, files, rounds=4):
    out = clients.http(port, 3, NGINX_PATHS, rounds)
    want = {"/": files["index.html"], "/small.txt": files["small.txt"],
            "/big.bin": files["big.bin"], "/via/big.bin": files["big.bin"]}
    for (status, body), req in zip(out.answers, NGINX_PATHS * rounds):
        if req in want:
            check(status.endswith(b"200 OK") and body == want[req],
                  f"GET {req}: {status!r}, {len(body)} bytes (expected 200, {len(want[req])})")
        else:
            check(b" 404 " in status, f"GET {req}: {status!r}, expected 404")
    return out


def nginx(ctx):
    """nginx, master and two workers, epoll and accept4: a python client, then wrk for 3 s."""
    prefix, port, files = nginx_prefix(ctx)
    plain = start_nginx(ctx, prefix, port, ctx.plain_env())
    untraced = nginx_client(ctx, port, files)
    check_eq(plain.stop(signal.SIGQUIT), 0, "untraced nginx exit status")

    out_dir = ctx.new_dir("out")
    server = start_nginx(ctx, prefix, port, ctx.traced_env(out_dir))
    traced = nginx_client(ctx, port, files)
    check(traced.answers == untraced.answers, "nginx answered differently under the shim")
    check_eq(server.stop(signal.SIGQUIT), 0, "traced nginx exit status")
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    workers = nginx_workers(procs, server.pid)
    ev = ctx.events(out_dir)
    proxied = NGINX_PATHS.count("/via/big.bin") * 4
    # The client's connections plus the one the proxy opens per proxied request (HTTP/1.0).
    # wait_port's probe connection is accepted too.
    check_eq(accepted(ev), 1 + traced.conns + proxied,
             "connections accepted (accept + accept4 >= 0): the probe, the client's, the proxy's")
    # They read the client's requests and, as the proxy, every proxied answer whole.
    least = traced.sent + proxied * len(files["big.bin"])
    check(total(workers, READS, "bytes_to_user") >= least,
          f"workers read {total(workers, READS, 'bytes_to_user')} bytes, at least {least} "
          f"expected (the client sent {traced.sent})")
    check(total(workers, ("epoll_wait",), "count") > 0, "no epoll_wait in the workers")
    check(total(workers, ("readv",), "count") > 0, "no readv: nginx reads proxied answers with it")

    wrk = ctx.program("/usr/bin/wrk", "wrk")
    out_dir = ctx.new_dir("out-wrk")
    server = start_nginx(ctx, prefix, port, ctx.traced_env(out_dir))
    rc, text, err = ctx.run([wrk, "-t", "2", "-c", "16", "-d", "3", "--timeout", "5",
                             f"http://127.0.0.1:{port}/small.txt"], timeout=30)
    check(rc == 0, f"wrk failed ({rc}): {text}{err}")
    m = re.search(r"(\d+) requests in", text)
    check(m and int(m.group(1)) > 0, f"wrk made no request:\n{text}")
    check("Socket errors" not in text and "Non-2xx" not in text, f"wrk saw errors:\n{text}")
    requests = int(m.group(1))
    after = nginx_client(ctx, port, files, rounds=1)
    check(after.answers == untraced.answers[:len(NGINX_PATHS)], "answers differ after the load")
    check_eq(server.stop(signal.SIGQUIT), 0, "traced nginx exit status")
    procs = ctx.summaries(out_dir, expect_closed=True)
    workers = nginx_workers(procs, server.pid)
    ev = ctx.events(out_dir)
    # wrk first connects once to check the address, then opens its 16.
    check_eq(accepted(ev), 1 + 1 + 16 + after.conns + NGINX_PATHS.count("/via/big.bin"),
             "connections accepted (the probe, wrk's 1 + 16, the client's, the proxy's)")
    # Every wrk request is at least "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".
    least = requests * len(b"GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = total(workers, READS, "bytes_to_user")
    check(got >= least + after.sent, f"workers read {got} bytes, wrk and the client sent at "
          f"least {least + after.sent}")
    return f"wrk {requests} requests; traced answers identical"


def start_redis(ctx, env, port):
    redis = ctx.program("/usr/bin/redis-server", "redis-server")
    server = ctx.start([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "no", "--dir", ctx.tmp,
                        "--protected-mode", "no"], env, "redis")
    wait_port(port, server.proc)
    return server


def redis(ctx):
    """redis-server (epoll, read on sockets): a SET/GET client, then redis-benchmark -n 20000."""
    port = free_port()
    plain = start_redis(ctx, ctx.plain_env(), port)
    untraced = clients.redis(port, 4, 300)
    check_eq(plain.stop(), 0, "untraced redis exit status")

    out_dir = ctx.new_dir("out")
    server = start_redis(ctx, ctx.traced_env(out_dir), port)
    traced = clients.redis(port, 4, 300)
    check(traced.answers == untraced.answers, "redis answered differently under the shim")
    bench = ctx.program("/usr/bin/redis-benchmark", "redis-tools")
    rc, text, err = ctx.run([bench, "-h", "127.0.0.1", "-p", str(port), "-n", "20000", "-c",
                             "8", "-t", "set,get", "-q"], timeout=60)
    check(rc == 0, f"redis-benchmark failed ({rc}): {text}{err}")
    again = clients.redis(port, 2, 50, seed=2)  # the first 50 keys again, after the load
    check_eq(server.stop(), 0, "traced redis exit status")
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    main = [p for p in procs if p["pid"] == server.pid]
    check_eq(len(main), 1, "traces of the redis process")
    ev = ctx.events(out_dir)
    # redis-benchmark opens 8 clients per test (set, get) and may open one to read the config.
    got = accepted(ev)
    check(1 + traced.conns + 16 + again.conns <= got <= 1 + traced.conns + 17 + again.conns,
          f"accepted {got} connections; the probe, then {traced.conns} + 2 x 8 (+1) + "
          f"{again.conns}")
    check(calls(main[0], "read")["bytes_to_user"] >= traced.sent + 20000 * 20 + again.sent,
          f"redis read {calls(main[0], 'read')['bytes_to_user']} bytes from its sockets")
    check(calls(main[0], "epoll_wait")["count"] > 0, "no epoll_wait recorded")
    return redis_exact(ctx, port)


def redis_exact(ctx, port):
    """A traced run with only the exact client: accepts and bytes match it exactly or above."""
    out_dir = ctx.new_dir("out-exact")
    server = start_redis(ctx, ctx.traced_env(out_dir), port)
    traced = clients.redis(port, 5, 200, seed=4)
    check_eq(server.stop(), 0, "traced redis exit status")
    procs = ctx.summaries(out_dir, expect_closed=True)
    ev = ctx.events(out_dir)
    # wait_port's probe connection is accepted too.
    check_eq(accepted(ev), traced.conns + 1, "accepted = the client's connections + the probe")
    got = total(procs, ("read",), "bytes_to_user")
    check(got >= traced.sent, f"redis read {got} bytes, the client sent {traced.sent}")
    return f"{traced.round_trips} round trips; answers identical traced and untraced"


MEMCACHED_BACKENDS = {
    "epoll": ({}, "epoll_wait"),
    "poll": ({"EVENT_NOEPOLL": "1"}, "poll"),
    "select": ({"EVENT_NOEPOLL": "1", "EVENT_NOPOLL": "1"}, "select"),
}


def start_memcached(ctx, env, port):
    memcached = ctx.program("/usr/bin/memcached", "memcached")
    server = ctx.start([memcached, "-u", "root", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                        "-t", "2", "-m", "16"], env, "memcached")
    wait_port(port, server.proc)
    return server


def memcached(ctx, backend):
    """memcached (libevent) with one backend forced through libevent's environment variables."""
    extra, mux = MEMCACHED_BACKENDS[backend]
    port = free_port()
    plain = start_memcached(ctx, ctx.plain_env(extra), port)
    untraced = clients.memcached(port, 4, 300)
    plain.stop()

    out_dir = ctx.new_dir("out")
    server = start_memcached(ctx, ctx.traced_env(out_dir, extra), port)
    traced = clients.memcached(port, 4, 300)
    check(traced.answers == untraced.answers, "memcached answered differently under the shim")
    server.stop()
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir)
    check_eq(len(procs), 1, "memcached traces")
    p = procs[0]
    ev = ctx.events(out_dir)
    check_eq(accepted(ev), traced.conns + 1, "accepted = the client's connections + the probe")
    got = total(procs, READS, "bytes_to_user")
    check(got >= traced.sent, f"memcached read {got} bytes, the client sent {traced.sent}")
    others = {"epoll_wait", "poll", "select"} - {mux}
    check(calls(p, mux)["count"] > 0, f"no {mux} recorded with {extra}: {sorted(p['calls'])}")
    for o in others:
        check_eq(calls(p, o)["count"], 0, f"{o} calls with backend {backend}")
    check(p["threads"] >= 3, f"memcached threads seen: {p['threads']} (main + 2 workers)")
    return f"{mux}: {calls(p, mux)['count']} calls; answers identical"


def python_echo(ctx, script):
    """A /usr/bin/python3 echo server: 6 connections x 50 round trips, traced and untraced."""
    py = ctx.program(DEBIAN_PYTHON, "python3")
    argv = [py, os.path.join(ctx.srcdir, "py", script)]
    results = []
    for env_kind in ("plain", "traced"):
        out_dir = ctx.new_dir("out")
        env = ctx.plain_env() if env_kind == "plain" else ctx.traced_env(out_dir)
        server = ctx.start(argv, env, "python")
        port = int(server.first_line())
        results.append(clients.echo(port, 6, 50, 300))
        check_eq(server.stop(), 0, f"{env_kind} {script} exit status")
    untraced, traced = results
    check(traced.answers == untraced.answers, "echoes differ under the shim")
    procs = ctx.summaries(out_dir, expect_closed=True)
    ev = ctx.events(out_dir)
    check_eq(accepted(ev), traced.conns, "accepted connections")
    got = total(procs, READS, "bytes_to_user")
    check(got >= traced.sent, f"the server read {got} bytes, the client sent {traced.sent}")
    check(total(procs, ("epoll_wait", "poll", "select"), "count") > 0, "no multiplexer recorded")
    return f"{traced.round_trips} round trips, {got} bytes read"



def redis_stack_split(ctx):
    """redis-server with IOTRACE_STACK=16 and IOTRACE_SPLIT=1 under redis-benchmark."""
    port = free_port()
    out_dir = ctx.new_dir("out")
    server = start_redis(ctx, ctx.traced_env(out_dir, {"IOTRACE_STACK": "16",
                                                       "IOTRACE_SPLIT": "1"}), port)
    before = clients.redis(port, 3, 200, seed=5)
    bench = ctx.program("/usr/bin/redis-benchmark", "redis-tools")
    rc, text, err = ctx.run([bench, "-h", "127.0.0.1", "-p", str(port), "-n", "20000", "-c",
                             "8", "-t", "set,get,lpush,lpop", "-q"], timeout=60)
    check(rc == 0, f"redis-benchmark failed ({rc}): {text}{err}")
    after = clients.redis(port, 3, 200, seed=5)
    check(before.answers == after.answers, "answers changed across the load")
    check_eq(server.stop(), 0, "traced redis exit status")
    check(not server.iotrace_lines(), f"the shim complained:\n{server.stderr()}")
    procs = ctx.summaries(out_dir, expect_closed=True)
    p = [q for q in procs if q["pid"] == server.pid][0]
    check(p["stacks"] and p["split"], f"stacks {p['stacks']}, split {p['split']}: both asked for")
    check_eq(p["dropped_events"], 0, "dropped events")
    rc, text, err = ctx.run([ctx.viewer, "summary", "--by-site", p["file"]])
    check(rc == 0, f"iotrace summary --by-site: exit {rc}: {err}")
    check(calls(p, "read")["bytes_to_user"] >= before.sent + after.sent,
          "fewer bytes read than the clients sent")
    return f"{p['events']} events with call sites and split phases"
