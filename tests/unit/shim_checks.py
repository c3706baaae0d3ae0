"""Checks of the shim itself: its exports, TLS model, import coverage, and the pitfalls of preloading."""
import csv
import glob
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The calls the shim must interpose, as the programs import them.
TRACED = set("""select pselect poll ppoll epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait
epoll_pwait2 recv recvfrom recvmsg recvmmsg read readv accept accept4 __recv_chk __recvfrom_chk
__read_chk __poll_chk __ppoll_chk""".split())
FOLLOWED = set("""close dup dup2 dup3 fcntl fcntl64 socket socketpair pipe pipe2 close_range closefrom
_Fork vfork execve execv execvp execvpe execl execlp execle fexecve posix_spawn posix_spawnp
_exit _Exit prctl seccomp syscall sigaction __sigaction signal bsd_signal ssignal sysv_signal
__sysv_signal open open64 openat openat64 __open_2 __open64_2 __openat_2 __openat64_2 creat
creat64 fclose pclose closedir sendmsg""".split())
FORTIFIED = re.compile(r"^__(recv|recvfrom|read|readv|poll|ppoll|select|pselect|epoll\w*|accept\w*)_chk$")


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(argv, env=None, timeout=60):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(argv, env=full, capture_output=True, text=True, timeout=timeout)


def dynsyms(path, undefined):
    flag = "--undefined-only" if undefined else "--defined-only"
    out = run(["nm", "-D", flag, path]).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def test_exports(a):
    exported = dynsyms(a.shim, undefined=False)
    check(exported == TRACED | FOLLOWED,
          f"exports differ: extra {sorted(exported - TRACED - FOLLOWED)}, "
          f"missing {sorted((TRACED | FOLLOWED) - exported)}")


def test_tls(a):
    dyn = run(["readelf", "-d", a.shim]).stdout
    check("STATIC_TLS" in dyn, "libiotrace.so lacks the STATIC_TLS flag (initial-exec TLS)")
    check("__tls_get_addr" not in dynsyms(a.shim, undefined=True),
          "libiotrace.so calls __tls_get_addr, which may allocate inside a hook")


def imported_libs(binary):
    out = run(["ldd", binary]).stdout
    return [m.group(1) for m in re.finditer(r"=> (/\S+)", out)
            if re.search(r"lib(python|event|uv|node)", m.group(1))]


def test_imports(a):
    binaries = ["nginx", "redis-server", "memcached", "node", "/usr/bin/python3",
                "/usr/lib/x86_64-linux-gnu/libevent-2.1.so.7"]
    exported = dynsyms(a.shim, undefined=False)
    report = []
    for b in binaries:
        path = shutil.which(b) or b
        check(os.path.exists(path), f"{b} is not installed (tests/install-deps.sh installs it)")
        for target in [os.path.realpath(path)] + imported_libs(path):
            wanted = {s for s in dynsyms(target, undefined=True) if s in TRACED or FORTIFIED.match(s)}
            check(wanted, f"{target} imports none of the traced calls: the check is not looking")
            missing = wanted - exported
            check(not missing, f"{target} imports {sorted(missing)}, which the shim does not interpose")
            report.append(f"{os.path.basename(target)}: {' '.join(sorted(wanted))}")
    print("\n".join(report))


def trace_files(d):
    return sorted(glob.glob(os.path.join(d, "*.trace")))


def summary(a, files):
    r = run([a.viewer, "summary", "--json"] + files)
    check(r.returncode == 0, f"iotrace summary failed: {r.stderr}")
    return json.loads(r.stdout)["processes"]


def traced(a, argv, tmp, extra=None):
    env = {"LD_PRELOAD": a.shim, "IOTRACE_OUTPUT": os.path.join(tmp, "t.%p.trace")}
    env.update(extra or {})
    return run(argv, env)


def test_early(a, tmp):
    plain = run([a.bin("u_early")])
    check(plain.returncode == 0 and "recv 5" in plain.stdout, f"untraced run is wrong: {plain.stdout}")
    r = traced(a, [a.bin("u_early")], tmp)
    check(r.returncode == 0, f"traced program failed: {r.returncode} {r.stderr}")
    check(r.stdout == plain.stdout, f"calls before the shim's constructor behaved differently:\n"
                                    f"untraced: {plain.stdout}traced:   {r.stdout}")


def test_raw(a, tmp):
    plain = run([a.bin("u_calls"), "3"])
    r = traced(a, [a.bin("u_calls"), "3"], tmp, {"IOTRACE_RAW_SYSCALLS": "1"})
    check(r.returncode == 0 and r.stdout == plain.stdout,
          f"with the raw-syscall fallbacks results differ:\n{plain.stdout}\n---\n{r.stdout}\n{r.stderr}")
    calls = summary(a, trace_files(tmp))[0]["calls"]
    for name, n in [("recv", 6), ("read", 3), ("readv", 3), ("poll", 3), ("select", 3),
                    ("epoll_wait", 3), ("accept4", 3), ("accept", 3)]:
        check(calls.get(name, {}).get("count") == n, f"{name}: expected {n} events, got {calls.get(name)}")


def test_eagain_not_blocked(a, tmp):
    r = traced(a, [a.bin("u_calls"), "200"], tmp)
    check(r.returncode == 0, f"program failed: {r.stderr}")
    calls = summary(a, trace_files(tmp))[0]["calls"]
    for name in ("recv", "accept4"):
        c = calls[name]
        check(c["would_block"] == 200, f"{name}: expected 200 EAGAIN returns, got {c['would_block']}")
        # a preemption inside a call may happen; a systematic mark may not
        check(c["blocked"] <= 20, f"{name}: {c['blocked']} of {c['count']} calls marked blocked, "
                                  f"though none waited (200 returned EAGAIN at once)")


def test_nomalloc(a, tmp):
    r = traced(a, [a.bin("u_nomalloc")], tmp)
    check(r.returncode == 0 and "allocations 0" in r.stdout,
          f"the shim allocated on the hot path: {r.stdout} {r.stderr}")
    events = summary(a, trace_files(tmp))[0]["events"]
    check(events >= 20000 * 7, f"expected at least 140000 events recorded, got {events}")


def test_epoll_interest(a, tmp):
    r = traced(a, [a.bin("u_epoll_interest")], tmp)
    check(r.returncode == 0, f"scenario failed: {r.stderr}")
    expected = [(line.split()[0], int(line.split()[1])) for line in r.stdout.splitlines()]
    files = [f for f in trace_files(tmp) if summary(a, [f])[0]["calls"].get("epoll_wait")]
    check(len(files) == 1, f"expected one trace with epoll_wait, got {files}")
    out = os.path.join(tmp, "events.csv")
    e = run([a.viewer, "export", "--format", "csv", files[0], "-o", out])
    check(e.returncode == 0, f"export failed: {e.stderr}")
    with open(out) as f:
        rows = [row for row in csv.DictReader(f) if row["call"] == "epoll_wait"]
    got = [int(row["aux"]) for row in rows]
    want = [n for _, n in expected]
    check(got == want, "interest set sizes recorded at each epoll_wait differ from the kernel's:\n"
                       + "\n".join(f"  {s:18} kernel {n:3}  trace {g}" for (s, n), g in zip(expected, got)))


def test_sites(a, tmp):
    r = traced(a, [a.bin("u_sites")], tmp, {"IOTRACE_STACK": "8"})
    check(r.returncode == 0, f"program failed: {r.stderr}")
    v = run([a.viewer, "summary", "--by-site", "--json"] + trace_files(tmp))
    check(v.returncode == 0, f"summary --by-site failed: {v.stderr}")
    sites = json.loads(v.stdout)["processes"][0].get("sites", [])
    recv_sites = [s for s in sites if s["call"] == "recv"]
    check(len(recv_sites) == 2, f"expected 2 recv call sites, got {len(recv_sites)}: {recv_sites}")
    top = sorted(s["frames"][0] for s in recv_sites)
    check(top[0].startswith("u_site_alpha+") and top[1].startswith("u_site_beta+"),
          f"call sites are not named after their functions: {top}")
    check(all(s["count"] == 3 for s in recv_sites), f"each site made 3 calls: {recv_sites}")


def test_clock(a, tmp):
    r = traced(a, [a.bin("u_clock")], tmp)
    check(r.returncode == 0, f"program failed: {r.stderr}")
    brackets = [tuple(int(x) for x in line.split()) for line in r.stdout.splitlines()]
    out = os.path.join(tmp, "events.csv")
    e = run([a.viewer, "export", "--format", "csv"] + trace_files(tmp) + ["-o", out])
    check(e.returncode == 0, f"export failed: {e.stderr}")
    with open(out) as f:
        polls = [row for row in csv.DictReader(f) if row["call"] == "poll"]
    check(len(polls) == len(brackets), f"expected {len(brackets)} polls, got {len(polls)}")
    slack = 20000  # ns: the clock conversion may err by this much at most
    t0 = int(polls[0]["start_ns"])
    for (ms, before, after), row in zip(brackets, polls):
        start, dur = int(row["start_ns"]) - t0, int(row["dur_ns"])
        lo, hi = before - brackets[0][2], after - brackets[0][1]
        check(lo - slack <= start <= hi + slack,
              f"poll({ms} ms) started at {start} ns, outside the program's own bracket [{lo}, {hi}]")
        check(ms * 1000000 <= dur + slack and dur <= after - before + slack,
              f"poll({ms} ms) lasted {dur} ns; the program measured {after - before} ns around it")


def test_split_flag(a, tmp):
    r = traced(a, [a.bin("u_calls"), "2"], tmp, {"IOTRACE_SPLIT": "1"})
    check(r.returncode == 0, f"program failed: {r.stderr}")
    out = os.path.join(tmp, "events.csv")
    e = run([a.viewer, "export", "--format", "csv"] + trace_files(tmp) + ["-o", out])
    check(e.returncode == 0, f"export failed: {e.stderr}")
    with open(out) as f:
        rows = list(csv.DictReader(f))
    has_phases = lambda row: int(row["flags"]) & 0x40 != 0
    # Rows come in start order: a split read's wait and copy phases lie inside it, next to it.
    def inside(p, r):
        s, e = int(r["start_ns"]), int(r["start_ns"]) + int(r["dur_ns"])
        return (p["tid"], p["fd"]) == (r["tid"], r["fd"]) and s <= int(p["start_ns"]) and \
            int(p["start_ns"]) + int(p["dur_ns"]) <= e
    for i, row in enumerate(rows):
        if row["call"] in ("recv", "read", "readv") and has_phases(row):
            near = rows[max(0, i - 2):i] + rows[i + 1:i + 3]
            phases = sorted(p["call"] for p in near if p["call"] in ("wait", "copy") and
                            inside(p, row))
            check(phases == ["copy", "wait"],
                  f"event {i} ({row['call']}) is marked split but has no wait and copy inside it")
    split = [r for r in rows if r["call"] in ("recv", "readv") and has_phases(r)]
    # socket reads of data already there: 2 rounds x (recv, readv); the MSG_DONTWAIT recv is not split
    check(len(split) == 4, f"expected 4 split socket reads, got {len(split)}")
    check(not any(has_phases(r) for r in rows if r["call"] == "read"),
          "a pipe read was marked split: pipes cannot be peeked at")


TESTS = {"exports": test_exports, "tls": test_tls, "imports": test_imports, "early": test_early,
         "raw": test_raw, "eagain": test_eagain_not_blocked, "nomalloc": test_nomalloc, "epoll_interest": test_epoll_interest,
         "sites": test_sites, "clock": test_clock,
         "split_flag": test_split_flag}


class Args:
    def __init__(self, shim, viewer, bindir):
        self.shim, self.viewer, self.bindir = shim, viewer, bindir

    def bin(self, name):
        return os.path.join(self.bindir, name)


def main():
    if sys.argv[1] == "--list":
        print(";".join(TESTS))
        return 0
    name, shim, viewer, bindir = sys.argv[1:5]
    a = Args(shim, viewer, bindir)
    fn = TESTS[name]
    tmp = tempfile.mkdtemp(prefix="iotrace-unit-")
    try:
        fn(a, tmp) if fn.__code__.co_argcount == 2 else fn(a)
    except Failure as f:
        print(f"FAIL {name}: {f}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
