"""Open every page of a built docs site in headless Chromium and fail on what a reader would see.

Usage: ``python docs/check_site.py SITE_DIR [--screenshots DIR] [--page math ...]``

The site is served over HTTP from a thread of this process (as a host would serve it). Each
page is loaded by Debian's ``chromium`` (``--dump-dom`` after the scripts ran); a page fails when

- it shows unrendered math: ``\\[``, ``\\(`` or ``$$`` in its visible text, or an
  ``arithmatex`` element that KaTeX did not render;
- a resource it loads (image, script, stylesheet, font) is missing (HTTP status >= 400), or an
  image is not a PNG/SVG/JPEG file;
- the browser console shows any message (the pages log nothing when all is well; Chromium
  reports errors and uncaught exceptions as console lines).

Exits 1 and lists every failure, else prints one line per page. With ``--screenshots``, saves
a PNG of each page there (look at them: the check cannot judge layout).
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
]
_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)$", re.M)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"<svg", b"<?xml", b"\xff\xd8\xff")


class _Requests(SimpleHTTPRequestHandler):
    """Serves the site and records ``(path, status)`` of every request."""

    log: list[tuple[str, int]]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log.append((self.path.split("?")[0], int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet; statuses are in self.log


class _Visible(html.parser.HTMLParser):
    """Visible text (no script, style, code, or KaTeX's MathML copy of the TeX source) and
    the count of arithmatex elements and of those holding KaTeX output."""

    SKIP = frozenset({"script", "style", "code", "pre", "annotation", "noscript"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.arithmatex = 0
        self.rendered = 0
        self._skip = 0
        self._math: list[int] = []  # open-tag depth of arithmatex elements still open
        self._depth = 0
        self._seen_katex_in: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
            self._depth -= 1  # void element
            return
        if tag in self.SKIP:
            self._skip += 1
        if "arithmatex" in classes:
            self.arithmatex += 1
            self._math.append(self._depth)
        if "katex" in classes and self._math and self._math[-1] not in self._seen_katex_in:
            self._seen_katex_in.add(self._math[-1])
            self.rendered += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if self._math and self._math[-1] == self._depth:
            self._seen_katex_in.discard(self._math.pop())
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _chromium() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return name
    raise SystemExit("check_site: chromium not found (apt-get install -y chromium)")


def check_page(
    browser: str, url: str, requests: list[tuple[str, int]], site: Path, shot: Path | None
) -> list[str]:
    """Failures of one page (empty when it renders cleanly)."""
    problems: list[str] = []
    first = len(requests)
    with tempfile.TemporaryDirectory() as profile:
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        run = subprocess.run(
            [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
        )
        if shot is not None:
            subprocess.run(
                [browser, *flags, "--window-size=1280,1600", f"--screenshot={shot}", url],
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip
    if run.returncode != 0 or "<html" not in run.stdout:
        return [f"chromium failed ({run.returncode}): {run.stderr[-500:]}"]
    problems += [f"console: {m}" for m in _CONSOLE.findall(run.stderr)]
    page = _Visible()
    page.feed(run.stdout)
    text = " ".join(page.text)
    for token in ("\\[", "\\(", "$$"):
        if token in text:
            i = text.index(token)
            problems.append(f"unrendered math {token!r}: ...{text[max(0, i - 40) : i + 60]!r}")
    if page.rendered != page.arithmatex:
        problems.append(f"KaTeX rendered {page.rendered} of {page.arithmatex} math elements")
    for path, status in requests[first:]:
        if status >= 400 and path != "/favicon.ico":
            problems.append(f"HTTP {status} for {path}")
    base = url.split("://", 1)[1].split("/", 1)[1]
    for src in page.images:
        target = (site / base).parent / src if not src.startswith("/") else site / src[1:]
        if not target.resolve().is_file():
            problems.append(f"image {src!r} is not in the site")
        elif not target.read_bytes().lstrip()[:8].startswith(_IMAGE_MAGIC):
            problems.append(f"image {src!r} is not a PNG, SVG or JPEG file")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--page", action="append", help="only these pages (e.g. math)")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    pages = sorted(site.rglob("index.html"))
    if args.page:
        pages = [p for p in pages if p.parent.relative_to(site).as_posix() in args.page]
    if not pages:
        print(f"check_site: no pages under {site}", file=sys.stderr)
        return 1
    requests: list[tuple[str, int]] = []
    handler = type("Handler", (_Requests,), {"log": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = _chromium()
    failures = 0
    try:
        if args.screenshots is not None:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        for index in pages:
            rel = index.relative_to(site).as_posix()
            url = f"http://127.0.0.1:{server.server_port}/{rel}"
            shot = None
            if args.screenshots is not None:
                stem = rel.removesuffix("index.html").strip("/").replace("/", "_") or "home"
                shot = args.screenshots / f"{stem}.png"
            problems = check_page(browser, url, requests, site, shot)
            failures += bool(problems)
            status = "FAIL" if problems else "ok"
            print(f"{status:4} {rel}")
            for problem in problems:
                print(f"     {problem}")
    finally:
        server.shutdown()
    if failures:
        print(f"check_site: {failures} of {len(pages)} pages failed", file=sys.stderr)
        return 1
    print(f"check_site: {len(pages)} pages render (math, images, no console messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
