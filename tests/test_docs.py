"""Execute the Python examples in README.md and docs/*.md and compare what they print.

Every fenced block whose info string is exactly ``python`` is run; the blocks of one file share
a namespace and run in order, like a notebook. Output shown to readers belongs in a ``text``
block placed directly after the ``python`` block that prints it (nothing but blank lines in
between): the test compares it with what the block printed, doctest-style (trailing spaces
ignored; ``...`` in the shown output matches anything, for digits that vary by platform).
A ``text`` block anywhere else is an error, except in :data:`NOT_CODE_OUTPUT` (benchmark
timings, which depend on the machine).
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```", re.S | re.M)
ANY_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
#: Files whose ``text`` blocks are not the output of a ``python`` block (benchmark timings).
NOT_CODE_OUTPUT = {"docs/performance.md"}
CHECKER = doctest.OutputChecker()


def python_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


def blocks_with_output(path: Path) -> list[tuple[str, str | None]]:
    """``(code, shown output or None)`` for each ``python`` block, in file order."""
    text = path.read_text(encoding="utf-8")
    out: list[tuple[str, str | None]] = []
    previous: re.Match[str] | None = None
    for block in ANY_FENCE.finditer(text):
        lang, body = block.group(1), block.group(2)
        if lang == "python":
            out.append((body, None))
        elif lang == "text" and str(path.relative_to(ROOT)) not in NOT_CODE_OUTPUT:
            follows = (
                previous is not None
                and previous.group(1) == "python"
                and not text[previous.end() : block.start()].strip()
            )
            assert follows, (
                f"{path.name}: a text block at offset {block.start()} does not directly follow "
                "a python block, so no test can compare it with what the code prints"
            )
            out[-1] = (out[-1][0], body)
        previous = block
    return out


def _same_output(shown: str, printed: str) -> bool:
    def norm(s: str) -> str:
        return "\n".join(line.rstrip() for line in s.strip("\n").splitlines()) + "\n"

    return CHECKER.check_output(norm(shown), norm(printed), doctest.ELLIPSIS)


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
    blocks = blocks_with_output(path)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    for number, (block, shown) in enumerate(blocks, start=1):
        code = compile(block, f"{path.name} (example {number})", "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
        if shown is not None:
            assert _same_output(shown, printed.getvalue()), (
                f"{path.name} example {number}: the docs show\n{shown}\nbut the code prints\n"
                f"{printed.getvalue()}"
            )


def test_docs_output_blocks_are_compared() -> None:
    """The docs with shown output keep it (a lost text block would silently drop a check)."""
    shown = {
        str(p.relative_to(ROOT)): sum(out is not None for _, out in blocks_with_output(p))
        for p in WITH_EXAMPLES
    }
    assert shown["docs/segments.md"] >= 8
    assert shown["docs/lifecycle.md"] >= 10
    assert shown["docs/clv.md"] >= 4


def test_output_comparison_is_strict() -> None:
    """A changed digit fails; trailing spaces and an explicit ``...`` do not."""
    assert _same_output("a  1.25\n", "a  1.25   \n")
    assert not _same_output("a  1.25\n", "a  1.26\n")
    assert not _same_output("a  1.25\n", "a 1.25\n")
    assert _same_output("a  1.2...\n", "a  1.26\n")
