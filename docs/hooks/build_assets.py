"""MkDocs hooks: generate what the site needs at build time, never from checked-in binaries.

- **Plot gallery.** ``docs/plots.md`` holds python blocks whose first line is
  ``# gallery: <name>``. They run in order in one namespace (``setup`` first); each block but
  ``setup`` draws one figure, saved as ``plots/<name>.png`` in the site. The code on the page is
  exactly the code that drew the image.
- **Math.** ``pymdownx.arithmatex`` (generic mode) leaves ``\\( ... \\)`` and ``\\[ ... \\]`` in the
  HTML; KaTeX renders them in the browser. KaTeX is taken from the npm registry (``npm pack``,
  pinned version, integrity checked), cached in ``~/.cache/custvalue-docs`` and copied into the
  site under ``assets/katex/``: no CDN, so a site built once renders offline.

``mkdocs.yml`` lists this file under ``hooks:``; the gallery helpers are imported by
``tests/test_docs_gallery.py`` too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KATEX_VERSION = "0.16.11"
#: ``npm view katex@0.16.11 dist.integrity``
KATEX_INTEGRITY = (
    "sha512-"
    "RQrI8rlHY92OLf3rho/Ts8i/XvjgguEjOkO1BEXcU3N8BqPpSzBNwV/G0Ukr+P/l3ivvJUE/Fa/CwbS6HesGNQ=="
)
GALLERY_PAGE = "plots.md"
_BLOCK = re.compile(r"```python\n# gallery: (?P<name>[a-z0-9_]+)\n(?P<code>.*?)```", re.S)
_state: dict[str, Path] = {}


# ------------------------------------------------------------------------------ gallery
def gallery_blocks(markdown: str) -> list[tuple[str, str]]:
    """``(name, code)`` of every gallery block of a page, in page order."""
    return [(m["name"], m["code"]) for m in _BLOCK.finditer(markdown)]


def run_gallery(markdown: str) -> Iterator[tuple[str, Any]]:
    """Run the gallery blocks in order; yield ``(name, figure)`` after each drawing block.

    The caller saves or inspects the figure; it is closed when the next block runs.
    """
    import matplotlib

    matplotlib.use("Agg")  # a build has no display
    import matplotlib.pyplot as plt

    namespace: dict[str, Any] = {"__name__": "gallery"}
    for name, code in gallery_blocks(markdown):
        plt.close("all")
        exec(compile(code, f"<{GALLERY_PAGE}: {name}>", "exec"), namespace)
        if name != "setup":
            figure = plt.gcf()
            if not figure.axes:
                raise RuntimeError(f"gallery block {name!r} drew no axes")
            yield name, figure
    plt.close("all")


def render_gallery(markdown: str, out_dir: Path) -> dict[str, Path]:
    """Save every gallery figure as ``out_dir/<name>.png``; return the paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, figure in run_gallery(markdown):
        figure.tight_layout()
        path = out_dir / f"{name}.png"
        figure.savefig(path, dpi=100)
        paths[name] = path
    return paths


# ------------------------------------------------------------------------------ KaTeX
def _check_integrity(tarball: Path) -> None:
    algorithm, _, expected = KATEX_INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        tarball.unlink()
        raise RuntimeError(f"{tarball.name}: integrity {algorithm}-{digest} != {KATEX_INTEGRITY}")


def katex_dist(cache: Path | None = None) -> Path:
    """The ``dist`` directory of the pinned KaTeX (``npm pack`` once, then from the cache)."""
    cache = (
        cache or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "custvalue-docs"
    )
    dist = cache / f"katex-{KATEX_VERSION}" / "dist"
    if (dist / "katex.min.js").is_file():
        return dist
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"katex-{KATEX_VERSION}.tgz"
    if not tarball.is_file():
        if shutil.which("npm") is None:
            raise RuntimeError("building the docs needs npm (to fetch KaTeX) or a filled cache")
        subprocess.run(
            ["npm", "pack", f"katex@{KATEX_VERSION}", "--pack-destination", str(cache)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    _check_integrity(tarball)
    target = cache / f"katex-{KATEX_VERSION}"
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/dist/")]
        for member in members:
            if member.isfile() and ".." not in Path(member.name).parts:
                out = target / "dist" / Path(member.name).relative_to("package/dist")
                out.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                out.write_bytes(source.read())
    return dist


def _katex_files(dist: Path) -> Iterator[tuple[str, Path]]:
    """Site path -> file of what the site needs: the CSS, its fonts, KaTeX and auto-render."""
    for name in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
        yield f"assets/katex/{name}", dist / name
    for font in sorted((dist / "fonts").glob("*.woff2")):
        yield f"assets/katex/fonts/{font.name}", font


# ------------------------------------------------------------------------------ hooks
def on_pre_build(config: Any) -> None:
    build = Path(tempfile.mkdtemp(prefix="custvalue-docs-"))
    _state["build"] = build
    page = Path(config["docs_dir"]) / GALLERY_PAGE
    render_gallery(page.read_text(encoding="utf-8"), build / "plots")
    _state["katex"] = katex_dist()


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for png in sorted((_state["build"] / "plots").glob("*.png")):
        files.append(File.generated(config, f"plots/{png.name}", abs_src_path=str(png)))
    for uri, path in _katex_files(_state["katex"]):
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def on_post_build(config: Any) -> None:
    build = _state.pop("build", None)
    if build is not None:
        shutil.rmtree(build, ignore_errors=True)


# ------------------------------------------------------------------------------ README
README_PICTURE = Path(__file__).resolve().parents[1] / "assets" / "readme-transaction-tracking.png"


def write_readme_picture(path: Path = README_PICTURE) -> Path:
    """Draw the gallery's tracking plot again into the README's copy (``path``)."""
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(__file__).resolve().parents[1]
        drawn = render_gallery((docs / GALLERY_PAGE).read_text(encoding="utf-8"), Path(tmp))
        shutil.copyfile(drawn["transaction_tracking"], path)
    return path


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--readme"]:
        raise SystemExit("usage: python docs/hooks/build_assets.py --readme")
    print(f"wrote {write_readme_picture()}")
