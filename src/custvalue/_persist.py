"""Versioned JSON persistence shared by every fitted model and result object.

A document is ``{"format": "custvalue", "kind": ..., "schema_version": ..., "library_version":
..., "payload": {...}}``. Floats are written with ``repr`` precision, so round trips are
bit-exact; non-finite floats are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``.
Loading only parses JSON and checks it: nothing is ever imported or executed.
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
    "SCHEMA_VERSION",
    "decode_array",
    "decode_float",
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

_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_float(value: float) -> float | str:
    """A JSON-safe float: finite floats as numbers, others as ``"nan"``/``"inf"``/``"-inf"``."""
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def decode_float(value: Any, field: str = "value") -> float:
    """Inverse of :func:`encode_float`; raises :class:`PersistenceError` on anything else."""
    if isinstance(value, bool):
        raise PersistenceError(f"field {field!r} must be a number; got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    raise PersistenceError(f"field {field!r} must be a number; got {value!r}")


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
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise PersistenceError(f"field {field!r} has an invalid shape {shape!r}")
    if math.prod(shape) != len(data):
        raise PersistenceError(
            f"field {field!r}: shape {shape} needs {math.prod(shape)} values, got {len(data)}"
        )
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
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PersistenceError(f"not a valid JSON document: {exc}") from None
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
