"""``derivgen serve``: the HTML pages on localhost, rebuilt on every change and reloaded in the browser.

Like ``mkdocs serve``: a build, then a small web server on 127.0.0.1 (never
another address) serving the output folder, and :mod:`.live`'s watch loop
rebuilding on every change.  Each HTML page is served with a few lines of
script that ask ``/__derivgen__/build`` once a second and reload the page when
a build has finished since it was loaded.  Files and folders whose name starts
with a dot (the cache, the manifest) are not served.
"""

from __future__ import annotations

import html
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote, urlsplit

from derivgen.authoring.live import Watch, watch
from derivgen.build.report import BuildReport
from derivgen.errors import UsageError
from derivgen.render.escape import terminal

#: Where a page asks which build it is looking at.
BUILD_PATH = "/__derivgen__/build"
#: Served at the end of every HTML page.
RELOAD_SCRIPT = """<script>/* derivgen serve: reload when a newer build is there */
(function () {
  let seen = null;
  async function ask() {
    try {
      const build = await (await fetch("BUILD_PATH", {cache: "no-store"})).text();
      if (seen !== null && build !== seen) { location.reload(); return; }
      seen = build;
    } catch (e) { /* the server is restarting: ask again */ }
    setTimeout(ask, 1000);
  }
  ask();
})();</script>
""".replace("BUILD_PATH", BUILD_PATH)


class Builds:
    """How many builds have finished: what the pages compare (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def finished(self, report: BuildReport | None) -> None:
        with self._lock:
            self._count += 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count


class PreviewHandler(SimpleHTTPRequestHandler):
    """The output folder, HTML pages with the reload script, no dot files, no request log."""

    builds: Builds

    def __init__(self, *args: Any, builds: Builds, **kwargs: Any) -> None:
        self.builds = builds
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # quiet, like mkdocs serve
        pass

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == BUILD_PATH:
            self._send(str(self.builds.count).encode(), "text/plain; charset=utf-8")
        elif any(part.startswith(".") for part in path.split("/")):
            self.send_error(404, "Not found")
        elif path == "/":
            self._send(self._home().encode("utf-8"), "text/html; charset=utf-8")
        elif path.endswith(".html") and Path(self.translate_path(path)).is_file():
            page = Path(self.translate_path(path)).read_text(encoding="utf-8")
            at = page.rfind("</body>")
            page = page[:at] + RELOAD_SCRIPT + page[at:] if at >= 0 else page + RELOAD_SCRIPT
            self._send(page.encode("utf-8"), "text/html; charset=utf-8")
        else:
            super().do_GET()

    def _home(self) -> str:
        """A page linking every HTML sheet of the build."""
        root = Path(self.directory)
        pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                       if not any(part.startswith(".") for part in p.relative_to(root).parts))
        items = "".join(f'<li><a href="/{quote(p)}">{html.escape(p)}</a></li>' for p in pages)
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>derivgen serve</title></head>"
                f"<body><h1>derivgen serve</h1><ul>{items or '<li>no HTML yet</li>'}</ul>"
                f"{RELOAD_SCRIPT}</body></html>")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def serve(w: Watch, port: int = 8000, stop: threading.Event | None = None,
          stream: TextIO = sys.stderr) -> None:
    """Build, serve ``w.out`` on 127.0.0.1:``port`` and rebuild on every change, until Ctrl-C or ``stop``."""
    builds = Builds()
    w.out.mkdir(parents=True, exist_ok=True)
    handler = partial(PreviewHandler, builds=builds, directory=str(w.out))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        raise UsageError(f"--port {port}: cannot serve on 127.0.0.1:{port} ({e.strerror or e}); "
                         "choose another port (--port 0 picks a free one)") from e
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bound = server.server_address[1]
    print(terminal(f"serving {w.out}/ at http://127.0.0.1:{bound}/ (Ctrl-C to stop)"), file=stream)
    stream.flush()
    try:
        watch(w, builds.finished, stop, stream)
    finally:
        server.shutdown()
        server.server_close()
