"""Headless Chromium driven over its DevTools pipe (fds 3 and 4), with the standard library only:
open a page, collect everything it reports, evaluate script in it, take a screenshot."""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]


class CdpError(Exception):
    """The browser did not answer, or answered a command with an error."""


class Browser:
    """One Chromium with a fresh profile; use as a context manager."""

    def __init__(self, binary, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="iotrace-chromium-")
        cmd_r, self.cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        self.res_r, res_w = os.pipe()  # Chromium writes fd 4, we read

        def fds():
            # Out of the way first: either end may already sit on 3 or 4.
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self.proc = subprocess.Popen([binary] + FLAGS + ["--user-data-dir=" + self.profile,
                                                         "about:blank"],
                                     pass_fds=(3, 4), preexec_fn=fds, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []  # (session, method, params) of every event received

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close", wait=False)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self.cmd_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline):
        import select
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("no answer from Chromium within %ds" % self.timeout)
            r, _, _ = select.select([self.res_r], [], [], left)
            if r:
                chunk = os.read(self.res_r, 1 << 20)
                if not chunk:
                    raise CdpError("Chromium closed its DevTools pipe (exit %s)" % self.proc.poll())
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, wait=True):
        """Sends a command; returns its result, keeping the events that arrive meanwhile."""
        self.next_id += 1
        my_id = self.next_id
        msg = {"id": my_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == my_id:
                if "error" in m:
                    raise CdpError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self._event(m)

    def _event(self, m):
        self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))
        if m["method"] == "Page.javascriptDialogOpening":
            # An alert would hold the page until answered; it is reported, then dismissed.
            self.send("Page.handleJavaScriptDialog", {"accept": False},
                      session=m.get("sessionId"), wait=False)

    def wait_event(self, method, session, timeout=None):
        """Waits for an event not yet seen; returns its params."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = len(self.events)
        while True:
            for s, m, p in self.events[seen:]:
                if s == session and m == method:
                    return p
            seen = len(self.events)
            msg = self._read_message(deadline)
            if "method" in msg:
                self._event(msg)


class Page:
    """One tab with console, log, network and dialog reporting on, at a fixed size."""

    def __init__(self, browser, width, height):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = browser.send("Target.attachToTarget", {"targetId": target,
                                                        "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        self.first_event = len(browser.events)

    def send(self, method, params=None):
        return self.b.send(method, params, session=self.s)

    def open(self, path):
        """Loads a local file and waits for its load event (its inline scripts have run)."""
        self.url = "file://" + os.path.abspath(path)
        self.first_event = len(self.b.events)
        self.send("Page.navigate", {"url": self.url})
        self.b.wait_event("Page.loadEventFired", self.s)

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CdpError("evaluate: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path):
        png = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def complaints(self):
        """What the page did that a self-contained, quiet page never does, one line each:
        console output, uncaught exceptions, log entries, dialogs, requests for anything but
        the page itself."""
        out = []
        for s, m, p in self.b.events[self.first_event:]:
            if s != self.s:
                continue
            if m == "Runtime.consoleAPICalled":
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p["args"])))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s" % d.get("exception", {}).get("description", d["text"]))
            elif m == "Log.entryAdded":
                e = p["entry"]
                out.append("log %s (%s): %s" % (e["level"], e["source"], e["text"]))
            elif m == "Page.javascriptDialogOpening":
                out.append("dialog %s: %s" % (p["type"], p["message"]))
            elif m == "Network.requestWillBeSent" and p["request"]["url"] != self.url:
                out.append("request: %s" % p["request"]["url"][:200])
        return out
