#!/usr/bin/env python3
"""Builds the .deb with cpack, installs it with dpkg, traces a program with the installed shim and
viewer, then removes it and checks that nothing of it is left on the system."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "iotrace"
# A program whose traced reads are known: N one-byte messages over a socketpair, each read by recv.
MESSAGES = 7
PROGRAM = ["/usr/bin/python3", "-c",
           "import socket\n"
           "a, b = socket.socketpair()\n"
           f"for _ in range({MESSAGES}):\n"
           "    a.send(b'x'); b.recv(1)\n"]


class Failed(Exception):
    pass


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise Failed(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE],
                       capture_output=True, text=True)
    # "ii " installed; "rc " removed but its conffiles kept; nothing or "un " when gone.
    return r.returncode == 0 and r.stdout.strip() not in ("", "un")


def preconditions():
    """A clear reason instead of a pass when this machine cannot run the test."""
    if os.geteuid() != 0:
        raise Failed("must run as root: it installs the .deb into the system with dpkg -i")
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "dpkg-shlibdeps", "cpack", "man"):
        if not shutil.which(tool):
            raise Failed(f"{tool} not found: this test needs a Debian machine (tests/install-deps.sh)")
    if installed():
        raise Failed(f"a package {PACKAGE} is installed already; this test will not replace it "
                     f"(dpkg -r {PACKAGE} to let it run)")


def build_deb(src, tree, cc):
    """A tree of its own, configured for Debian's /usr layout, building only what is shipped."""
    shutil.rmtree(tree, ignore_errors=True)
    run(["cmake", "-S", src, "-B", tree, "-DCMAKE_INSTALL_PREFIX=/usr",
         f"-DCMAKE_C_COMPILER={cc}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
         # cpack installs without building every test program first; the targets below are
         # everything the package holds.
         "-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON"])
    run(["cmake", "--build", tree, "-j2", "--target", "iotrace", "iotrace_shim", "iotrace_man"])
    run(["cpack", "-G", "DEB"], cwd=tree)
    debs = [f for f in os.listdir(tree) if f.endswith(".deb")]
    if len(debs) != 1:
        raise Failed(f"cpack made {debs} in {tree}, not one .deb")
    return os.path.join(tree, debs[0])


def check_contents(deb, multiarch):
    listing = run(["dpkg-deb", "-c", deb])
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    want = [f"/usr/lib/{multiarch}/libiotrace.so", "/usr/bin/iotrace",
            "/usr/share/man/man1/iotrace.1.gz", "/usr/share/man/man7/libiotrace.7.gz",
            "/usr/share/doc/iotrace/README.md", "/usr/share/doc/iotrace/changelog.gz",
            "/usr/share/doc/iotrace/docs/trace-format.md",
            "/usr/share/doc/iotrace/examples/echo_epoll_lt.c",
            "/usr/share/bash-completion/completions/iotrace"]
    missing = [p for p in want if p not in paths]
    if missing:
        raise Failed(f"the .deb lacks {missing}")
    depends = run(["dpkg-deb", "-f", deb, "Depends"])
    for dep in ("libunwind8", "libc6"):
        if dep not in depends:
            raise Failed(f"Depends: {depends.strip()} does not name {dep}")
    files = sorted(p for p in paths if not p.endswith("/"))
    clash = [p for p in files if os.path.lexists(p)]
    if clash:
        raise Failed(f"files the .deb would overwrite are on the system already: {clash}")
    return files


def trace_with_installed(multiarch, work):
    shim = f"/usr/lib/{multiarch}/libiotrace.so"
    out = os.path.join(work, "preload")
    os.mkdir(out)
    env = dict(os.environ, LD_PRELOAD=shim, IOTRACE_OUTPUT=f"{out}/t.%p.trace")
    run(PROGRAM, env=env)
    check_summary(run(["/usr/bin/iotrace", "summary", "--json", out]), "LD_PRELOAD")
    # iotrace run finds the shim through the library directory it was built for.
    runs = os.path.join(work, "run")
    os.mkdir(runs)
    run(["/usr/bin/iotrace", "run", "-o", runs, "--", *PROGRAM])
    check_summary(run(["/usr/bin/iotrace", "summary", "--json", runs]), "iotrace run")
    for args in (["iotrace"], ["7", "libiotrace"]):
        where = run(["man", "-w", *args]).strip()
        if not where.startswith("/usr/share/man/"):
            raise Failed(f"man -w {' '.join(args)} found {where}")


def check_summary(text, how):
    procs = json.loads(text)["processes"]
    recv = [p["calls"].get("recv", {}) for p in procs]
    counts = [(r.get("count"), r.get("bytes_to_user")) for r in recv]
    if counts != [(MESSAGES, MESSAGES)]:
        raise Failed(f"traced through {how}, the installed viewer counts (recv calls, bytes) = "
                     f"{counts}, not [({MESSAGES}, {MESSAGES})]")


def remove(files):
    run(["dpkg", "-r", PACKAGE])
    left = [p for p in files if os.path.lexists(p)]
    left += [d for d in ("/usr/share/doc/iotrace",) if os.path.lexists(d)]
    if left:
        raise Failed(f"dpkg -r left {left}")
    # dpkg keeps the record of a removed package that has a postrm script (cpack's ldconfig
    # call) until it is purged, in case postrm has more to clean; purging must end it.
    run(["dpkg", "--purge", PACKAGE])
    if installed():
        raise Failed(f"dpkg --purge left {PACKAGE} known to dpkg")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source", required=True, help="the source tree to package")
    ap.add_argument("--tree", required=True, help="a build directory of the test's own")
    ap.add_argument("--cc", default="cc")
    args = ap.parse_args()
    try:
        preconditions()
        multiarch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).strip() \
            if shutil.which("dpkg-architecture") else run(["gcc", "-print-multiarch"]).strip()
        deb = build_deb(args.source, args.tree, args.cc)
        files = check_contents(deb, multiarch)
        try:
            run(["dpkg", "-i", deb])
            with tempfile.TemporaryDirectory() as work:
                trace_with_installed(multiarch, work)
        finally:
            remove(files)
    except Failed as e:
        print(f"FAIL: {e}")
        return 1
    print(f"ok: {os.path.basename(deb)} installed, traced {MESSAGES} recv calls, removed cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
