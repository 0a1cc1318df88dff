"""Run the ``Examples`` sections of every public module's docstrings (numpydoc doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import numpy as np
import pytest

import custvalue

OPTIONAL = {"custvalue.dask": "dask", "custvalue.frame": "narwhals", "custvalue.plot": "matplotlib"}


FINDER = doctest.DocTestFinder(exclude_empty=True)


def _has_examples(name: str) -> bool:
    try:
        module = importlib.import_module(name)
    except ImportError:  # an optional extra that is not installed
        return name in OPTIONAL
    return any(t.examples for t in FINDER.find(module, name))


def _modules() -> list[str]:
    names = ["custvalue"]
    for info in pkgutil.walk_packages(custvalue.__path__, prefix="custvalue."):
        if not info.name.endswith("__main__"):  # importing it runs the CLI
            names.append(info.name)
    return sorted(n for n in names if _has_examples(n))


def test_modules_have_examples() -> None:
    assert {"custvalue.summary", "custvalue.clv.bgnbd", "custvalue.clv.value"} <= set(_modules())


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    module: ModuleType = importlib.import_module(name)
    finder = FINDER
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    # the examples show numpy 1's scalar spelling (0.5, not np.float64(0.5)); numpy < 2 needs
    # no option for it (and has no legacy="1.25")
    legacy = {"legacy": "1.25"} if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else {}
    with np.printoptions(**legacy):
        for test in tests:
            test.globs.setdefault("np", np)
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
