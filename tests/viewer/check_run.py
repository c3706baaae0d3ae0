#!/usr/bin/env python3
"""iotrace run: refuses programs a preload shim cannot see, and summarises what a traced one did."""
import os
import shutil
import subprocess
import sys

import vtest

checks = vtest.Checks('run')
expect = checks.expect



def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    sys.stderr.write(r.stderr[-3000:])
    return r


def main():
    def extra(ap):
        ap.add_argument("--cc", default="cc")
        ap.add_argument("--shim", help="libiotrace.so, when built: then a real run is checked too")
    a = vtest.parse_args(__doc__, need_gen=False, extra=extra)
    out = os.path.join(a.dir, "run-out")
    shutil.rmtree(out, ignore_errors=True)

    # A "Go" program: any dynamic ELF file with a .go.buildinfo section.
    fake_go = os.path.join(a.dir, "fake-go")
    subprocess.run(["objcopy", "--add-section", ".go.buildinfo=/dev/null", "/bin/true", fake_go],
                   check=True)
    r = run([a.viewer, "run", "-o", out, "--", fake_go])
    expect(r.returncode == 1, "Go program: exit %d, expected 1" % r.returncode)
    expect("Go program" in r.stderr and "cannot see" in r.stderr, "Go program: %r" % r.stderr)
    expect(not os.path.exists(out) or not os.listdir(out), "Go program: traces were written")

    # A static program.
    src = os.path.join(a.dir, "static.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    static = os.path.join(a.dir, "static-prog")
    c = subprocess.run([a.cc, "-static", "-o", static, src], capture_output=True)
    expect(c.returncode == 0, "could not build a static program: %s" % c.stderr)
    if c.returncode == 0:
        r = run([a.viewer, "run", "-o", out, "--", static])
        expect(r.returncode == 1, "static program: exit %d, expected 1" % r.returncode)
        expect("statically linked" in r.stderr, "static program: %r" % r.stderr)

    r = run([a.viewer, "run", "--", "no-such-program-anywhere"])
    expect(r.returncode == 1 and "not found" in r.stderr, "missing program: %r" % r.stderr)
    r = run([a.viewer, "run"])
    expect(r.returncode == 1, "run without a command: exit %d" % r.returncode)

    if a.shim:
        # The viewer looks for the shim next to itself: give it a private copy of both.
        bindir = os.path.join(a.dir, "bin")
        os.makedirs(bindir, exist_ok=True)
        viewer = os.path.join(bindir, "iotrace")
        shutil.copy2(a.viewer, viewer)
        shutil.copy2(a.shim, os.path.join(bindir, "libiotrace.so"))
        # cat reading a pipe (the shim leaves regular files alone): its reads must show up.
        data = "x" * 100000
        r = run([viewer, "run", "-o", out, "--", "cat"], input=data)
        expect(r.returncode == 0, "run cat: exit %d" % r.returncode)
        expect(r.stdout.startswith(data), "run cat: the program's own output was altered")
        summary = r.stdout[len(data):]
        sys.stdout.write(summary)
        expect("command: cat\n" in summary, "run cat: no summary of cat")
        expect("\nread " in summary, "run cat: no read row in %r" % summary[-2000:])
        files = os.listdir(out) if os.path.isdir(out) else []
        expect(any(f.startswith("iotrace.") and f.endswith(".trace") for f in files),
               "run cat: no trace file in %s: %r" % (out, files))
        # A second run summarises only its own files.
        r2 = run([viewer, "run", "-o", out, "--", "cat"], input="y")
        expect(r2.stdout.count("== ") == 1, "second run summarised %d files" % r2.stdout.count("== "))
        # SIGTERM to iotrace goes to the program; iotrace stays to summarise what it did.
        prog = ("import socket, sys, time; a, b = socket.socketpair(); b.send(b'x'); a.recv(1); "
                "print('ready', flush=True); time.sleep(60)")
        p = subprocess.Popen([viewer, "run", "-o", out, "--", "/usr/bin/python3", "-c", prog],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        expect(line == "ready\n", "run python: did not start: %r" % line)
        p.send_signal(15)
        try:
            rest, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            rest, err = p.communicate()
            expect(False, "SIGTERM to iotrace run did not end the program within 20 s")
        expect("killed by signal 15" in err, "SIGTERM not passed on: %r" % err[-500:])
        expect("\nrecv " in rest, "no summary after SIGTERM: %r" % rest[-1000:])
        expect(p.returncode == 128 + 15, "killed by SIGTERM: exit %d, expected 143" % p.returncode)
        # The program's own exit status comes back, after the summary.
        prog = ("import socket, sys; a, b = socket.socketpair(); b.send(b'x'); a.recv(1); "
                "sys.exit(7)")
        r = run([viewer, "run", "-o", out, "--", "/usr/bin/python3", "-c", prog])
        expect(r.returncode == 7, "program exited 7: run exited %d" % r.returncode)
        expect("\nrecv " in r.stdout, "no summary after exit 7: %r" % r.stdout[-1000:])
        # A program killed by a signal it sends itself: 128 + N, as a shell reports it.
        prog = "import os, signal; os.kill(os.getpid(), signal.SIGUSR1)"
        r = run([viewer, "run", "-o", out, "--", "/usr/bin/python3", "-c", prog])
        expect(r.returncode == 128 + 10, "program killed by SIGUSR1: run exited %d" % r.returncode)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
