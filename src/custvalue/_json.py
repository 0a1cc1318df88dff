"""Generic JSON persistence of frozen attrs results through :mod:`custvalue._persist`."""

from __future__ import annotations

import typing
from typing import Any, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._persist import (
    check_shape,
    decode_array,
    decode_float,
    dumps,
    encode_array,
    encode_float,
    invalid_content,
    loads,
    require,
)
from custvalue._validation import as_array, readonly_array
from custvalue.errors import InvalidTypeError, PersistenceError

__all__ = [
    "ARRAY_EQ",
    "JsonMixin",
    "decode_fields",
    "encode_fields",
    "to_bool",
    "to_float64",
    "to_int64",
]


_T = TypeVar("_T", bound="JsonMixin")


def _encode_value(value: Any) -> dict[str, Any]:
    if attrs.has(type(value)):
        return {"object": encode_fields(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind == "M":
        return {"dates": {"shape": list(value.shape), "data": value.astype(str).ravel().tolist()}}
    if isinstance(value, np.ndarray):
        return {"array": encode_array(value)}
    if value is None:
        return {"none": None}
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"float": encode_float(float(value))}
    if isinstance(value, str):
        return {"str": value}
    raise PersistenceError(f"cannot persist a value of type {type(value).__name__}")


def encode_fields(obj: Any) -> dict[str, Any]:
    """Every attrs field of ``obj`` as a tagged JSON-safe value (nested attrs objects too)."""
    return {f.name: _encode_value(getattr(obj, f.name)) for f in attrs.fields(type(obj))}


def _nested_class(annotation: Any) -> type:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and attrs.has(candidate):
            return candidate
    raise PersistenceError(f"no persistable class in annotation {annotation!r}")


def _decode_value(tagged: Any, annotation: Any, where: str) -> Any:
    if not isinstance(tagged, dict) or len(tagged) != 1:
        raise PersistenceError(f"{where}: malformed field")
    ((tag, value),) = tagged.items()
    if tag == "object":
        if not isinstance(value, dict):
            raise PersistenceError(f"{where}: malformed nested object")
        return decode_fields(_nested_class(annotation), value)
    if tag == "array":
        return decode_array(value, where)
    if tag == "dates":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise PersistenceError(f"{where}: malformed dates")
        shape = check_shape(value.get("shape"), len(value["data"]), where)
        if not all(isinstance(v, str) for v in value["data"]):
            raise PersistenceError(f"{where}: malformed dates (ISO day strings expected)")
        try:
            return np.array(value["data"], dtype="datetime64[D]").reshape(shape)
        except (TypeError, ValueError, OverflowError):
            raise PersistenceError(f"{where}: malformed dates") from None
    if tag == "none":
        if value is not None:
            raise PersistenceError(f"{where}: unexpected 'none' value {str(value)[:40]!r}")
        return None
    if tag == "float":
        return decode_float(value, where)
    kinds: dict[str, type] = {"bool": bool, "int": int, "str": str}
    if (
        tag not in kinds
        or not isinstance(value, kinds[tag])
        or (tag == "int" and isinstance(value, bool))
    ):
        raise PersistenceError(f"{where}: unexpected {tag!r} value {value!r}")
    return value


def decode_fields(cls: type[Any], payload: dict[str, Any]) -> Any:
    """Inverse of :func:`encode_fields`: rebuild ``cls`` (its validators run again)."""
    hints = typing.get_type_hints(cls)
    kwargs = {
        f.name: _decode_value(require(payload, f.name, dict, cls.__name__), hints[f.name], f.name)
        for f in attrs.fields(cls)
    }
    with invalid_content(cls.__name__):
        return cls(**kwargs)


class JsonMixin:
    """``to_json``/``from_json`` for frozen attrs results, via :mod:`custvalue._persist`."""

    __slots__ = ()

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        return dumps(type(self).__name__, encode_fields(self))

    @classmethod
    def from_json(cls: type[_T], text: str | bytes) -> _T:
        """Load a document written by :meth:`to_json`; validators run again."""
        out: _T = decode_fields(cls, loads(text, cls.__name__))
        return out


def _convert(value: Any, dtype: type, kinds: str) -> NDArray[Any]:
    raw = as_array(value, "value")
    if raw.dtype.kind not in kinds:
        raise InvalidTypeError(f"expected a real numeric array; got dtype {raw.dtype}")
    try:
        converted: NDArray[Any] = raw.astype(dtype)
    except (TypeError, ValueError):
        raise InvalidTypeError("expected an array of numbers") from None
    return readonly_array(converted)


def to_float64(value: Any) -> NDArray[np.float64]:
    return _convert(value, np.float64, "biufO")


def to_int64(value: Any) -> NDArray[np.int64]:
    return _convert(value, np.int64, "biufO")


def to_bool(value: Any) -> NDArray[np.bool_]:
    return _convert(value, bool, "biufO")


#: attrs ``eq`` spec comparing numpy array fields exactly (shape and values).
ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)
