#!/usr/bin/env python3
"""Hostile contents of a trace: module paths that are FIFOs, control characters in every name, notes."""
import json
import os
import re
import struct
import subprocess
import sys

import vtest

checks = vtest.Checks('hostile')
expect = checks.expect

VIEWER_TIMEOUT = 20  # seconds; the viewer answers these in milliseconds unless it hangs
# Characters a terminal obeys: C0 controls but newline, DEL, C1 controls as UTF-8 (U+0080..U+009F)
# or as raw bytes 0x80-0x9f outside any UTF-8 sequence (decoded here as U+DC80..U+DC9F).
STEERING = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\udc80-\udc9f]")
ESC, CSI = "\x1b[2J", "\u009b31m"
HEADER_USED_BYTES = 72  # offset of used_bytes in struct iot_file_header


def run(a, args, cwd=None):
    """The viewer's exit, stdout and stderr as bytes; None if it did not finish in time."""
    try:
        r = subprocess.run([os.path.abspath(a.viewer)] + args, capture_output=True,
                           timeout=VIEWER_TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None
    expect(r.returncode >= 0, "viewer died of signal %d on %s" % (-r.returncode, args))
    return r


def gen(a, name, *args):
    path = os.path.join(a.dir, name)
    subprocess.run([a.gen, "-o", path, *args], check=True)
    return path


def fifo_at_module_path(a):
    """A trace whose module path is a FIFO: --by-site must neither block nor read it."""
    base = gen(a, "hostile-sites.trace", "--model", "mixed", "--stacks", "--events", "200")
    with open(base, "rb") as f:
        data = bytearray(f.read())
    real = os.path.realpath(a.gen).encode()
    at = data.find(real)
    expect(at > 0, "the generator's module path is not in its trace")
    # The same length, relative to the directory the viewer runs in: ././.../p
    n = len(real)
    planted = b"./" * ((n - 1) // 2) + (b"/" if (n - 1) % 2 else b"") + b"p"
    data[at:at + n] = planted
    path = os.path.join(a.dir, "hostile-fifo.trace")
    with open(path, "wb") as f:
        f.write(data)
    fifo = os.path.join(a.dir, "p")
    if os.path.lexists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    for args in (["summary", "--by-site", path], ["summary", "--json", "--by-site", path]):
        r = run(a, args, cwd=a.dir)
        expect(r is not None, "%s hung on a FIFO at a module path" % " ".join(args))
        if r is not None:
            expect(r.returncode == 0, "%s: exit %d: %r" % (args, r.returncode, r.stderr))
            expect(b"(p+0x" in r.stdout, "%s: frames not named by module+offset" % args)
    os.unlink(fifo)


def fifo_among_traces(a):
    """A FIFO named like a trace, in a directory given to the viewer: refused, never waited on."""
    d = os.path.join(a.dir, "hostile-dir")
    os.makedirs(d, exist_ok=True)
    gen(a, "hostile-dir/good.trace", "--model", "poll", "--events", "100")
    fifo = os.path.join(d, "fifo.trace")
    if not os.path.lexists(fifo):
        os.mkfifo(fifo)
    r = run(a, ["summary", "--json", d])
    expect(r is not None, "summary of a directory holding a FIFO hung")
    if r is not None:
        expect(r.returncode == 2 and b"not a regular file" in r.stderr,
               "FIFO trace: exit %d, stderr %r" % (r.returncode, r.stderr))
        expect(len(json.loads(r.stdout)["processes"]) == 1, "the good trace was not summarised")


def steering(raw):
    text = raw.decode("utf-8", errors="surrogateescape")
    return sorted({m.group(0) for m in STEERING.finditer(text)})


def controls_in_names(a):
    """ESC, CSI (U+009B) and other controls in every name a trace holds reach no terminal raw."""
    name = "t" + ESC + CSI + "\x07"
    path = gen(a, "hostile-names.trace", "--model", "tpc", "--events", "300", "--threads", "2",
               "--stacks", "--cmdline", "srv" + ESC + " " + CSI + "x\x9b",
               "--host", "h" + CSI + ESC, "--thread-name", name[:15])
    for args in (["summary", path], ["summary", "--by-site", path], ["timeline", path]):
        r = run(a, args)
        expect(r is not None and r.returncode == 0, "%s failed" % args)
        if r is not None:
            bad = steering(r.stdout) + steering(r.stderr)
            expect(not bad, "%s printed terminal controls %r" % (args[0], bad))
    r = run(a, ["summary", path])
    if r is not None:
        expect(b"\\x1b[2J" in r.stdout and b"\\xc2\\x9b31m" in r.stdout,
               "the controls are not shown escaped: %r" % r.stdout[:400])


def controls_in_warnings(a):
    """A damaged trace whose file name holds controls: the damage warning is escaped too."""
    base = gen(a, "hostile-warn-base.trace", "--model", "epoll-et", "--events", "500",
               "--capacity", "40")
    with open(base, "rb") as f:
        data = bytearray(f.read())
    data[4096 + 2048:4096 + 2048 + 4] = b"XXXX"  # a bad chunk magic: one warning
    d = os.path.join(a.dir, "hostile-warn")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "x" + ESC + CSI + ".trace")
    with open(path, "wb") as f:
        f.write(data)
    for args in (["summary", path], ["summary", d], ["timeline", path]):
        r = run(a, args)
        expect(r is not None and r.returncode == 2, "%s: damaged file not reported" % args)
        if r is not None:
            expect(b"bad chunk magic" in r.stderr, "%s: no damage warning: %r" % (args, r.stderr))
            bad = steering(r.stdout) + steering(r.stderr)
            expect(not bad, "%s: warnings carry terminal controls %r" % (args[0], bad))


def note_chunk(text):
    """A NOTES chunk (docs/trace-format.md) holding one committed note."""
    raw = text.encode()
    rec = struct.pack("<QHHI", 1500000, len(raw), 0x4E54, 0) + raw
    rec += b"\0" * (-len(rec) % 8)
    head = struct.pack("<IHHIIIII", 0x4354494F, 4, 0, 1024, 1, len(rec), 0, 1024 - 64)
    head += b"\0" * (64 - len(head))
    return head + rec + b"\0" * (1024 - 64 - len(rec))


def notes(a):
    """The shim's notes appear in the text and JSON summaries, escaped; files without them read."""
    base = gen(a, "hostile-notes-base.trace", "--model", "poll", "--events", "100")
    with open(base, "rb") as f:
        data = bytearray(f.read())
    data += b"\0" * (-len(data) % 1024)
    said = "cannot grow /t/x.trace: No space left on device" + ESC
    data += note_chunk(said)
    struct.pack_into("<Q", data, HEADER_USED_BYTES, len(data))
    path = os.path.join(a.dir, "hostile-notes.trace")
    with open(path, "wb") as f:
        f.write(data)
    r = run(a, ["summary", "--json", path])
    expect(r is not None and r.returncode == 0, "summary --json of a trace with a note failed")
    if r is not None:
        p = json.loads(r.stdout)["processes"][0]
        expect(p.get("notes") == [{"time_ns": 1500000, "text": said}], "notes: %r" % p.get("notes"))
        expect(p["events"] == 100, "events next to a note: %d" % p["events"])
    r = run(a, ["summary", path])
    if r is not None:
        expect(b"shim notes:" in r.stdout and b"1.50 ms: cannot grow /t/x.trace" in r.stdout,
               "the text summary does not show the note: %r" % r.stdout[:800])
        expect(not steering(r.stdout), "a note's controls reached the terminal")
    r = run(a, ["summary", "--json", base])
    if r is not None:
        expect(json.loads(r.stdout)["processes"][0].get("notes") == [], "a file without notes")
    # A chunk type this viewer does not know (a newer shim's) is still skipped, events kept.
    newer = bytearray(data)
    struct.pack_into("<H", newer, len(newer) - 1024 + 4, 9)
    path = os.path.join(a.dir, "hostile-newer.trace")
    with open(path, "wb") as f:
        f.write(newer)
    r = run(a, ["summary", "--json", path])
    if r is not None:
        p = json.loads(r.stdout)["processes"][0]
        expect(p["events"] == 100 and p["notes"] == [] and b"unknown chunk type" in r.stderr,
               "unknown chunk type: %r, stderr %r" % (p, r.stderr))


def main():
    a = vtest.parse_args(__doc__)
    fifo_at_module_path(a)
    fifo_among_traces(a)
    controls_in_names(a)
    controls_in_warnings(a)
    notes(a)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
