"""``import custvalue`` is cheap: heavy dependencies load only with the module that needs them.

The checks run in a fresh interpreter and look at ``sys.modules`` (which modules an import
pulled in), never at a timing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import custvalue

#: Heavy modules that ``import custvalue`` and ``custvalue --version`` must not import.
HEAVY = (
    "scipy",
    "scipy.stats",
    "scipy.optimize",
    "pandas",
    "matplotlib",
    "dask",
    "distributed",
    "narwhals",
    "polars",
    "pyarrow",
    "lifetimes",
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import custvalue",
        "from custvalue import __version__",
        "import custvalue.errors",
        # what `custvalue --version` imports before it prints and exits
        "import custvalue.cli",
    ],
)
def test_import_pulls_in_no_heavy_dependency(code: str) -> None:
    loaded = _modules_after(code)
    assert "custvalue" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_version_command_imports_no_scipy() -> None:
    code = (
        "import sys, runpy\nsys.argv = ['custvalue', '--version']\n"
        "try:\n    runpy.run_module('custvalue', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code"
    )
    loaded = _modules_after(code)
    assert sorted(loaded.intersection(HEAVY)) == []


def test_attribute_access_loads_the_subpackage() -> None:
    code = "import custvalue\ncustvalue.clv.BetaGeo"
    loaded = _modules_after(code)
    assert {"custvalue.clv", "scipy.special"} <= loaded


@pytest.mark.parametrize("name", sorted(custvalue.__all__))
def test_every_public_name_resolves_and_is_listed(name: str) -> None:
    assert getattr(custvalue, name) is not None
    assert name in dir(custvalue)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        custvalue.not_a_name  # noqa: B018
    assert not hasattr(custvalue, "plot_nothing")


def test_lazy_table_matches_all_and_the_type_checking_imports() -> None:
    """The lazy table, ``__all__`` and the imports mypy sees name the same things."""
    exports: dict[str, str] = custvalue._EXPORTS  # type: ignore[attr-defined]
    assert set(custvalue.__all__) == {*exports, "__version__"}
    tree = ast.parse(Path(custvalue.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            name = alias.asname or alias.name
            submodule = f"{node.module}.{alias.name}"
            seen[name] = submodule if submodule == f"custvalue.{name}" else node.module
    assert seen == exports


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from custvalue import *", namespace)
    assert set(custvalue.__all__) <= set(namespace)
