"""Lazy attributes for packages (PEP 562), so that ``import custvalue`` stays cheap.

A package lists its public names and the module that defines each; the module is imported on
first access of the name. Type checkers see the same names through an
``if TYPE_CHECKING:`` block of ordinary imports in the package (``tests/test_import_cost.py``
checks that block against the table).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``package`` that import ``exports`` on demand.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name -> the absolute name of the module that defines it. A name whose module is
        ``f"{package}.{name}"`` is that submodule itself.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign at the package's top level. ``__getattr__``
        caches each resolved value in the package's namespace, so it runs once per name.

    Examples
    --------
    >>> import custvalue
    >>> "clv" in dir(custvalue)
    True
    """
    table = dict(exports)

    def module_getattr(name: str) -> Any:
        module_name = table.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        setattr(importlib.import_module(package), name, value)
        return value

    def module_dir() -> list[str]:
        namespace = vars(importlib.import_module(package))
        return sorted(set(namespace) | set(table))

    return module_getattr, module_dir
