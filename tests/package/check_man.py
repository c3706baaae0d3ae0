#!/usr/bin/env python3
"""Checks the built manual pages: they cover the viewer's --help and the shim's variables, and lint clean."""
import argparse
import os
import re
import subprocess
import sys

# An option as --help writes it: "--json", "-o", "--no-color", after a space, "[", "," or "|".
OPTION = re.compile(r"(?:^|(?<=[\s\[,|(]))(--?[A-Za-z][A-Za-z-]*)")
# Every setting the shim reads goes through iot_setting() or its number reader, or is carried.
SHIM_VARIABLE = re.compile(r'"(IOTRACE_[A-Z_]+)"')


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def page_path(man_dir, page):
    path = os.path.join(man_dir, page)
    if not os.path.exists(path):
        fail(f"{path} was not built: the tree has no page target, or scdoc was not found "
             "when it was configured (apt-get install scdoc, then configure again)")
    return path


def page_text(path):
    """The page as a reader sees it. mandoc never hyphenates, so a word is never cut in two."""
    out = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=400", path],
                         capture_output=True, text=True, check=True).stdout
    return re.sub(".\b", "", out)  # overstrike bold and underline


def viewer_help(viewer, *args):
    r = subprocess.run([viewer, *args, "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{viewer} {' '.join(args)} --help exited {r.returncode}")
    return r.stdout


def commands_of(viewer):
    """The commands `iotrace --help` lists, from its lines "  iotrace NAME ..."."""
    names = [m.group(1) for m in re.finditer(r"^\s+iotrace ([a-z]+)", viewer_help(viewer), re.M)]
    if not names:
        fail("iotrace --help lists no command")
    return names


def check_options(args):
    text = page_text(page_path(args.man_dir, "iotrace.1"))
    words = set(re.findall(r"[A-Za-z0-9_.-]+", text))
    missing = []
    commands = commands_of(args.viewer)
    for cmd in commands:
        # A command is documented when the page has an entry that starts with its name.
        if not re.search(r"^\s+" + re.escape(cmd) + r"\b", text, re.M):
            missing.append(f"command {cmd}")
        for opt in sorted(set(OPTION.findall(viewer_help(args.viewer, cmd)))):
            if opt not in words:
                missing.append(f"option {opt} of {cmd}")
    for section in ("EXIT STATUS", "ENVIRONMENT"):
        if not re.search(r"^" + section + r"$", text, re.M):
            missing.append(f"section {section}")

    variables = set()
    for root, _, files in os.walk(args.shim_src):
        for name in files:
            if name.endswith((".c", ".h")):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    variables.update(SHIM_VARIABLE.findall(f.read()))
    if not variables:
        fail(f"no IOTRACE_ variable found in {args.shim_src}")
    seven = set(re.findall(r"[A-Z_]+", page_text(page_path(args.man_dir, "libiotrace.7"))))
    missing += [f"variable {v} in libiotrace(7)" for v in sorted(variables - seven)]

    if missing:
        fail("the manual pages leave out:\n  " + "\n  ".join(missing))
    print(f"ok: {len(commands)} commands and their options in iotrace(1), "
          f"{len(variables)} variables in libiotrace(7)")


def check_lint(args):
    problems = []
    for page in ("iotrace.1", "libiotrace.7"):
        path = page_path(args.man_dir, page)
        # STYLE remarks (lines past 80 bytes, a lower-case title) are not warnings.
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", path],
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stdout or r.stderr:
            problems.append(f"mandoc -T lint {page}:\n{r.stdout}{r.stderr}")
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        r = subprocess.run(["man", "--warnings=all", "-l", path], capture_output=True, text=True,
                           env=env)
        if r.returncode != 0 or r.stderr or "NAME" not in r.stdout:
            problems.append(f"man -l {page} (exit {r.returncode}):\n{r.stderr}")
        # lexgrog reads the NAME line the way mandb and whatis(1) do.
        r = subprocess.run(["lexgrog", path], capture_output=True, text=True)
        if r.returncode != 0 or " - " not in r.stdout:
            problems.append(f"lexgrog {page} finds no whatis line:\n{r.stdout}{r.stderr}")
    if problems:
        fail("\n".join(problems))
    print("ok: both pages lint clean, render without warnings and have a whatis line")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("check", choices=["options", "lint"])
    ap.add_argument("--man-dir", required=True, help="where the build wrote the pages")
    ap.add_argument("--viewer", help="the iotrace binary whose --help the page must cover")
    ap.add_argument("--shim-src", help="the shim's sources, whose IOTRACE_ variables libiotrace(7) must name")
    args = ap.parse_args()
    if args.check == "options":
        if not args.viewer or not args.shim_src:
            ap.error("options needs --viewer and --shim-src")
        check_options(args)
    else:
        check_lint(args)


if __name__ == "__main__":
    main()
