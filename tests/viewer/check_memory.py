#!/usr/bin/env python3
"""summary must not grow memory with events: peak RSS for 2M events stays near that for 20k."""
import os
import resource
import subprocess
import sys

import vtest


def peak_rss_kb(viewer, trace):
    # A fresh interpreter per measurement: RUSAGE_CHILDREN keeps the maximum of all children.
    code = ("import resource,subprocess,sys;"
            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, viewer, "summary", "--json", trace],
                         capture_output=True, text=True, check=True).stdout.split()
    if out[0] != "0":
        sys.exit("summary of %s failed with status %s" % (trace, out[0]))
    return int(out[1])


def main():
    a = vtest.parse_args(__doc__)
    sizes = {}
    for n in (10000, 1000000):
        path = os.path.join(a.dir, "mem-%d.trace" % n)
        subprocess.run([a.gen, "-o", path, "--model", "epoll-et", "--events", str(n),
                        "--threads", "2", "--capacity", "4000"], check=True)
        sizes[n] = peak_rss_kb(a.viewer, path)
        os.unlink(path)
    print("peak RSS: 20k events %d KiB, 2M events %d KiB" % (sizes[10000], sizes[1000000]))
    # The chunk index grows with chunks (500 of them here, ~50 bytes each): allow 1 MiB.
    if sizes[1000000] > sizes[10000] + 1024:
        print("FAIL: memory grew with the number of events")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
