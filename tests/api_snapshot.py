"""The public API of custvalue as text: one line per public name, with its signature.

``tests/test_api_snapshot.py`` compares this against the committed ``tests/api_snapshot.txt``,
so that removing or changing a public name is a deliberate act. After an intended change
(a new name, a new keyword argument, a deprecation's removal), refresh the file with::

    python tests/api_snapshot.py --update

and commit it together with the change (the diff is the API change, for the reviewer).

What is recorded, one ``[module]`` section per module in :data:`MODULES` (the names in its
``__all__``):

- functions: ``def name(signature)``;
- classes: the constructor's signature, then one line per public method, property, class
  attribute and enum member defined by the class or by its custvalue base classes (members
  inherited from the standard library, attrs or numpy are not ours to guard);
- constants: their type;
- submodules re-exported by a package: ``module``.

Default values are recorded by their ``repr`` with numpy scalar spellings normalised
(``np.float64(1.0)`` -> ``1.0``) so the file is the same under numpy 1.x and 2.x. Annotations
are recorded as written (``from __future__ import annotations`` keeps them strings).
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

#: The public modules whose ``__all__`` is guarded.
MODULES = (
    "custvalue",
    "custvalue.clv",
    "custvalue.segments",
    "custvalue.lifecycle",
    "custvalue.frame",
    "custvalue.plot",
    "custvalue.dask",
    "custvalue.datasets",
    "custvalue.errors",
)
#: Modules that need an optional extra; skipped (not failed) where it is not installed.
OPTIONAL = {"custvalue.plot": "matplotlib", "custvalue.dask": "dask"}
SNAPSHOT = Path(__file__).with_name("api_snapshot.txt")
UPDATE_COMMAND = "python tests/api_snapshot.py --update"

_NUMPY_SCALAR = re.compile(r"np\.(?:float|int|uint|bool|complex|str)_?\d*\((.*?)\)")


def _clean(text: str) -> str:
    """One line, without spellings that depend on the numpy version or on memory addresses."""
    text = _NUMPY_SCALAR.sub(r"\1", " ".join(text.split()))
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def _signature(obj: Any) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    return _clean(str(sig))


def _class_lines(qualname: str, cls: type) -> list[str]:
    if issubclass(cls, enum.Enum):
        lines = [f"{qualname}: enum({', '.join(b.__name__ for b in cls.__bases__)})"]
        lines += [f"{qualname}.{m.name}: member = {_clean(repr(m.value))}" for m in cls]
        return lines
    bases = ", ".join(b.__name__ for b in cls.__bases__)
    own: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):  # members of our own (also private) base classes too
        if klass.__module__.split(".")[0] == "custvalue":
            own.update(vars(klass))
    # the constructor only where custvalue defines it (a built-in's varies between Pythons)
    init = own.get("__init__")
    ctor = re.sub(r"^\(self,? ?", "(", _signature(init)) if init is not None else "(inherited)"
    lines = [f"{qualname}: class({bases}) {ctor}"]
    for name, member in sorted(own.items()):
        if name.startswith("_"):
            continue
        where = f"{qualname}.{name}"
        if isinstance(member, property):
            lines.append(f"{where}: property")
        elif isinstance(member, (classmethod, staticmethod)):
            kind = type(member).__name__
            lines.append(f"{where}: {kind} {_signature(member.__func__)}")
        elif inspect.isfunction(member):
            lines.append(f"{where}: method {_signature(member)}")
        elif inspect.isclass(member):
            lines.append(f"{where}: class")
        elif type(member).__name__ == "member_descriptor":  # a slotted attrs field
            lines.append(f"{where}: field")
        elif not callable(member):
            lines.append(f"{where}: attribute {type(member).__name__}")
    return lines


def _name_lines(module: ModuleType, name: str) -> list[str]:
    qualname = name
    obj = getattr(module, name)
    if inspect.ismodule(obj):
        return [f"{qualname}: module"]
    if inspect.isclass(obj):
        return _class_lines(qualname, obj)
    if callable(obj):
        return [f"{qualname}: def {_signature(obj)}"]
    return [f"{qualname}: {type(obj).__name__}"]


def module_lines(module_name: str) -> list[str]:
    """The snapshot lines of one public module (imports it)."""
    module = importlib.import_module(module_name)
    lines = [f"[{module_name}]"]
    for name in sorted(getattr(module, "__all__", ())):
        lines += _name_lines(module, name)
    return lines


def snapshot_sections(text: str) -> dict[str, list[str]]:
    """The committed snapshot split per module (each section starts with ``[module]``)."""
    sections: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("["):
            lines = sections.setdefault(line.strip("[]"), [line])
        elif line:
            lines.append(line)
    return sections


def build() -> str:
    """The whole snapshot (every optional extra must be installed)."""
    return "\n\n".join("\n".join(module_lines(m)) for m in MODULES) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help=f"rewrite {SNAPSHOT.name}")
    args = parser.parse_args(argv)
    text = build()
    if args.update:
        SNAPSHOT.write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOT} ({text.count(chr(10))} lines)")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
