"""Shared by the viewer's check_*.py scripts: the common arguments and failure bookkeeping."""
import argparse
import os


class Checks:
    """Collects failed expectations so one run reports all of them, then gives the exit status."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def expect(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            print("FAIL: " + msg)
        return cond

    def done(self):
        print("%s: %d failures" % (self.name, len(self.failures)))
        return 1 if self.failures else 0


def parse_args(description, need_gen=True, extra=None):
    """--viewer, --gen and --dir (created), plus whatever extra(parser) adds."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--viewer", required=True, help="the iotrace binary")
    ap.add_argument("--gen", required=need_gen, help="the gen_trace binary")
    ap.add_argument("--dir", required=True, help="scratch directory")
    if extra:
        extra(ap)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    return a
