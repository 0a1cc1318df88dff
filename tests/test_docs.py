"""Execute the Python examples in README.md and docs/*.md, so documentation cannot rot.

Every fenced block whose info string is exactly ``python`` is run; the blocks of one file share
a namespace and run in order, like a notebook. Output shown to readers belongs in separate
``text`` blocks, which are not executed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


WITH_EXAMPLES = [p for p in DOC_FILES if python_blocks(p)]


def test_docs_have_examples() -> None:
    names = {str(p.relative_to(ROOT)) for p in WITH_EXAMPLES}
    for expected in ("README.md", "docs/getting-started.md", "docs/clv.md", "docs/segments.md"):
        assert expected in names


#: Pages whose examples run Monte Carlo (a 100-replicate bootstrap): CI's ``-m slow`` step.
SLOW_PAGES = {"docs/clv.md"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.slow) if str(p.relative_to(ROOT)) in SLOW_PAGES else p
        for p in WITH_EXAMPLES
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_doc_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{path.name} (example {number})", "exec")
        exec(code, namespace)
