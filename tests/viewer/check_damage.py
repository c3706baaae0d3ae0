#!/usr/bin/env python3
"""Damaged and foreign inputs: the viewer must name the offset, exit 2, print what it can, never crash."""
import json
import os
import struct
import subprocess
import sys

import vtest

checks = vtest.Checks('damage')
expect = checks.expect


def fail(msg):
    expect(False, msg)



def run(viewer, args):
    r = subprocess.run([viewer] + args, capture_output=True, text=True)
    sys.stderr.write(r.stderr)
    # A negative status is a signal (a crash): never acceptable, whatever the input.
    expect(r.returncode >= 0, "viewer died of signal %d on %s" % (-r.returncode, args))
    return r


def patched(src, dst, offset, data):
    with open(src, "rb") as f:
        b = bytearray(f.read())
    b[offset:offset + len(data)] = data
    with open(dst, "wb") as f:
        f.write(b)


def header_case(a, base, name, offset, data, needle):
    """A header field the viewer cannot work with: a clear error naming the offset, exit 2."""
    path = os.path.join(a.dir, name + ".trace")
    patched(base, path, offset, data)
    for args in (["summary", path], ["summary", "--json", path], ["timeline", path],
                 ["export", "--format", "csv", "-o", "-", path]):
        r = run(a.viewer, args)
        expect(r.returncode == 2, "%s %s: exit %d, expected 2" % (name, args[0], r.returncode))
        want = "%s: offset 0x%x: " % (path, offset)
        expect(want in r.stderr, "%s: stderr lacks %r: %r" % (name, want, r.stderr))
        expect(needle in r.stderr, "%s: stderr lacks %r" % (name, needle))
    r = run(a.viewer, ["summary", "--json", path])
    try:
        expect(json.loads(r.stdout) == {"processes": []}, "%s: JSON should list no process" % name)
    except ValueError:
        fail("%s: --json output is not JSON even for a bad file: %r" % (name, r.stdout))


def main():
    a = vtest.parse_args(__doc__)
    base = os.path.join(a.dir, "damage-base.trace")
    subprocess.run([a.gen, "-o", base, "--model", "epoll-lt", "--events", "500", "--threads", "2",
                    "--capacity", "40"], check=True)
    r = run(a.viewer, ["summary", "--json", base])
    expect(r.returncode == 0, "undamaged base: exit %d" % r.returncode)
    events = json.loads(r.stdout)["processes"][0]["events"]
    expect(events == 1000, "undamaged base has %d events, expected 1000" % events)

    header_case(a, base, "bad-version", 8, struct.pack("<I", 7), "unsupported format version 7")
    header_case(a, base, "bad-header-size", 12, struct.pack("<I", 512), "header_size 512")
    header_case(a, base, "bad-event-size", 16, struct.pack("<I", 48), "event_size 48")
    header_case(a, base, "bad-align", 20, struct.pack("<I", 4096), "chunk_align 4096")

    # A header cut short: the magic is there, the rest is not.
    short = os.path.join(a.dir, "short-header.trace")
    with open(base, "rb") as f:
        head = f.read(1000)
    with open(short, "wb") as f:
        f.write(head)
    r = run(a.viewer, ["summary", short])
    expect(r.returncode == 2, "short header: exit %d" % r.returncode)
    expect("offset 0x3e8: file ends inside the 4096-byte header" in r.stderr,
           "short header: stderr %r" % r.stderr)

    # Foreign files: text, an ELF binary, an empty file, a directory without traces.
    foreign = os.path.join(a.dir, "foreign.trace")
    with open(foreign, "w") as f:
        f.write("GET / HTTP/1.1\r\nHost: example\r\n\r\n" * 200)
    empty = os.path.join(a.dir, "empty.trace")
    open(empty, "w").close()
    for path in (foreign, a.viewer, empty):
        r = run(a.viewer, ["summary", path])
        expect(r.returncode == 2, "%s: exit %d, expected 2" % (path, r.returncode))
        expect("not an iotrace file" in r.stderr, "%s: stderr %r" % (path, r.stderr))
        expect(r.stdout == "", "%s: printed %r" % (path, r.stdout[:200]))
    r = run(a.viewer, ["summary", os.path.join(a.dir, "does-not-exist.trace")])
    expect(r.returncode == 2 and "No such file" in r.stderr, "missing file: %r" % r.stderr)

    # A good file next to a bad one: the good one is still summarised, the status says 2.
    r = run(a.viewer, ["summary", "--json", foreign, base])
    expect(r.returncode == 2, "good+bad: exit %d" % r.returncode)
    procs = json.loads(r.stdout)["processes"]
    expect(len(procs) == 1 and procs[0]["events"] == 1000, "good+bad: %r" % procs)

    # A chunk header with a broken magic in the middle: resync skips exactly that chunk.
    with open(base, "rb") as f:
        b = f.read()
    chunk2 = 4096 + 2 * 2048  # chunks of 40 events take 2 KiB each
    expect(struct.unpack_from("<I", b, chunk2)[0] == 0x4354494F, "generator layout changed")
    bad = os.path.join(a.dir, "bad-chunk-magic.trace")
    patched(base, bad, chunk2, b"XXXX")
    r = run(a.viewer, ["summary", "--json", bad])
    expect(r.returncode == 2, "bad chunk magic: exit %d" % r.returncode)
    expect("offset 0x%x: bad chunk magic; skipped 0x%x-0x%x" % (chunk2, chunk2, chunk2 + 2048)
           in r.stderr, "bad chunk magic: stderr %r" % r.stderr)
    p = json.loads(r.stdout)["processes"][0]
    expect(p["damaged_ranges"] == 1 and p["events"] == 960,
           "bad chunk magic: %d ranges, %d events (want 1, 960)" % (p["damaged_ranges"], p["events"]))

    # used_bytes far beyond the file: truncated, everything present is still read.
    big = os.path.join(a.dir, "used-beyond.trace")
    patched(base, big, 72, struct.pack("<Q", 1 << 40))
    r = run(a.viewer, ["summary", "--json", big])
    p = json.loads(r.stdout)["processes"][0]
    expect(r.returncode == 2 and p["truncated"] and p["events"] == 1000,
           "used_bytes beyond the file: exit %d, %r" % (r.returncode, p))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
