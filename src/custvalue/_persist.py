"""Versioned JSON persistence shared by every fitted model and result object.

A document is ``{"format": "custvalue", "kind": ..., "schema_version": ..., "library_version":
..., "payload": {...}}``. Floats are written with ``repr`` precision, so round trips are
bit-exact; non-finite floats are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``.
Loading only parses JSON and checks it: nothing is ever imported or executed.

Limits on what is loaded (anything beyond raises :class:`PersistenceError`, as does every
other malformed input, never another exception):

- a document holds at most :data:`MAX_DOCUMENT_SIZE` characters (or bytes);
- containers nest at most :data:`MAX_NESTING` deep (the document object is level 1);
- an integer has at most :data:`MAX_INTEGER_DIGITS` digits, a number must be finite in float64
  (``1e999`` and the non-standard ``NaN`` / ``Infinity`` literals are refused; non-finite
  floats are the strings above);
- an array has at most :data:`MAX_ARRAY_DIMENSIONS` dimensions and
  :data:`MAX_ARRAY_LENGTH` elements, and its declared shape matches its data.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custvalue._version import __version__
from custvalue.errors import CustValueError, PersistenceError

__all__ = [
    "LARGEST_FLOAT",
    "MAX_ARRAY_DIMENSIONS",
    "MAX_ARRAY_LENGTH",
    "MAX_DOCUMENT_SIZE",
    "MAX_INTEGER_DIGITS",
    "MAX_NESTING",
    "SCHEMA_VERSION",
    "check_shape",
    "decode_array",
    "decode_float",
    "decode_int",
    "dumps",
    "encode_array",
    "encode_float",
    "invalid_content",
    "loads",
    "require",
    "require_array",
]

#: Current schema version of every custvalue JSON document.
SCHEMA_VERSION = 1

#: Largest document accepted by the loaders, in characters (or bytes): 1 GiB.
MAX_DOCUMENT_SIZE = 2**30
#: Deepest nesting of JSON arrays and objects accepted (documents written here use < 10).
MAX_NESTING = 64
#: Most digits of an integer (int64 needs 19; more would only be refused later).
MAX_INTEGER_DIGITS = 40
#: Most elements of one stored array (100 million).
MAX_ARRAY_LENGTH = 100_000_000
#: Most dimensions of one stored array.
MAX_ARRAY_DIMENSIONS = 8
#: Largest finite float64: the ``upper`` bound of :func:`decode_float` for finite fields.
LARGEST_FLOAT = float(np.finfo(np.float64).max)

_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_float(value: float) -> float | str:
    """A JSON-safe float: finite floats as numbers, others as ``"nan"``/``"inf"``/``"-inf"``."""
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def decode_float(
    value: Any,
    field: str = "value",
    *,
    lower: float = -math.inf,
    upper: float = math.inf,
    nan: bool = True,
) -> float:
    """Inverse of :func:`encode_float`; raises :class:`PersistenceError` on anything else, on a
    value outside ``[lower, upper]`` and, with ``nan=False``, on NaN (the checks a constructor
    would make: a loader validates what it loads)."""
    if isinstance(value, bool):
        raise PersistenceError(f"field {field!r} must be a number; got {value!r}")
    if isinstance(value, (int, float)):
        try:
            out = float(value)
        except OverflowError:
            raise PersistenceError(f"field {field!r} is beyond the float64 range") from None
    elif isinstance(value, str) and value in _SPECIAL:
        out = _SPECIAL[value]
    else:
        raise PersistenceError(f"field {field!r} must be a number; got {str(value)[:40]!r}")
    if math.isnan(out):
        if not nan:
            raise PersistenceError(f"field {field!r} must be a number, not NaN")
    elif not lower <= out <= upper:
        raise PersistenceError(f"field {field!r} must be in [{lower}, {upper}]; got {out!r}")
    return out


def decode_int(value: Any, field: str, *, lower: int = 0, upper: int | None = None) -> int:
    """An integer field (not a bool) in ``[lower, upper]``; :class:`PersistenceError` if not."""
    if type(value) is not int or value < lower or (upper is not None and value > upper):
        bound = "" if upper is None else f", <= {upper}"
        raise PersistenceError(
            f"field {field!r} must be an integer >= {lower}{bound}; got {str(value)[:40]!r}"
        )
    return value


def encode_array(array: NDArray[Any]) -> dict[str, Any]:
    """Encode a numeric, boolean or string numpy array."""
    arr = np.asarray(array)
    kind = arr.dtype.kind
    if kind == "f":
        data: list[Any] = [encode_float(v) for v in arr.astype(np.float64).ravel().tolist()]
        dtype = "float64"
    elif kind in "iu":
        data, dtype = arr.astype(np.int64).ravel().tolist(), "int64"
    elif kind == "b":
        data, dtype = arr.ravel().tolist(), "bool"
    elif kind in "US":
        data, dtype = [str(v) for v in arr.ravel().tolist()], "str"
    else:
        raise PersistenceError(f"cannot persist an array of dtype {arr.dtype}")
    return {"dtype": dtype, "shape": list(arr.shape), "data": data}


def decode_array(doc: Any, field: str = "array") -> NDArray[Any]:
    """Inverse of :func:`encode_array`, validating shape and element types."""
    if not isinstance(doc, Mapping):
        raise PersistenceError(f"field {field!r} must be an encoded array object")
    dtype = require(doc, "dtype", str, field)
    shape = require(doc, "shape", list, field)
    data = require(doc, "data", list, field)
    check_shape(shape, len(data), field)
    if dtype == "float64":
        values: NDArray[Any] = np.array([decode_float(v, field) for v in data], dtype=np.float64)
    elif dtype == "int64":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data):
            raise PersistenceError(f"field {field!r} must hold integers")
        try:
            values = np.array(data, dtype=np.int64)
        except OverflowError:
            raise PersistenceError(f"field {field!r} holds integers beyond int64") from None
    elif dtype == "bool":
        if not all(isinstance(v, bool) for v in data):
            raise PersistenceError(f"field {field!r} must hold booleans")
        values = np.array(data, dtype=bool)
    elif dtype == "str":
        if not all(isinstance(v, str) for v in data):
            raise PersistenceError(f"field {field!r} must hold strings")
        values = np.array(data, dtype=str)
    else:
        raise PersistenceError(f"field {field!r} has unknown dtype {dtype!r}")
    out: NDArray[Any] = values.reshape(shape)
    return out


def check_shape(shape: Any, n_values: int, field: str) -> tuple[int, ...]:
    """A declared array shape, checked against :data:`MAX_ARRAY_DIMENSIONS`,
    :data:`MAX_ARRAY_LENGTH` and the number of stored values; ``PersistenceError`` if not."""
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_ARRAY_DIMENSIONS
        or not all(type(s) is int and 0 <= s <= MAX_ARRAY_LENGTH for s in shape)
    ):
        raise PersistenceError(
            f"field {field!r} has an invalid shape {str(shape)[:80]} (at most "
            f"{MAX_ARRAY_DIMENSIONS} dimensions of 0..{MAX_ARRAY_LENGTH:,})"
        )
    size = math.prod(shape)
    if size > MAX_ARRAY_LENGTH:
        raise PersistenceError(
            f"field {field!r}: shape {shape} holds more than {MAX_ARRAY_LENGTH:,} values"
        )
    if size != n_values:
        raise PersistenceError(
            f"field {field!r}: shape {shape} needs {size} values, got {n_values}"
        )
    return tuple(shape)


def require(doc: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return ``doc[key]``, raising :class:`PersistenceError` if missing or of the wrong type."""
    if key not in doc:
        raise PersistenceError(f"{where}: missing field {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise PersistenceError(
            f"{where}: field {key!r} has the wrong type ({type(value).__name__})"
        )
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def dumps(kind: str, payload: Mapping[str, Any]) -> str:
    """Serialise ``payload`` as a versioned custvalue document of the given ``kind``."""
    doc = {
        "format": "custvalue",
        "kind": kind,
        "schema_version": SCHEMA_VERSION,
        "library_version": __version__,
        "payload": dict(payload),
    }
    return json.dumps(doc, allow_nan=False, sort_keys=True)


def loads(text: str | bytes, kind: str) -> dict[str, Any]:
    """Parse and check a document written by :func:`dumps`; return its payload.

    Raises :class:`PersistenceError` for malformed or truncated JSON, a document of another
    kind, or a schema version newer than this library understands.
    """
    if not isinstance(text, (str, bytes)):
        raise PersistenceError(f"expected a JSON string; got {type(text).__name__}")
    if len(text) > MAX_DOCUMENT_SIZE:
        raise PersistenceError(
            f"document of {len(text):,} characters exceeds the limit of {MAX_DOCUMENT_SIZE:,}"
        )
    try:
        doc = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_no_constant
        )
    except PersistenceError:
        raise
    except RecursionError:
        raise PersistenceError(f"document nests deeper than {MAX_NESTING} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError and others
        raise PersistenceError(f"not a valid JSON document: {exc}") from None
    _check_nesting(doc)
    if not isinstance(doc, dict) or doc.get("format") != "custvalue":
        raise PersistenceError("not a custvalue document (missing 'format': 'custvalue')")
    found = require(doc, "kind", str, "document")
    if found != kind:
        raise PersistenceError(f"document holds a {found!r}, not a {kind!r}")
    version = require(doc, "schema_version", int, "document")
    if version > SCHEMA_VERSION or version < 1:
        raise PersistenceError(
            f"document has schema version {version}; this custvalue reads versions "
            f"1..{SCHEMA_VERSION}. Upgrade custvalue to load it."
        )
    payload = require(doc, "payload", dict, "document")
    return dict(payload)


def _parse_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise PersistenceError(
            f"document holds an integer of {len(token):,} digits (at most {MAX_INTEGER_DIGITS})"
        )
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise PersistenceError(
            f"document holds a number beyond the float64 range: {token[:40]!r} (non-finite "
            "values are stored as the strings 'nan', 'inf', '-inf')"
        )
    return value


def _no_constant(token: str) -> float:
    raise PersistenceError(
        f"document holds the non-standard JSON literal {token!r}; non-finite values are stored "
        "as the strings 'nan', 'inf', '-inf'"
    )


def _check_nesting(doc: Any) -> None:
    """Refuse containers nested deeper than :data:`MAX_NESTING` (iteratively: no recursion).

    Only containers are visited, so a long array of numbers costs one ``isinstance`` per
    element."""
    level: list[Any] = [doc] if isinstance(doc, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_NESTING:
            raise PersistenceError(f"document nests deeper than {MAX_NESTING} levels")
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]


@contextlib.contextmanager
def invalid_content(kind: str) -> Iterator[None]:
    """Rebuild an object from a document: a validation error of the rebuilt object becomes a
    :class:`PersistenceError` naming ``kind`` and the problem (others pass unchanged)."""
    try:
        yield
    except PersistenceError:
        raise
    except CustValueError as exc:
        raise PersistenceError(f"document does not hold a valid {kind}: {exc}") from None


def require_array(doc: Mapping[str, Any], key: str, where: str) -> NDArray[Any]:
    """The array stored under ``doc[key]`` (see :func:`decode_array`); ``PersistenceError`` if
    missing or malformed."""
    return decode_array(require(doc, key, dict, where), key)
