"""Call sites in a process with thousands of mappings: every frame named, every module written once."""
import json
import re
import struct
import subprocess

from iotest import Failure, check, diff, only_process, trace_files

CHUNK_MAGIC = 0x4354494F
CHUNK_MODULES = 3
MODULE_COMMIT = 0x4D4F


def module_records(path):
    """(start, end, path) of every committed MODULES record, as docs/trace-format.md lays them out."""
    with open(path, "rb") as f:
        data = f.read()
    found, off = [], 4096
    while off + 64 <= len(data):
        magic, kind, _flags, size = struct.unpack_from("<IHHI", data, off)
        if magic != CHUNK_MAGIC or size < 1024:
            off += 1024  # chunks start on a multiple of 1024
            continue
        if kind == CHUNK_MODULES:
            used = struct.unpack_from("<I", data, off + 16)[0]
            pos = 0
            while pos + 32 <= used:
                start, end, _foff, plen, commit = struct.unpack_from("<QQQHH", data, off + 64 + pos)
                if commit != MODULE_COMMIT:
                    break
                name = data[off + 64 + pos + 32:off + 64 + pos + 32 + plen].decode(errors="replace")
                found.append((start, end, name))
                pos += (32 + plen + 7) & ~7
        off += size
    return found


def many_mappings(ctx):
    # 12,000 one-page mappings make /proc/self/maps about 600 KB, the libraries' lines at its end.
    argv = [ctx.program("sc_maps"), "12000", "10"]
    out_dir = ctx.new_dir("out")
    traced = ctx.run_traced(argv, out_dir, {"IOTRACE_STACK": "16"})
    plain = ctx.run_plain(argv)
    check(plain.rc == 0, plain.describe())
    if (traced.rc, traced.out) != (plain.rc, plain.out):
        raise Failure(f"exit {plain.rc} -> {traced.rc}; stdout:\n"
                      + diff(plain.out, traced.out, "untraced", "traced"))
    files = trace_files(out_dir)
    check(len(files) == 1, f"expected one trace, got {files}")
    done = subprocess.run([ctx.viewer, "summary", "--json", "--by-site", files[0]],
                          capture_output=True, text=True, timeout=40)
    check(done.returncode == 0, f"summary --by-site failed: {done.stderr}")
    p = only_process(json.loads(done.stdout)["processes"])
    sites = p.get("sites", [])
    check(len(sites) == 10, f"expected 10 call sites, got {len(sites)}")
    bare = sorted({f for s in sites for f in s["frames"] if re.fullmatch(r"0x[0-9a-f]+", f)})
    check(not bare, f"frames outside every recorded module (library frames not named): {bare}")
    check(any("libc.so" in f for s in sites for f in s["frames"]),
          "no frame names libc (main is called from it)")
    mods = module_records(files[0])
    repeated = sorted({m for m in mods if mods.count(m) > 1})
    check(not repeated, f"{len(mods)} module records, written more than once: {repeated[:5]}")
    return f"{len(sites)} sites, {len(mods)} module records"
