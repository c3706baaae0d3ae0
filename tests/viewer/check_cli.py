#!/usr/bin/env python3
"""The command line: --help on every command (exit 0), bad usage exits 1 with the usage line."""
import os
import subprocess
import sys

import vtest

COMMANDS = ["summary", "timeline", "export", "render", "run"]


def main():
    a = vtest.parse_args(__doc__)
    checks = vtest.Checks("cli")
    expect = checks.expect
    trace = os.path.join(a.dir, "cli.trace")
    subprocess.run([a.gen, "-o", trace, "--events", "50"], check=True)

    def run(*args):
        return subprocess.run([a.viewer] + list(args), capture_output=True, text=True)

    for c in COMMANDS:
        for h in ("--help", "-h"):
            r = run(c, h)
            expect(r.returncode == 0 and r.stdout.startswith("usage: iotrace " + c),
                   "%s %s: exit %d, %r" % (c, h, r.returncode, r.stdout[:80]))
        r = run("help", c)
        expect(r.returncode == 0 and r.stdout.startswith("usage: iotrace " + c), "help " + c)
    r = run("--help")
    expect(r.returncode == 0 and all(("iotrace " + c) in r.stdout for c in COMMANDS),
           "--help does not list every command")

    bad = [
        [], ["bogus"], ["help", "bogus"], ["summary"], ["summary", "--bogus", trace],
        ["timeline"], ["timeline", "--width", "5", trace], ["timeline", "--from", "soon", trace],
        ["timeline", "--from", "5s", "--to", "1s", trace],
        ["export", trace, "-o", "-"], ["export", "--format", "xml", "-o", "-", trace],
        ["export", "--format", "csv", trace], ["render", trace, "-o", "x.png"],
        ["render", trace], ["run"],
    ]
    for args in bad:
        r = run(*args)
        expect(r.returncode == 1, "%s: exit %d, expected 1" % (args, r.returncode))
        expect("usage: iotrace" in r.stderr or "the window is empty" in r.stderr,
               "%s: no usage on stderr: %r" % (args, r.stderr[:200]))
        expect(r.stdout == "", "%s: wrote to stdout on bad usage" % args)

    # After "--", --help belongs to the traced program, not to iotrace.
    r = run("run", "-o", os.path.join(a.dir, "cli-run"), "--", "/bin/echo", "--help")
    expect(not r.stdout.startswith("usage: iotrace"), "run swallowed the program's --help")

    # Good usage of each reading command on the same file: exit 0 and some output.
    for args in (["summary", trace], ["summary", "--json", "--by-site", trace],
                 ["timeline", "--width", "60", trace], ["export", "--format", "csv", "-o", "-", trace]):
        r = run(*args)
        expect(r.returncode == 0 and r.stdout, "%s: exit %d" % (args, r.returncode))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
