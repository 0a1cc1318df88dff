"""JSON persistence of every fitted model and result object: bit-exact round trips, versioned
documents, and loading that fails with ``PersistenceError`` (never anything else, never code).

Adding an object is one entry in :func:`_objects`.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import pkgutil
from importlib import resources
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custvalue
from custvalue import clv, datasets, lifecycle, segments
from custvalue.errors import PersistenceError


@functools.cache
def _objects() -> dict[str, Any]:
    summary = datasets.load_cdnow_summary()
    x, tx, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    bg = clv.BetaGeo.fit(x, tx, T)
    gg = clv.GammaGamma.fit(x, m)
    d = datasets.load_donations()
    rfm = segments.rfm_scores(T - tx, x + 1, m * (x + 1), binning="nested")
    values = np.array([5.0, -2.0, 40.0, 0.0, 13.5, 13.5, 7.25, 100.0])
    model = lifecycle.MigrationModel(
        [[0.1, 0.6, 0.0, 0.3], [0.0, 0.8, 0.2, 0.0], [0.0, 0.4, 0.3, 0.3], [0.0, 0.0, 0.0, 1.0]]
    )
    tree = lifecycle.tarp_tree(
        "major", no_failure_rate=0.9, failure_share=0.25, complaint_share=0.4,
        quick_share=0.3, resolved_share=0.3, unresolved_share=0.4,
    )  # fmt: skip
    counts = np.array([[2, 30, 0, 8], [0, 50, 10, 0], [0, 6, 3, 5], [0, 0, 0, 4]])
    posterior = lifecycle.RepurchasePosterior.from_counts([50, 40, 30, 20, 10], [45, 20, 14, 9, 8])
    log = datasets.load_cdnow_sample()
    keep = log.customer_id < 60  # small documents keep the corruption tests fast
    small = custvalue.summarize_transactions(
        log.customer_id[keep], log.date[keep], log.amount[keep], time_unit="W"
    )
    split = custvalue.calibration_holdout_split(
        log.customer_id[keep], log.date[keep], log.amount[keep],
        calibration_end=datasets.CDNOW_CALIBRATION_END, time_unit="W",
    )  # fmt: skip
    bg_weeks = clv.BetaGeo(clv.BetaGeoParams(0.243, 4.414, 0.793, 2.426))  # CDNOW, weeks
    history = lifecycle.stage_history(
        log.customer_id[keep], log.date[keep], np.array(["1997-06-30", "1997-12-31"],
        dtype="datetime64[D]"), p_alive=bg,
    )  # fmt: skip
    return {
        "BetaGeo (fitted)": bg,
        "BetaGeo (from parameters)": clv.BetaGeo(clv.BetaGeoParams(0.243, 4.414, 0.793, 2.426)),
        "ModifiedBetaGeo (fitted)": clv.ModifiedBetaGeo.fit(summary),
        "ParetoNBD (fitted)": clv.ParetoNBD.fit(summary),
        "ParetoNBD (from parameters)": clv.ParetoNBD(
            clv.ParetoNBDParams(0.553, 10.578, 0.606, 11.669), time_unit="W"
        ),
        "BetaGeoBetaBinom (fitted)": clv.BetaGeoBetaBinom.fit(
            d.frequency, d.recency, d.periods, weights=d.weights, time_unit="Y"
        ),
        "BetaGeoBetaBinom (from parameters)": clv.BetaGeoBetaBinom(
            clv.BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783)
        ),
        "GammaGamma (fitted)": gg,
        "GammaGamma (from parameters)": clv.GammaGamma(clv.GammaGammaParams(6.25, 3.74, 15.44)),
        "SpendFrequencyIndependence": clv.spend_frequency_independence(x, m),
        "BootstrapResult": clv.bootstrap(clv.GammaGamma, x, m, n_resamples=3, rng=0),
        "CLVInterval": clv.clv_interval(
            bg,
            gg,
            x[:5],
            tx[:5],
            T[:5],
            m[:5],
            horizon=52,
            discount_rate=0.002,
            n_resamples=4,
            rng=0,
        ),
        "CLVCashFlows": clv.clv_cash_flows(
            bg,
            gg,
            x[:3],
            tx[:3],
            T[:3],
            m[:3],
            periods=13,
            horizon=52,
            discount_rate=0.002,
        ),
        "CustomerSummary": small,
        "CalibrationHoldout": split,
        "HoldoutReport": clv.evaluate(bg_weeks, split),
        "HoldoutReport (with spend)": clv.evaluate(bg_weeks, split, spend_model=gg, periods="D"),
        "RFMScores": rfm,
        "SegmentMap": segments.RF_SEGMENT_MAP,
        "Segmentation (RFM)": segments.rfm_segments(rfm),
        "SegmentTable": rfm.table,
        "Segmentation (value classes)": segments.value_classes(values, values + 10.0),
        "CustomerPyramid": segments.customer_pyramid(np.abs(values) * 3, np.abs(values)),
        "LorenzCurve": segments.lorenz_curve(np.abs(values)),
        "Segmentation (loyalty ladder)": segments.loyalty_ladder([0, 1, 2, 5, 9]),
        "MigrationModel": model,
        "StageValue": model.value([10.0, 50.0, 5.0, 0.0], 0.1),
        "StageValue (finite horizon)": model.value([10.0, 50.0, 5.0, 0.0], 0.1, horizon=12),
        "AbsorbingFacts": model.absorbing(),
        "WhatIf": model.what_if("RETAIN", "RECOVER", 0.1, [10.0, 50.0, 5.0, 0.0], 0.1),
        "MigrationEstimate": lifecycle.estimate_migration(counts, no_exits="absorbing"),
        "StageAssignment": lifecycle.StagePolicy().assign([1, 3, 0, 7], [0.9, 0.05, 1.0, 0.4]),
        "StageHistory": history,
        "RepurchaseTree": tree,
        "InclusiveResolution": tree.inclusive(),
        "MoveGain": tree.gain("unresolved", "resolved_quickly", 0.01),
        "RepurchasePosterior": posterior,
        "IntentSummary": posterior.summary(rng=7, n_draws=200),
        "ShiftedBetaGeo (fitted)": clv.ShiftedBetaGeo.fit_survivors(
            [1000, 631, 468, 382, 326, 289, 262, 241], time_unit="Y"
        ),
        "ShiftedBetaGeo (from parameters)": clv.ShiftedBetaGeo(clv.ShiftedBetaGeoParams(0.7, 1.2)),
    }


NAMES = [
    "BetaGeo (fitted)", "BetaGeo (from parameters)", "ModifiedBetaGeo (fitted)",
    "BetaGeoBetaBinom (fitted)", "BetaGeoBetaBinom (from parameters)", "GammaGamma (fitted)",
    "GammaGamma (from parameters)", "SpendFrequencyIndependence", "BootstrapResult",
    "CLVInterval", "CLVCashFlows",
    "CustomerSummary",
    "CalibrationHoldout", "HoldoutReport", "HoldoutReport (with spend)",
    "RFMScores", "SegmentMap", "Segmentation (RFM)", "SegmentTable",
    "Segmentation (value classes)", "CustomerPyramid", "LorenzCurve",
    "Segmentation (loyalty ladder)", "MigrationModel", "StageValue",
    "StageValue (finite horizon)", "AbsorbingFacts", "WhatIf", "MigrationEstimate",
    "StageAssignment", "StageHistory", "RepurchaseTree", "InclusiveResolution", "MoveGain",
    "RepurchasePosterior", "IntentSummary",
    "ParetoNBD (fitted)", "ParetoNBD (from parameters)",
    "RepurchasePosterior", "IntentSummary", "ShiftedBetaGeo (fitted)",
    "ShiftedBetaGeo (from parameters)",
]  # fmt: skip


def _same(a: Any, b: Any, path: str) -> None:
    """Deep bit-exact equality: arrays with ``array_equal(equal_nan=True)`` and same dtype."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        eq_nan = a.dtype.kind in "fc"
        assert np.array_equal(a, b, equal_nan=eq_nan), f"{path}: arrays differ"
    elif attrs.has(type(a)):
        for f in attrs.fields(type(a)):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _same(u, v, f"{path}[{i}]")
    elif isinstance(a, float):
        assert a == b or (a != a and b != b), f"{path}: {a!r} != {b!r}"
        assert np.float64(a).tobytes() == np.float64(b).tobytes() or a != a, path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _public_modules() -> list[Any]:
    """Every importable public module of the package (no ``_`` component, extras installed)."""
    out = []
    for info in pkgutil.walk_packages(custvalue.__path__, "custvalue."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            out.append(importlib.import_module(info.name))
        except ImportError:  # an optional extra that is not installed
            continue
    return [custvalue, *out]


def test_registry_covers_every_persistable_public_class() -> None:
    kinds = {type(o) for o in _objects().values()}
    assert set(_objects()) == set(NAMES)
    modules = _public_modules()
    assert {clv, segments, lifecycle, datasets} <= set(modules)
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if getattr(obj, "_is_protocol", False):
                continue  # a protocol (PurchaseModel ...) is implemented, not persisted
            if isinstance(obj, type) and (hasattr(obj, "to_json") or hasattr(obj, "from_json")):
                assert obj in kinds, f"{module.__name__}.{name} has no persistence test object"


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_is_bit_exact(name: str) -> None:
    obj = _objects()[name]
    text = obj.to_json()
    loaded = type(obj).from_json(text)
    _same(obj, loaded, name)
    assert loaded.to_json() == text
    assert type(obj).from_json(text.encode()).to_json() == text  # bytes accepted too


@pytest.mark.parametrize("name", NAMES)
def test_document_carries_schema_and_library_version(name: str) -> None:
    doc = json.loads(_objects()[name].to_json())
    assert doc["format"] == "custvalue"
    assert doc["schema_version"] == 1
    assert doc["library_version"] == custvalue.__version__
    assert doc["kind"] == type(_objects()[name]).__name__


def _load(name: str, text: Any) -> Any:
    return type(_objects()[name]).from_json(text)


@pytest.mark.parametrize("name", NAMES)
def test_malformed_truncated_and_future_documents_raise_persistence_error(name: str) -> None:
    text = _objects()[name].to_json()
    doc = json.loads(text)
    future = dict(doc, schema_version=2)
    other_kind = dict(doc, kind="Something")
    no_payload = {k: v for k, v in doc.items() if k != "payload"}
    bad = [
        text[: len(text) // 2],
        text[:-1],
        "",
        "not json",
        b"\xff\xfe",
        "[]",
        "null",
        json.dumps(future),
        json.dumps(dict(doc, schema_version="1")),
        json.dumps(dict(doc, schema_version=0)),
        json.dumps(other_kind),
        json.dumps(no_payload),
        json.dumps(dict(doc, payload={})),
        json.dumps(dict(doc, payload=[])),
        json.dumps(dict(doc, format="pickle")),
        None,
        42,
    ]
    for item in bad:
        with pytest.raises(PersistenceError) as info:
            _load(name, item)
        assert str(info.value).strip()
    with pytest.raises(PersistenceError, match="schema version 2"):
        _load(name, json.dumps(future))


_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from(
        ["nan", "inf", "x", "", "__import__('os')"]), st.floats(allow_nan=False),
    st.just([]), st.just({}), st.just([1, "a"]), st.just({"dtype": "object", "shape": [1],
    "data": [1]}), st.just({"dtype": "float64", "shape": [-1], "data": []}),
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list) and len(node) <= 8:
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=max(10, settings.default.max_examples // 2))  # lowered: 28 objects
@given(data=st.data())
def test_corrupted_documents_fail_cleanly(name: str, data: st.DataObject) -> None:
    """Replace or delete one node anywhere in the payload: only PersistenceError may escape
    (also for well-formed JSON holding invalid values), and a document that still loads
    round-trips."""
    doc = json.loads(_objects()[name].to_json())
    paths = [p for p in _paths(doc["payload"]) if p]
    path = data.draw(st.sampled_from(paths))
    parent = doc["payload"]
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(_JUNK)
    text = json.dumps(doc)
    try:
        loaded = _load(name, text)
    except PersistenceError as exc:
        assert str(exc).strip()  # noqa: PT017
        return
    again = type(loaded).from_json(loaded.to_json())
    assert again.to_json() == loaded.to_json()


def _package_sources() -> list[tuple[str, str]]:
    root = resources.files("custvalue")
    out: list[tuple[str, str]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith(".py"):
                out.append((str(child), child.read_text(encoding="utf-8")))
    return out


FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "cloudpickle", "joblib"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def test_no_pickle_eval_or_exec_in_the_installed_package() -> None:
    sources = _package_sources()
    assert len(sources) >= 20  # the whole installed package was found
    for path, text in sources:
        tree = ast.parse(text, filename=path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                names = set()
            assert not names & FORBIDDEN_MODULES, f"{path}:{node.lineno} imports {names}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, (
                    f"{path}:{node.lineno} calls {node.func.id}"
                )
            if isinstance(node, ast.Attribute) and node.attr in {"loads", "load"}:
                base = node.value
                if isinstance(base, ast.Name):
                    assert base.id not in FORBIDDEN_MODULES, f"{path}:{node.lineno}"


def test_forbidden_import_check_can_fail() -> None:
    """The AST check above recognises what it forbids (guards against a vacuous test)."""
    tree = ast.parse("import pickle\nfrom dill import loads\neval('1')\n")
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)}  # fmt: skip
    assert imported & FORBIDDEN_MODULES
    assert calls & FORBIDDEN_CALLS


def test_regression_corrupted_documents_found_by_fuzzing() -> None:
    """int64 overflow in arrays/dates and a huge or negative SegmentMap k are rejected."""
    doc = json.loads(segments.RF_SEGMENT_MAP.to_json())
    for k in (83291, -1, 0, True):
        with pytest.raises(PersistenceError, match="k"):
            segments.SegmentMap.from_json(json.dumps(dict(doc, payload=dict(doc["payload"], k=k))))
    history = json.loads(_objects()["StageHistory"].to_json())
    history["payload"]["cutoffs"]["dates"]["data"] = [2**63, 2**63]
    with pytest.raises(PersistenceError, match="malformed dates"):
        lifecycle.StageHistory.from_json(json.dumps(history))
    assign = json.loads(_objects()["StageAssignment"].to_json())
    assign["payload"]["stages"]["array"]["data"][0] = 2**63
    with pytest.raises(PersistenceError, match="beyond int64"):
        lifecycle.StageAssignment.from_json(json.dumps(assign))


# ------------------------------------------------------------------ hostile documents
_MARK = "@@hostile@@"
#: Raw JSON text put in place of one node: deep nesting, huge integers, numbers beyond
#: float64, the non-standard literals json accepts by default.
_RAW = st.sampled_from([
    "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
    "[" * 65 + "]" * 65, "1" * 5_000, "-" + "9" * 4_400, "1" * 41, "1e400", "-1e999",
    "2.5e-400", "NaN", "Infinity", "-Infinity", str(2**64), str(-(2**63) - 1),
])  # fmt: skip
#: Shapes that overflow, exceed the limits or do not match the data.
_SHAPES = st.sampled_from([
    [2**64, 0], [2**31, 2**31, 0], [2**62, 2**62], [-1], [1] * 65, [1] * 9, [0, 2**70],
    [10**9], [True], [1.5], "3", None, [100_000_001, 0],
])  # fmt: skip
#: Values a constructor would refuse, put in place of a number or a string.
_INVALID = st.sampled_from([
    "nan", "inf", "-inf", -1, -1.0, 1e308, -1e308, 2**63 - 1, 0, 1.5, "bogus", "",
])  # fmt: skip


def _arrays_in(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every encoded array (``{"dtype", "shape", "data"}``) in a document."""
    out = []
    if isinstance(node, dict):
        if {"dtype", "shape", "data"} <= set(node) or {"shape", "data"} == set(node):
            out.append(prefix)
        for k, v in node.items():
            out.extend(_arrays_in(v, (*prefix, k)))
    elif isinstance(node, list) and len(node) <= 8:
        for i, v in enumerate(node):
            out.extend(_arrays_in(v, (*prefix, i)))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _leaves(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return [p for p in _paths(node, prefix) if p and not isinstance(_get(node, p), (dict, list))]


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _only_persistence_error(name: str, text: str) -> None:
    try:
        loaded = _load(name, text)
    except PersistenceError as exc:
        assert str(exc).strip()  # noqa: PT017
        return
    again = type(loaded).from_json(loaded.to_json())  # what loads is a valid object
    assert again.to_json() == loaded.to_json()


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=max(10, settings.default.max_examples // 2))  # lowered: 29 objects
@given(data=st.data())
def test_hostile_documents_raise_only_persistence_error(name: str, data: st.DataObject) -> None:
    """Deep nesting, huge integers, overflowing numbers, lying shapes or out-of-domain values
    anywhere in the payload of every persistable class: PersistenceError or a valid object."""
    doc = json.loads(_objects()[name].to_json())
    payload = doc["payload"]
    attack = data.draw(st.sampled_from(["raw", "shape", "data", "dtype", "value"]))
    arrays = _arrays_in(payload)
    if attack in ("shape", "data", "dtype") and arrays:
        target = _get(payload, data.draw(st.sampled_from(arrays)))
        if attack == "shape":
            target["shape"] = data.draw(_SHAPES)
        elif attack == "dtype":  # well-formed data of another dtype
            kind = data.draw(st.sampled_from(["str", "bool", "int64", "float64"]))
            cast = {"str": str, "bool": bool, "int64": lambda v: 3, "float64": lambda v: 0.5}
            target.update(dtype=kind, data=[cast[kind](v) for v in target["data"]])
        else:  # data that does not match the declared shape
            target["data"] = target["data"] + target["data"][:1] if target["data"] else [0]
        text = json.dumps(doc)
    elif attack == "value" and _leaves(payload):
        _set(payload, data.draw(st.sampled_from(_leaves(payload))), data.draw(_INVALID))
        text = json.dumps(doc)
    else:
        paths = [p for p in _paths(payload) if p]
        _set(payload, data.draw(st.sampled_from(paths)), _MARK)
        text = json.dumps(doc).replace(json.dumps(_MARK), data.draw(_RAW))
    _only_persistence_error(name, text)


def test_document_and_array_limits_are_enforced() -> None:
    from custvalue import _persist

    doc = json.loads(_objects()["LorenzCurve"].to_json())
    with pytest.raises(PersistenceError, match="exceeds the limit"):
        _persist.loads(" " * (_persist.MAX_DOCUMENT_SIZE + 1), "LorenzCurve")
    inner = _persist.MAX_NESTING - 2  # the document and its payload are two levels
    at_limit = "[" * inner + "]" * inner
    over = "[" + at_limit + "]"
    for text, ok in ((at_limit, True), (over, False)):
        bad = json.dumps(dict(doc, payload={"x": _MARK})).replace(json.dumps(_MARK), text)
        if ok:  # nesting is fine (the payload itself is wrong)
            with pytest.raises(PersistenceError, match="customer_share"):
                segments.LorenzCurve.from_json(bad)
        else:
            with pytest.raises(PersistenceError, match="nests deeper than 64"):
                segments.LorenzCurve.from_json(bad)
    digits = _persist.MAX_INTEGER_DIGITS
    for n, ok in ((digits, True), (digits + 1, False)):
        payload = dict(doc["payload"], gini="9" * n)
        text = json.dumps(dict(doc, payload=payload)).replace(f'"{"9" * n}"', "9" * n)
        with pytest.raises(PersistenceError, match="gini" if ok else "digits"):
            segments.LorenzCurve.from_json(text)
    shape = doc["payload"]["customer_share"]
    for bad_shape, message in (
        ([_persist.MAX_ARRAY_LENGTH + 1], "invalid shape"),
        ([2**62, 2**62, 0], "invalid shape"),
        ([10_000, 10_001], "more than 100,000,000"),
        ([1] * (_persist.MAX_ARRAY_DIMENSIONS + 1), "invalid shape"),
        ([len(shape["data"]) + 1], "needs"),
    ):
        payload = dict(doc["payload"], customer_share=dict(shape, shape=bad_shape))
        with pytest.raises(PersistenceError, match=message):
            segments.LorenzCurve.from_json(json.dumps(dict(doc, payload=payload)))


def _edited(name: str, edit: Any) -> str:
    doc = json.loads(_objects()[name].to_json())
    edit(doc["payload"])
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("RFMScores", lambda p: p["recency_score"]["data"].__setitem__(0, 300), "1..9"),
        ("RFMScores", lambda p: p["recency_score"].update(dtype="float64"), "integers"),
        ("RFMScores", lambda p: (p["recency_score"]["data"].pop(), p["recency_score"].update(
            shape=[len(p["recency_score"]["data"])])), "one entry per customer"),
        ("RFMScores", lambda p: p.update(k=-1), "k must be"),
        ("RFMScores", lambda p: p.update(k=3), "1..k = 1..3"),
        ("RFMScores", lambda p: p.update(binning="bogus"), "binning must be"),
        ("RFMScores", lambda p: p.update(binning="independent"), "edges must have shape"),
        ("Segmentation (RFM)", lambda p: p["codes"]["data"].__setitem__(
            0, (p["codes"]["data"][0] + 1) % len(p["segments"])), "contradict the table"),
        ("Segmentation (value classes)", lambda p: p["table"]["count"]["data"].__setitem__(
            0, -1), "count must be >= 0"),
        ("BetaGeo (fitted)", lambda p: p["fit"].update(n_customers=-5.0), "n_customers"),
        ("GammaGamma (fitted)", lambda p: p["fit"].update(n_customers="nan"), "n_customers"),
        ("StageValue", lambda p: p.update(discount_rate={"float": "nan"}), "discount_rate"),
        ("StageValue", lambda p: p.update(discount_rate={"float": -0.1}), "discount_rate"),
        ("WhatIf", lambda p: p["before"]["object"].update(discount_rate={"float": "inf"}),
            "discount_rate"),
        ("SpendFrequencyIndependence", lambda p: p.update(pearson_p_value="nan"), "p_value"),
        ("SpendFrequencyIndependence", lambda p: p.update(spearman_p_value=1.5), "p_value"),
        ("SpendFrequencyIndependence", lambda p: p.update(n=-3), "'n'"),
        ("BootstrapResult", lambda p: p.update(n_customers={"float": -1.0}), "n_customers"),
        ("RepurchasePosterior", lambda p: p.update(share_concentration={"float": "nan"}),
            "share_concentration"),
    ],
)  # fmt: skip
def test_loaders_validate_like_constructors(name: str, edit: Any, message: str) -> None:
    with pytest.raises(PersistenceError, match=message):
        _load(name, _edited(name, edit))
