"""Frozen means frozen: every array exposed by a public frozen object is read-only.

The walk covers every public attrs class of the package (found by importing each public
module); a class with an array field must have an instance here (the persistence registry
plus the few classes that are not persisted), else the completeness test fails.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import typing
from typing import Any

import attrs
import numpy as np
import pytest
from test_persistence import _objects

import custvalue
from custvalue import cli, clv, datasets, lifecycle


@functools.cache
def _instances() -> dict[str, Any]:
    extra = {
        "TransactionLog": datasets.load_cdnow_sample(),
        "Donations": datasets.load_donations(),
        "DiscreteHistories": clv.bgbb_histories([1, 1, 2], [2000, 2002, 2001], last_period=2004),
        "SimulatedHistories": clv.simulate_bgnbd(
            clv.BetaGeoParams(0.243, 4.414, 0.793, 2.426), np.full(5, 30.0), rng=0, horizon=10.0
        ),
        "ModelComparison": clv.compare_models(
            [clv.BetaGeo.fit(datasets.load_cdnow_summary())],
            holdout=None,
        ),
        "SimulatedLifetimes": clv.ShiftedBetaGeo(clv.ShiftedBetaGeoParams(0.7, 1.2)).simulate(
            5, 3, rng=0
        ),
        "RetentionCurve": clv.ShiftedBetaGeo(clv.ShiftedBetaGeoParams(0.7, 1.2)).retention_curve(3),
        "Transactions": cli.Transactions(
            ids=("1", "2"),
            customer_code=np.array([0, 1]),
            date=np.array(["2020-01-01", "2020-02-01"], dtype="datetime64[D]"),
            amount=np.array([1.0, 2.0]),
            line=np.array([2, 3]),
            source="t.csv",
        ),
    }
    return {**_objects(), **extra}


def _public_attrs_classes() -> set[type]:
    found: set[type] = set()
    for info in pkgutil.walk_packages(custvalue.__path__, "custvalue."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts):  # private modules and __main__
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, type) and attrs.has(obj):
                found.add(obj)
    return found


def _array_fields(cls: type) -> list[str]:
    hints = typing.get_type_hints(cls)
    return [f.name for f in attrs.fields(cls) if "ndarray" in str(hints[f.name])]


def _arrays(obj: Any, path: str) -> list[tuple[str, np.ndarray[Any, Any]]]:
    """Every array reachable through attrs fields (nested objects, tuples) with its path."""
    if isinstance(obj, np.ndarray):
        return [(path, obj)]
    if attrs.has(type(obj)):
        out = []
        for f in attrs.fields(type(obj)):
            out.extend(_arrays(getattr(obj, f.name), f"{path}.{f.name}"))
        return out
    if isinstance(obj, (tuple, list)):
        return [a for i, v in enumerate(obj) for a in _arrays(v, f"{path}[{i}]")]
    return []


def _reached_classes(obj: Any, acc: set[type]) -> set[type]:
    if attrs.has(type(obj)):
        acc.add(type(obj))
        for f in attrs.fields(type(obj)):
            _reached_classes(getattr(obj, f.name), acc)
    elif isinstance(obj, (tuple, list)):
        for v in obj:
            _reached_classes(v, acc)
    return acc


def test_every_public_class_with_an_array_field_is_walked() -> None:
    classes = _public_attrs_classes()
    assert clv.BetaGeo in classes
    assert lifecycle.MigrationModel in classes
    reached: set[type] = set()
    for obj in _instances().values():
        _reached_classes(obj, reached)
    missing = sorted(c.__name__ for c in classes if _array_fields(c) and c not in reached)
    assert not missing, f"add an instance of {missing} to _instances()"


@pytest.mark.parametrize("name", sorted(_instances()))
def test_every_array_of_a_frozen_object_is_read_only(name: str) -> None:
    obj = _instances()[name]
    arrays = _arrays(obj, name)
    if not arrays:  # a model built from parameters only: its optional arrays are None
        assert all(getattr(obj, f) is None for f in _array_fields(type(obj)))
    for path, arr in arrays:
        assert not arr.flags.writeable, f"{path} is writable"
        with pytest.raises(ValueError, match="read-only"):
            arr[(0,) * arr.ndim] = arr[(0,) * arr.ndim] if arr.size else arr
        if arr.size:
            with pytest.raises(ValueError, match="read-only"):
                arr.ravel()[:1] = arr.ravel()[:1]  # a view of a read-only array is read-only


def test_frozen_objects_copy_the_caller_arrays_and_cannot_be_corrupted() -> None:
    P = np.array([[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]])
    model = lifecycle.MigrationModel(P)
    with pytest.raises(ValueError, match="read-only"):
        model.matrix[1] = [0, 5, 0, 0]
    P[1] = [0, 5, 0, 0]  # the caller's array is not the model's
    assert model.matrix[1].tolist() == [0.0, 0.8, 0.2, 0.0]
    assert (model.value([0.0, 100.0, 20.0, 0.0], 0.1).values >= 0).all()
    cov = np.eye(4)
    bg = clv.BetaGeo(clv.BetaGeoParams(0.243, 4.414, 0.793, 2.426), covariance=cov)
    cov[0, 0] = -1.0
    assert bg.covariance is not None
    assert bg.covariance[0, 0] == 1.0
