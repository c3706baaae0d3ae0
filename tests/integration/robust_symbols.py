"""summary --by-site names frames from the file that was traced: a file rebuilt since is not
trusted (its build id differs), and a stripped file is named from its separate debug file, found
by build id as Debian's -dbgsym packages install them, or by its .gnu_debuglink."""
import json
import os
import re
import shutil
import subprocess

from iotest import Failure, check, only_process, trace_files

# A program whose recv is made from a static function: only .symtab, never .dynsym, names it.
SOURCE = r"""
#include <sys/socket.h>
#include <unistd.h>
__attribute__((noinline)) static int %s(int fd) {
  char c;
  return (int)recv(fd, &c, 1, 0);
}
int main(void) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
    return 1;
  for (int i = 0; i < 5; i++)
    if (write(sp[1], "x", 1) != 1 || %s(sp[0]) != 1)
      return 1;
  return 0;
}
"""


def build(ctx, d, name, function):
    src, exe = os.path.join(d, name + ".c"), os.path.join(d, name)
    with open(src, "w") as f:
        f.write(SOURCE % (function, function))
    r = subprocess.run(["cc", "-O1", "-g", "-fno-omit-frame-pointer", "-Wl,--build-id", "-o", exe,
                        src], capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"cc failed: {r.stderr}")
    return exe


def build_id(exe):
    out = subprocess.run(["readelf", "-n", exe], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if not m:
        raise Failure(f"no build id in {exe}:\n{out}")
    return m.group(1)


def frames(ctx, exe, out_dir, *viewer_args):
    """Traces exe with call sites, then the frames --by-site names for its recv."""
    run = ctx.run_traced([exe], out_dir, {"IOTRACE_STACK": "4"})
    check(run.rc == 0, run.describe())
    r = subprocess.run([ctx.viewer, "summary", "--json", "--by-site", *viewer_args,
                        *trace_files(out_dir)], capture_output=True, text=True)
    check(r.returncode == 0, f"summary --by-site: {r.stderr}")
    p = only_process(json.loads(r.stdout)["processes"])
    sites = [s for s in p.get("sites", []) if s["call"] == "recv"]
    check(sites, f"no recv call site: {p.get('sites')}")
    return [f for s in sites for f in s["frames"]]


def rebuilt(ctx):
    d = ctx.new_dir("prog")
    exe = build(ctx, d, "prog", "take_one")
    out_dir = ctx.new_dir("out")
    first = frames(ctx, exe, out_dir)
    check(any("take_one" in f for f in first), f"the traced build's frames: {first}")
    # The same path rebuilt with other code: its symbols would name the frame wrongly.
    other = build(ctx, ctx.new_dir("other"), "prog", "something_else")
    shutil.copy(other, exe)
    r = subprocess.run([ctx.viewer, "summary", "--by-site", *trace_files(out_dir)],
                       capture_output=True, text=True)
    check("something_else" not in r.stdout, f"a rebuilt file named the frames:\n{r.stdout}")
    check("rebuilt since the trace" in r.stdout, f"the rebuild is not said:\n{r.stdout}")


def debug_file(ctx, how):
    d = ctx.new_dir("prog")
    exe = build(ctx, d, "prog", "take_one")
    dbg = ctx.new_dir("debug")
    bid = build_id(exe)
    if how == "build-id":
        target = os.path.join(dbg, ".build-id", bid[:2], bid[2:] + ".debug")
        os.makedirs(os.path.dirname(target))
    else:
        target = exe + ".debug"
    subprocess.run(["objcopy", "--only-keep-debug", exe, target], check=True)
    subprocess.run(["strip", "--strip-all", exe], check=True)
    if how == "debuglink":
        subprocess.run(["objcopy", "--add-gnu-debuglink=" + target, exe], check=True, cwd=d)
    out_dir = ctx.new_dir("out")
    named = frames(ctx, exe, out_dir, "--debug-dir", dbg)
    check(any("take_one" in f for f in named),
          f"the stripped program's static function is not named from its debug file: {named}")
