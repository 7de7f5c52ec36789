"""Drive headless Chromium over the DevTools protocol, for tests of HTML outputs and the report.

Usage (``from report_browser import Chromium``; a test of the Snakemake report does the same
with the report's path)::

    with Chromium() as browser:
        page = browser.open(path.as_uri())
        page.wait_for("document.readyState === 'complete'")
        loaded, total = page.images()
        page.screenshot(out_png)

Skip when Chromium or websocket-client is missing with :func:`require_chromium`.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """Path of a Chromium executable on PATH, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The Chromium path; skips the calling test when Chromium or websocket-client is absent."""
    import pytest

    pytest.importorskip("websocket")
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`)")
    return path


class Page:
    """One browser tab: evaluate JavaScript, wait for a condition, take screenshots."""

    def __init__(self, ws_url: str):
        import websocket

        self._ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self._ids = itertools.count(1)

    def send(self, method: str, **params) -> dict:
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str):
        """Value of a JavaScript expression (promises are awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> None:
        """Poll until ``expression`` is truthy; TimeoutError otherwise."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        raise TimeoutError(f"still false after {timeout} s: {expression}")

    def images(self) -> tuple[int, int]:
        """(loaded, total) ``<img>`` elements, loaded meaning decoded with a non-zero size."""
        loaded, total = self.evaluate(
            "(() => { const im = Array.from(document.images);"
            " return [im.filter(i => i.complete && i.naturalWidth > 0).length, im.length]; })()"
        )
        return int(loaded), int(total)

    def visible(self, selector: str) -> bool:
        """Whether the first element matching the CSS selector is rendered with a size."""
        sel = json.dumps(selector)
        return bool(
            self.evaluate(
                f"(() => {{ const e = document.querySelector({sel}); if (!e) return false;"
                " const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })()"
            )
        )

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        """PNG screenshot of the page (whole scroll height when ``full_page``)."""
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
        data = self.send("Page.captureScreenshot", **params)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self._ws.close()


class Chromium:
    """A headless Chromium with its own throw-away profile, closed on exit."""

    def __init__(self, executable: str | None = None, window: tuple[int, int] = (1280, 1024)):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no Chromium executable on PATH")
        self.window = window
        self._proc: subprocess.Popen | None = None
        self._profile: tempfile.TemporaryDirectory | None = None
        self._port: int | None = None

    def __enter__(self) -> Chromium:
        # Chromium may still be writing its profile while it exits
        self._profile = tempfile.TemporaryDirectory(
            prefix="retrowalk-chromium-", ignore_cleanup_errors=True
        )
        self._proc = subprocess.Popen(
            [
                self.executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.window[0]},{self.window[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > end or self._proc.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        self._port = int(port_file.read_text().splitlines()[0])
        return self

    def open(self, url: str, timeout: float = 60.0) -> Page:
        """A new tab showing ``url``, returned once the document has loaded."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self._port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            target = json.loads(resp.read())
        page = Page(target["webSocketDebuggerUrl"])
        page.send("Page.enable")
        page.send("Page.navigate", url=url)
        page.wait_for("document.readyState === 'complete'", timeout=timeout)
        return page

    def __exit__(self, *exc) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None
