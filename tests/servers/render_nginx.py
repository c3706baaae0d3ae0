"""nginx's master and workers drawn by `iotrace render`: the page opened in headless Chromium shows
each process as its own group with its own lanes, and the screenshot of it is kept."""
import os
import shutil
import signal
import sys

from harness import check, check_eq
import real

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "render"))
import cdp  # noqa: E402

# Where the screenshot is copied when asked (IOTRACE_SCREENSHOTS=docs/images updates the README's).
SHOTS = os.environ.get("IOTRACE_SCREENSHOTS")


def nginx_render(ctx):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    check(chromium, "chromium is not installed (tests/install-deps.sh installs it)")
    prefix, port, files = real.nginx_prefix(ctx)
    out_dir = ctx.new_dir("out")
    server = real.start_nginx(ctx, prefix, port, ctx.traced_env(out_dir))
    traced = real.nginx_client(ctx, port, files, rounds=8)
    check(traced.answers, "the client got no answer")
    check_eq(server.stop(signal.SIGQUIT), 0, "traced nginx exit status")
    procs = ctx.summaries(out_dir, expect_closed=True)
    workers = real.nginx_workers(procs, server.pid)
    html = ctx.path("nginx.html")
    rc, out, err = ctx.run([ctx.viewer, "render", "-o", html, out_dir])
    check_eq(rc, 0, f"render: {err}")
    png = ctx.path("nginx-render.png")
    with cdp.Browser(chromium) as b:
        page = cdp.Page(b, 1400, 560)
        page.open(html)
        heads = page.evaluate("[...document.querySelectorAll('#rows tr.proc')]"
                              ".map(tr => tr.textContent)")
        shown = page.evaluate("window.iotrace.shown()")
        page.screenshot(png)
        complaints = page.complaints()
    check(not complaints, f"the page complained: {complaints}")
    # One group per process: the master and each worker, under the title each gave itself.
    check_eq(len(heads), 1 + len(workers), f"process rows {heads}")
    check(any("master process" in h for h in heads), f"no master row in {heads}")
    check_eq(sum(1 for h in heads if "worker process" in h), len(workers),
             f"worker rows in {heads}")
    pids = {label.split("/")[0] for label, _ in shown}
    check_eq(pids, {str(p["pid"]) for p in procs}, "processes with a lane drawn")
    if SHOTS:
        shutil.copy(png, os.path.join(SHOTS, "nginx-render.png"))
    return f"{len(heads)} processes, {len(shown)} lanes, screenshot {png}"
