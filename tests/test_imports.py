"""The package's import structure: no import cycles, optional dependencies only in their modules.

The import graph is read from the source (AST), so it covers imports inside functions too
(they run later, but a cycle through them is still a tangle of responsibilities). Imports under
``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from pathlib import Path

import custvalue

SRC = Path(custvalue.__file__).parent

#: Optional dependency -> the modules (glob patterns) of its extra that may import it.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "narwhals": ("custvalue._dataframe", "custvalue._frames"),  # [dataframe]: the frame edge
    "pandas": ("custvalue.dask", "custvalue.dask.*"),  # [dask] (dask[dataframe] brings it)
    "polars": (),
    "pyarrow": (),
    "matplotlib": ("custvalue.plot", "custvalue.plot.*"),  # [plot]
    "tqdm": ("custvalue._progress",),  # [progress]
    "dask": ("custvalue.dask", "custvalue.dask.*"),  # [dask]
    "distributed": ("custvalue.dask", "custvalue.dask.*"),  # [dask]
    "lifetimes": (),  # test oracle only
    "mpmath": (),
    "hypothesis": (),
    "pytest": (),
}


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def _imports(name: str, source: str | None = None) -> set[str]:
    """Absolute names of every module ``name`` imports (at any depth of its code)."""
    path, is_package = MODULES.get(name, (Path(), False))
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:  # ``from pkg import sub``: the module pkg.sub if it is one
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        targets = {imported for imported in _imports(name) if imported in MODULES}
        graph[name] = targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_imports_are_found_inside_functions_but_not_under_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from custvalue import _persist, errors\n"
        "from . import _columns\n"
        "if TYPE_CHECKING:\n"
        "    from custvalue.frame import to_frame\n"
        "def f():\n"
        "    from custvalue.clv.bgnbd import BetaGeo\n"
        "    importlib.import_module('tqdm.auto')\n"
    )
    found = _imports("custvalue.summary", source)
    assert {"custvalue._persist", "custvalue.errors", "custvalue._columns"} <= found
    assert {"custvalue.clv.bgnbd", "tqdm.auto"} <= found
    assert "custvalue.frame" not in found
    assert "custvalue" not in found  # ``from custvalue import _persist`` is not the package


def test_optional_dependencies_only_in_their_extras_modules() -> None:
    wrong = []
    for name in MODULES:
        for imported in _imports(name):
            top = imported.partition(".")[0]
            if top in OPTIONAL and not any(fnmatch.fnmatch(name, p) for p in OPTIONAL[top]):
                wrong.append(f"{name} imports {imported}")
    assert not wrong, wrong


def test_import_custvalue_loads_no_optional_dependency() -> None:
    code = (
        "import sys\n"
        "import custvalue, custvalue.clv, custvalue.segments, custvalue.lifecycle\n"
        "import custvalue.frame, custvalue.datasets, custvalue.cli\n"
        f"optional = {sorted(OPTIONAL)!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(optional)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
