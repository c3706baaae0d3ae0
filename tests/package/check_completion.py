#!/usr/bin/env python3
"""Checks the bash completion: sourced in bash, _iotrace completes commands, options, values and traces."""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
OPTION = re.compile(r"(?:^|(?<=[\s\[,|(]))(--?[A-Za-z][A-Za-z-]*)")


def complete(script, viewer, words, cwd):
    """COMPREPLY for the command line `words`, the cursor at the end of its last word, as bash
    sets it up before calling the function `complete -F` names."""
    line = " ".join(words)
    prog = f"""
source {shlex.quote(BASH_COMPLETION)} || exit 1
source {shlex.quote(script)} || exit 1
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={shlex.quote(line)}
COMP_POINT={len(line)}
fn=$(complete -p iotrace | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
"$fn" {shlex.quote(viewer)} {shlex.quote(words[-1])} {shlex.quote(words[-2])}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], capture_output=True,
                       text=True, cwd=cwd)
    if r.returncode != 0:
        raise AssertionError(f"bash failed on {words}: {r.stderr}")
    return set(filter(None, r.stdout.split("\n")))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--script", required=True, help="the completion file")
    ap.add_argument("--viewer", required=True, help="the iotrace binary to complete for")
    args = ap.parse_args()
    if not os.path.exists(args.script):
        print(f"FAIL: no completion file at {args.script}")
        return 1
    if not os.path.exists(BASH_COMPLETION):
        print(f"FAIL: {BASH_COMPLETION} is missing (apt-get install bash-completion)")
        return 1
    viewer = os.path.abspath(args.viewer)
    args.script = os.path.abspath(args.script)
    help_text = subprocess.run([viewer, "--help"], capture_output=True, text=True).stdout
    commands = re.findall(r"^\s+iotrace ([a-z]+)", help_text, re.M)

    failures = []

    def expect(words, want, cwd, exact=False):
        got = complete(args.script, viewer, words, cwd)
        ok = got == set(want) if exact else set(want) <= got
        if not ok:
            failures.append(f"{' '.join(words)!r}: wanted {sorted(want)}{' exactly' if exact else ''},"
                            f" got {sorted(got)}")

    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "nginx"))
        for name in ("a.trace", "b.trace", "notes.txt", "page.html", "pic.svg"):
            open(os.path.join(d, name), "w").close()

        expect([viewer, ""], commands + ["help"], d, exact=True)
        expect([viewer, "help", "s"], [c for c in commands + ["help"] if c.startswith("s")], d,
               exact=True)
        # Every option each command's --help names, and nothing it does not.
        for cmd in commands:
            cmd_help = subprocess.run([viewer, cmd, "--help"], capture_output=True, text=True).stdout
            expect([viewer, cmd, "-"], set(OPTION.findall(cmd_help)) | {"--help"}, d, exact=True)
        expect([viewer, "summary", "--json", "--sort", ""],
               ["calls", "time", "wait", "copy", "errors", "p99", "max", "name"], d, exact=True)
        expect([viewer, "export", "--format", "c"], ["chrome", "csv"], d, exact=True)
        expect([viewer, "timeline", "--clock", ""], ["auto", "mono", "wall"], d, exact=True)
        # Trace files and directories, not other files; a directory is completed with its slash.
        expect([viewer, "summary", ""], ["a.trace", "b.trace", "nginx"], d, exact=True)
        expect([viewer, "render", "a.trace", "-o", ""], ["page.html", "pic.svg", "nginx"], d,
               exact=True)
        expect([viewer, "run", "-o", ""], ["nginx"], d, exact=True)
        # Call names come from the viewer's own call table, once it prints one.
        if "calls" in commands:
            table = subprocess.run([viewer, "calls", "--json"], capture_output=True, text=True)
            names = [c["name"] for c in json.loads(table.stdout)["calls"]]
            expect([viewer, "summary", "--call", ""], names, d, exact=True)
            expect([viewer, "summary", "--call", "recv,epoll_w"], ["recv,epoll_wait"], d,
                   exact=True)
        # After run's "--" come a program and its own arguments.
        expect([viewer, "run", "--", "pytho"], ["python3"], d)
        expect([viewer, "run", "--", "ls", "a.tr"], ["a.trace"], d, exact=True)

    if failures:
        print("FAIL: the completion offered the wrong words:\n  " + "\n  ".join(failures))
        return 1
    print(f"ok: commands, the options of {len(commands)} commands, values and files complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
