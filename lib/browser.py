"""What the browser tests and the PDF printer share: Debian's Chromium, a local web
server, and a page kept offline that records what went wrong."""

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

# Playwright cannot download its own browsers here; it drives the system's Chromium.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and no background traffic: the pages must render with no network at all.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# JavaScript: waits in the page for what must happen within a minute, else fails naming it
# (a page.evaluate has no timeout of its own: a missing script would otherwise hang the test).
UNTIL = """async (done, what) => {
    const deadline = Date.now() + 60000;
    while (!done()) {
        if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}`);
        await new Promise(r => setTimeout(r, 50));
    }
}"""

# JavaScript, for page.evaluate: resolves once MathJax (where the page loads it) has
# typeset the page, its fonts are ready and every image has loaded. The one wait the
# printer and the browser tests share.
SETTLED = """async () => {
    const until = %s;
    if (window.MathJax) {
        await until(() => MathJax.startup && MathJax.startup.promise,
                    'MathJax never started: is its script missing or failing?');
        await MathJax.startup.promise;
    }
    await document.fonts.ready;
    await until(() => ![...document.images].some(i => !i.complete), 'images still loading');
}""" % UNTIL


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def watch(page, base: str) -> tuple[list[str], list[str]]:
    """Keep a Playwright `page` offline and record what goes wrong on it.

    Requests to anything but `base` (or a data: URL) are aborted and listed in the
    first list; console errors, page errors and failed requests to `base` in the second.
    """
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith((base, "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: r.url.startswith(base)
            and errors.append(f"failed request: {r.url}"))
    return outside, errors
