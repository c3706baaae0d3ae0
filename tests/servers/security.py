"""Hostile surroundings: a symlink planted at the output path, file modes under umask 0, and a
program whose name is markup, rendered by the viewer."""
import os
import shutil
import stat

import clients
from harness import check, check_eq, one_iotrace_line, wait_port, free_port

# The file name becomes argv[0] and, cut to 15 bytes, the thread name the viewer labels lanes
# with ("<script>alert(1"); a "/" cannot be part of a file name, so "</script>" stays out.
HOSTILE = "<script>alert(1)"


def symlink_refused(ctx):
    """A symlink at the trace path: the shim refuses it, the target stays as it was."""
    out_dir = ctx.new_dir("out")
    victim = os.path.join(ctx.new_dir("victim"), "precious")
    with open(victim, "wb") as f:
        f.write(b"precious content\n")
    os.chmod(victim, 0o644)
    before = os.stat(victim)
    link = os.path.join(out_dir, "fixed.trace")
    os.symlink(victim, link)
    port = free_port()
    # A template without %p names one path, so the link can be planted before the start.
    server = ctx.start([ctx.example("echo_epoll_lt"), "-p", str(port)],
                       ctx.traced_env(None, {"IOTRACE_OUTPUT": link}), "echo_epoll_lt")
    wait_port(port, server.proc)
    result = clients.echo(port, 2, 20, 100)
    check_eq(server.stop(), 0, "server exit status")
    line = one_iotrace_line(server, "symlink at the output path")
    after = os.stat(victim)
    with open(victim, "rb") as f:
        check_eq(f.read(), b"precious content\n", "the link's target content")
    check_eq(stat.S_IMODE(after.st_mode), 0o644, "the link's target mode")
    check_eq((after.st_size, after.st_mtime_ns, after.st_uid), (before.st_size,
             before.st_mtime_ns, before.st_uid), "the link's target size, mtime and owner")
    check(os.path.islink(link) and os.readlink(link) == victim, "the planted link was replaced")
    check_eq(sorted(os.listdir(out_dir)), ["fixed.trace"], "files in the output directory")
    return f"{result.round_trips} round trips served untraced; shim said: {line}"


def trace_mode(ctx):
    """Under umask 0, every trace (parent, vfork and posix_spawn children) is mode 0600."""
    out_dir = ctx.new_dir("out", 0o777)
    old = os.umask(0)
    try:
        rc, out, err = ctx.run([ctx.helper("spawn_kinds")], ctx.traced_env(out_dir))
    finally:
        os.umask(old)
    check(rc == 0, f"spawn_kinds exit {rc}: {out}{err}")
    files = ctx.trace_files(out_dir)
    check_eq(len(files), 3, "trace files")
    modes = {os.path.basename(f): oct(stat.S_IMODE(os.stat(f).st_mode)) for f in files}
    check(set(modes.values()) == {"0o600"}, f"trace modes under umask 0: {modes}")
    return "3 files, all 0600"


def render(ctx, out_dir, out):
    rc, text, err = ctx.run([ctx.viewer, "render", out_dir, "-o", out])
    check(rc == 0 or "not implemented" not in err,
          f"render missing: iotrace render says: {err.strip()}")
    check(rc == 0, f"iotrace render {out_dir} -o {out}: exit {rc}\n{text}{err}")
    with open(out, encoding="utf-8", errors="replace") as f:
        return f.read()


def script_in_name(ctx):
    """A traced program named x<script>alert(1)</script>: render's HTML and SVG stay inert."""
    rc, text, err = ctx.run([ctx.viewer, "--help"])
    check("render" in text + err, "render missing: 'iotrace --help' lists no render command")
    pages = {}
    for kind, name in (("plain", "plain_name"), ("hostile", HOSTILE)):
        bin_dir = ctx.new_dir("bin-" + kind, 0o755)
        program = os.path.join(bin_dir, name)
        shutil.copy(ctx.helper("spawn_kinds"), program)
        out_dir = ctx.new_dir("out-" + kind)
        # The name also goes into argv[0] of the children it starts.
        rc, out, err = ctx.run([program], ctx.traced_env(out_dir))
        check(rc == 0, f"{program} exit {rc}: {out}{err}")
        procs = ctx.summaries(out_dir)
        check(any(HOSTILE in " ".join(p["cmdline"]) for p in procs) or kind == "plain",
              "the hostile name is not in the traced command lines")
        for ext in ("html", "svg"):
            pages[kind, ext] = render(ctx, out_dir, ctx.path(f"{kind}.{ext}"))
    for ext in ("html", "svg"):
        page = pages["hostile", ext]
        check("<script>alert" not in page,
              f"render {ext}: the program name's <script> is in the output unescaped")
        # Proof the hostile name reached the page at all (escaped), or the check above is empty.
        check("alert(1" in page, f"render {ext}: the program's name is not shown anywhere")
        benign = pages["plain", ext].lower().count("<script")
        check_eq(page.lower().count("<script"), benign,
                 f"render {ext}: '<script' tags (the same trace with a plain name has {benign})")
    return "HTML and SVG hold the name escaped"
