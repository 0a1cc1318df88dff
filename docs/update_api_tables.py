"""Refresh the name tables of ``docs/api/*.md`` from the modules' ``__all__``.

Each API page lists every public name of its modules in a ``| name | what it is |`` table
(``tests/test_docs_pages.py`` checks that the table and ``__all__`` agree). Run this after
adding or removing a public name::

    python docs/update_api_tables.py

Descriptions already written in a table are kept; a new name gets the first sentence of its
docstring, which is worth reading over before committing.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

API = Path(__file__).resolve().parent / "api"
ROW = re.compile(r"^\| `([^`]+)` \| (.*) \|$")


def _first_sentence(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    text = " ".join(doc.strip().split("\n\n")[0].split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return (match.group(1) if match else text).replace("|", "\\|")


def _refresh(page: Path) -> bool:
    lines = page.read_text(encoding="utf-8").splitlines()
    modules = [line[4:].strip() for line in lines if line.startswith("::: ")]
    known = {m.group(1): m.group(2) for line in lines if (m := ROW.match(line))}
    out: list[str] = []
    i = 0
    table = 0
    while i < len(lines):
        line = lines[i]
        if line == "| name | what it is |" and table < len(modules):
            module = importlib.import_module(modules[table])
            table += 1
            out += [line, "| --- | --- |"]
            i += 2
            while i < len(lines) and ROW.match(lines[i]):
                i += 1
            for name in module.__all__:
                text = known.get(name) or _first_sentence(getattr(module, name, None))
                out.append(f"| `{name}` | {text} |")
            continue
        out.append(line)
        i += 1
    new = "\n".join(out) + "\n"
    changed = new != page.read_text(encoding="utf-8")
    page.write_text(new, encoding="utf-8")
    return changed


if __name__ == "__main__":
    changed = [p.name for p in sorted(API.glob("*.md")) if _refresh(p)]
    print("updated: " + (", ".join(changed) if changed else "nothing"), file=sys.stderr)
