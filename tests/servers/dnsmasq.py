"""dnsmasq answering DNS over TCP: a prefork shape whose child per connection ends with _exit."""
import os
import re

from harness import accepted, calls, check, check_disk, check_eq, free_port, wait_port

# Local answers only: no upstream server, no /etc/hosts, no system configuration file. dnsmasq
# drops to nobody after binding, so the children it forks per TCP connection run as nobody.
CONF = """port={port}
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
pid-file=
user=nobody
group=nogroup
log-facility=-
log-queries
address=/a.iotrace.test/10.1.2.3
host-record=h.iotrace.test,10.0.0.7,fd00::7
txt-record=t.iotrace.test,"a text record"
mx-host=iotrace.test,mail.iotrace.test,10
"""

# Ten queries, as in the report of the 43 MB left on disk; some have no answer.
QUERIES = [("a.iotrace.test", "A"), ("h.iotrace.test", "A"), ("h.iotrace.test", "AAAA"),
           ("t.iotrace.test", "TXT"), ("iotrace.test", "MX"), ("x.a.iotrace.test", "A"),
           ("a.iotrace.test", "AAAA"), ("a.iotrace.test", "A"), ("t.iotrace.test", "TXT"),
           ("h.iotrace.test", "A")]


def start(ctx, conf, port, env):
    dnsmasq = ctx.program("/usr/sbin/dnsmasq", "dnsmasq-base")
    # --keep-in-foreground, not --no-daemon: in debug mode dnsmasq answers TCP without forking.
    server = ctx.start([dnsmasq, "--keep-in-foreground", f"--conf-file={conf}"], env, "dnsmasq")
    wait_port(port, server.proc)  # this probe connection gets a child of its own
    return server


def ask(ctx, port):
    """One `dig +tcp` per query, each its own TCP connection; returns (exit status, answer)."""
    dig = ctx.program("/usr/bin/dig", "bind9-dnsutils")
    out = []
    for name, rtype in QUERIES:
        rc, text, err = ctx.run([dig, "+tcp", "+tries=1", "+time=10", "+short", "-p", str(port),
                                 "@127.0.0.1", name, rtype])
        out.append((rc, text.strip()))
    return out


def query_bytes(name):
    """The least a TCP query for name carries: length prefix, header, name, type and class."""
    return 2 + 12 + sum(len(label) + 1 for label in name.split(".")) + 1 + 4


def dnsmasq_tcp(ctx):
    """dnsmasq forks a child per TCP connection that ends with _exit: 10 `dig +tcp` queries."""
    port = free_port()
    conf = ctx.path("dnsmasq.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(port=port))
    plain = start(ctx, conf, port, ctx.plain_env())
    untraced = ask(ctx, port)
    plain_rc = plain.stop()
    check(all(rc == 0 for rc, _ in untraced), f"dig failed untraced: {untraced}")
    check(untraced[0][1] == "10.1.2.3", f"untraced answer to {QUERIES[0]}: {untraced[0][1]!r}")

    out_dir = ctx.new_dir("out", 0o777)  # the children create their traces as nobody
    server = start(ctx, conf, port, ctx.traced_env(out_dir))
    traced = ask(ctx, port)
    check(traced == untraced, f"dig got other answers from the traced dnsmasq:\n"
          f"traced   {traced}\nuntraced {untraced}")
    check_eq(server.stop(), plain_rc, "traced dnsmasq exit status (as untraced)")
    check(not server.iotrace_lines(), f"the shim wrote on dnsmasq's stderr:\n{server.stderr()}")
    log = server.stderr()
    answered = {int(m) for m in re.findall(r"dnsmasq\[(\d+)\]: query\[", log)} - {server.pid}
    check_eq(len(answered), len(QUERIES), "child pids that logged a query")

    procs = ctx.summaries(out_dir)
    main = [p for p in procs if p["pid"] == server.pid]
    check_eq(len(main), 1, "traces of the dnsmasq process")
    check(main[0]["closed"], "the dnsmasq process ended with exit but its trace is not closed")
    kids = [p for p in procs if p["ppid"] == server.pid]
    missing = answered - {p["pid"] for p in kids}
    check(not missing, f"children that answered a query but left no trace: {sorted(missing)}")
    check_eq(len(kids), len(QUERIES) + 1, "traces of children (one per query, one for the probe)")
    ev = ctx.events(out_dir)
    check_eq(accepted(ev, {server.pid}), len(QUERIES) + 1, "connections dnsmasq accepted")
    for p in procs:
        check_eq(p["dropped_events"], 0, f"events dropped by pid {p['pid']}")
    least = min(query_bytes(name) for name, _ in QUERIES)
    for p in kids:
        if p["pid"] in answered:
            got = calls(p, "read")["bytes_to_user"]
            check(got >= least, f"child {p['pid']} read {got} bytes from its connection, at "
                  f"least {least} expected (a length-prefixed query)")
    largest = check_disk(procs, f"dnsmasq and its {len(kids)} TCP children")
    return (f"{len(kids)} children traced, {sum(p['events'] for p in kids)} events; at most "
            f"{largest} bytes allocated per trace")

