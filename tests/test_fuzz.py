"""Fuzzing the whole public API with adversarial inputs.

Every target in :data:`TARGETS` is called with a mix of valid and adversarial arguments (NaN,
inf, negative, empty, huge, mismatched shapes, wrong dtypes, object and string arrays, 0-d vs
n-d, non-monotone dates, duplicate ids). The contract:

* the only exceptions allowed are ``InvalidInputError`` / ``InvalidTypeError`` (our documented
  ``ValueError`` / ``TypeError`` subclasses) with a non-empty message;
* the only warnings allowed are custvalue's own (``CustValueWarning`` subclasses);
* outputs of accepted inputs are finite and in range (target-specific checks: probabilities in
  [0, 1], counts and values >= 0).

Adding a target is one entry in :data:`TARGETS`. :data:`CALLS` counts the inputs each target
received; the last test asserts every target got at least 80% of its share of the active
profile's ``max_examples`` (default profile: 320 per cheap target, 40 per slow one; ``ci``:
2,000 per cheap target and at least 1,000 for every target), and the run's terminal summary
lists the counts.
"""

from __future__ import annotations

import collections
import math
import warnings
from collections.abc import Callable
from math import lgamma
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    adversarial_arrays,
    adversarial_scalars,
    discrete_histories,
    maybe_adversarial,
    purchase_histories,
    spend_histories,
    stage_matrices,
    transaction_logs,
)

import custvalue
from custvalue import clv, lifecycle, segments
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import CustValueWarning, InvalidInputError, InvalidTypeError
from custvalue.lifecycle.stages import as_stage_codes

ALLOWED_ERRORS = (InvalidInputError, InvalidTypeError)
#: Inputs each target received during this session.
CALLS: collections.Counter[str] = collections.Counter()
#: Examples per target = profile max_examples * factor (cheap targets get more).
CHEAP, MEDIUM, SLOW = 8, 2, 1

BG = clv.BetaGeo(clv.BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
PNBD = clv.ParetoNBD(clv.ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669))
BGBB = clv.BetaGeoBetaBinom(clv.BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
SBG = clv.ShiftedBetaGeo(clv.ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
GG = clv.GammaGamma(clv.GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
MM = lifecycle.MigrationModel(
    [[0.1, 0.6, 0.0, 0.3], [0.0, 0.8, 0.2, 0.0], [0.0, 0.4, 0.3, 0.3], [0.2, 0.0, 0.0, 0.8]]
)
ESTIMATE = lifecycle.estimate_migration(
    np.array([[2, 30, 0, 8], [0, 50, 10, 0], [0, 6, 3, 5], [1, 0, 0, 4]])
)
POSTERIOR = lifecycle.RepurchasePosterior.from_counts([50, 40, 30, 20, 10], [45, 20, 14, 9, 8])
TREE = lifecycle.tarp_tree(
    "minor",
    no_failure_rate=0.9,
    failure_share=0.3,
    complaint_share=0.4,
    quick_share=0.3,
    resolved_share=0.3,
    unresolved_share=0.4,
)


# ----------------------------------------------------------------------------- checks
def _walk_floats(value: Any, path: str, skip: frozenset[str]) -> list[tuple[str, Any]]:
    """Every float array / float reachable from a result (attrs fields, tuples, arrays)."""
    out: list[tuple[str, Any]] = []
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out.append((path, value))
    elif isinstance(value, float):
        out.append((path, np.asarray(value)))
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            out.extend(_walk_floats(v, f"{path}[{i}]", skip))
    elif attrs.has(type(value)):
        for f in attrs.fields(type(value)):
            if f.name not in skip:
                out.extend(_walk_floats(getattr(value, f.name), f"{path}.{f.name}", skip))
    return out


def finite(result: Any, skip: frozenset[str] = frozenset()) -> None:
    for path, arr in _walk_floats(result, "result", skip):
        assert np.all(np.isfinite(arr)), f"{path} is not finite: {arr!r}"


def nonneg(result: Any) -> None:
    finite(result)
    assert np.all(np.asarray(result) >= 0), f"negative output {result!r}"


def prob(result: Any) -> None:
    finite(result)
    arr = np.asarray(result)
    assert np.all((arr >= 0) & (arr <= 1)), f"probability outside [0, 1]: {arr!r}"


def nonpos(result: Any) -> None:
    arr = np.asarray(result)  # a log-probability may be -inf (probability 0), never NaN/+inf
    assert not np.any(np.isnan(arr) | (arr == np.inf)), f"NaN or +inf: {arr!r}"
    assert np.all(np.asarray(result) <= 1e-12), f"log-probability > 0: {result!r}"


def segmentation(result: Any) -> None:
    # documented NaN: value_share when all values sum to 0, value_mean of an empty segment
    finite(result.table, skip=frozenset({"value_mean", "value_share"}))
    table = result.table
    assert np.all(table.count >= 0)
    assert np.all((table.customer_share >= 0) & (table.customer_share <= 1 + 1e-12))
    assert np.all(~np.isnan(table.value_mean[table.count > 0]))


def fitted(result: Any) -> None:
    finite(result.params.as_array())
    assert np.all(result.params.as_array() > 0)
    assert math.isfinite(result.log_likelihood)


# ------------------------------------------------------------------------ input strategies
def histories() -> st.SearchStrategy[Any]:
    return purchase_histories(min_size=0, max_size=6)


def arr(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return maybe_adversarial(valid)


pos_floats = st.floats(1e-6, 1e6)
unit = st.floats(0.0, 1.0)
times = st.lists(st.floats(0.0, 1e4), min_size=0, max_size=5)
values = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=12)
counts = st.lists(st.integers(0, 20), min_size=1, max_size=12)


def _hist(d: Any) -> tuple[Any, Any, Any]:
    x, tx, T = d.draw(histories())
    return d.draw(arr(st.just(x))), d.draw(arr(st.just(tx))), d.draw(arr(st.just(T)))


def _discrete(d: Any) -> tuple[Any, Any, Any]:
    x, tx, n = d.draw(discrete_histories(min_size=0, max_size=6))
    return d.draw(arr(st.just(x))), d.draw(arr(st.just(tx))), d.draw(arr(st.just(n)))


def _spend(d: Any) -> tuple[Any, Any]:
    x, m = d.draw(spend_histories(min_size=0, max_size=8))
    return d.draw(arr(st.just(x))), d.draw(arr(st.just(m)))


def _log(d: Any, *, times_of_day: bool = False) -> dict[str, Any]:
    log = d.draw(transaction_logs(max_rows=15, with_times=times_of_day))
    return {k: d.draw(arr(st.just(v))) for k, v in log.items()}


def _scalar(d: Any, valid: st.SearchStrategy[Any]) -> Any:
    return d.draw(st.one_of(valid, valid, adversarial_scalars()))


def _summary_call(d: Any) -> Any:
    log = _log(d)
    return custvalue.summarize_transactions(
        log["customer_id"], log["date"], log["monetary"], observation_end=log["observation_end"]
    )


def _split_call(d: Any) -> Any:
    log = _log(d)
    return custvalue.calibration_holdout_split(
        log["customer_id"],
        log["date"],
        log["monetary"],
        calibration_end=log["observation_end"],
        observation_end=d.draw(st.one_of(st.none(), st.just(log["observation_end"]))),
    )


def _evaluate_call(d: Any) -> Any:
    # a valid split (the split has its own target), then evaluate's own arguments fuzzed
    log = d.draw(transaction_logs(max_rows=15))
    first = log["date"].min()
    end = max(log["observation_end"], first + np.timedelta64(1, "D"))
    offset = d.draw(st.integers(0, int((end - first).astype(int)) - 1))
    split = custvalue.calibration_holdout_split(
        log["customer_id"],
        log["date"],
        log["monetary"],
        calibration_end=first + np.timedelta64(offset, "D"),
        observation_end=end,
    )
    valid = st.sampled_from(["D", "W", "M", "2D", "h", "3Y", None])
    periods = d.draw(st.one_of(valid, valid, valid, adversarial_scalars()))
    model = d.draw(st.sampled_from([BG, BG, BG, attrs.evolve(BG, time_unit="W"), object()]))
    spend = d.draw(st.sampled_from([None, GG, GG, object()]))
    return clv.evaluate(model, split, spend_model=spend, periods=periods)


def _evaluate_check(report: Any) -> None:
    finite(report)
    assert np.all(np.asarray(report.predicted_purchases) >= 0)
    assert np.all(np.diff(report.tracking_actual) >= 0)
    assert report.histogram_actual.sum() == report.n_customers


def _summary_check(s: Any) -> None:
    for name in ("frequency", "recency", "T", "monetary_value"):
        if getattr(s, name) is None:  # no monetary column given
            continue
        v = np.asarray(getattr(s, name))
        assert np.all(np.isfinite(v)), name
        assert np.all(v >= 0), name
    assert np.all(np.asarray(s.recency) <= np.asarray(s.T))


def _split_check(s: Any) -> None:
    _summary_check(s.calibration)
    assert np.all(np.asarray(s.holdout_frequency) >= 0)


def _clv(d: Any) -> Any:
    x, tx, T = _hist(d)
    m = d.draw(arr(st.sampled_from([20.0, [20.0], 0.0])))
    return clv.customer_lifetime_value(
        BG,
        GG,
        x,
        tx,
        T,
        m,
        horizon=_scalar(d, st.floats(0.0, 1e3)),
        discount_rate=_scalar(d, st.floats(0.0, 1.0)),
    )


#: Fitted-looking models (a small covariance) for the intervals' normal draws.
BG_FIT = attrs.evolve(BG, covariance=np.diag([1e-4, 1e-2, 1e-3, 1e-2]))
GG_FIT = attrs.evolve(GG, covariance=np.diag([1e-2, 1e-2, 1e-1]))


def _clv_interval(d: Any) -> Any:
    x, tx, T = _hist(d)
    return clv.clv_interval(
        BG_FIT,
        GG_FIT,
        x,
        tx,
        T,
        d.draw(arr(st.sampled_from([20.0, [20.0], 0.0]))),
        horizon=_scalar(d, st.floats(0.0, 1e3)),
        discount_rate=_scalar(d, st.floats(0.0, 1.0)),
        level=_scalar(d, st.floats(0.5, 0.99)),
        n_resamples=d.draw(st.one_of(st.integers(2, 6), adversarial_scalars())),
        rng=0,
    )


def _interval_check(ci: Any) -> None:
    finite(ci)
    assert np.all((ci.lower <= ci.upper) & (ci.lower >= 0))


def _cash_flows(d: Any) -> Any:
    x, tx, T = _hist(d)
    return clv.clv_cash_flows(
        BG,
        GG,
        x,
        tx,
        T,
        d.draw(arr(st.sampled_from([20.0, [20.0], 0.0]))),
        periods=_scalar(d, st.floats(0.1, 50.0)),
        horizon=_scalar(d, st.floats(0.0, 300.0)),
        discount_rate=_scalar(d, st.floats(0.0, 1.0)),
    )


def _cash_flows_check(f: Any) -> None:
    finite(f)
    assert np.all(f.discounted_value >= 0)
    assert np.all((f.discount_factor > 0) & (f.discount_factor <= 1))


def _lifetimes_clv(d: Any) -> Any:
    x, tx, T = _hist(d)
    return clv.lifetimes_customer_lifetime_value(
        BG,
        GG,
        x,
        tx,
        T,
        d.draw(arr(st.just(25.0))),
        months=d.draw(st.one_of(st.integers(-2, 24), adversarial_scalars())),
        monthly_discount_rate=_scalar(d, st.floats(0.0, 0.5)),
        freq=d.draw(st.sampled_from(["W", "M", "D", "H", "X"])),
    )


def _det(d: Any) -> Any:
    x, tx, T = _hist(d)
    return clv.discounted_expected_transactions(
        BG,
        x,
        tx,
        T,
        horizon=_scalar(d, st.floats(0.0, 1e3) | st.just(math.inf)),
        discount_rate=_scalar(d, st.floats(1e-4, 1.0)),
    )


def _fit_bg(d: Any) -> Any:
    x, tx, T = _hist(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CustValueWarning)  # degenerate fits warn; see below
        return clv.BetaGeo.fit(x, tx, T)


def _fit_gg(d: Any) -> Any:
    x, m = _spend(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CustValueWarning)
        return clv.GammaGamma.fit(x, m)


def _bootstrap(d: Any) -> Any:
    model = d.draw(st.sampled_from([clv.BetaGeo, clv.GammaGamma, BG, "BetaGeo"]))
    data = _spend(d) if model is clv.GammaGamma else _hist(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CustValueWarning)  # degenerate fits warn
        n_resamples = d.draw(st.integers(-1, 3) | adversarial_scalars())
        if isinstance(n_resamples, int) and 3 < n_resamples <= 10**6:
            n_resamples = 3  # valid but one refit each: keep the run short (> 1e6 is refused)
        return clv.bootstrap(
            model,
            *data,
            n_resamples=n_resamples,
            rng=d.draw(st.integers(0, 2**32) | st.just(-1) | st.just("x")),
        )


_FITTED_BG: list[Any] = []


def _compare(d: Any) -> Any:
    """compare_models on fitted, unfitted and foreign objects, sequences and mappings."""
    if not _FITTED_BG:
        s = load_cdnow_summary()
        _FITTED_BG.append(clv.BetaGeo.fit(s))
        _FITTED_BG.append(clv.BetaGeo.fit(s, penalizer=0.01))
    pool = st.sampled_from([*_FITTED_BG, BG, GG, "BetaGeo", None, 1.0])
    models = d.draw(st.lists(pool, max_size=3))
    if d.draw(st.booleans()):
        models = {f"m{i}": m for i, m in enumerate(models)}
    return clv.compare_models(models)


def _compare_check(c: Any) -> None:
    assert np.all(np.isfinite(c.aic))
    assert np.all(c.delta_aic >= 0)
    assert c.akaike_weight.sum() == pytest.approx(1.0)


def _bootstrap_check(b: Any) -> None:
    assert np.all(np.isfinite(b.params))
    assert np.all(b.params > 0)
    assert b.n_customers >= 0


def _simulate(d: Any) -> Any:
    T = d.draw(arr(st.lists(st.floats(0.1, 100.0), max_size=5)))
    return clv.simulate_bgnbd(
        BG.params,
        T,
        rng=d.draw(st.integers(0, 2**32) | st.just(-1) | st.just("x")),
        horizon=_scalar(d, st.floats(0.0, 50.0)),
    )


def _simulate_pnbd(d: Any) -> Any:
    T = d.draw(arr(st.lists(st.floats(0.1, 100.0), max_size=5)))
    return clv.simulate_pareto_nbd(
        PNBD.params,
        T,
        rng=d.draw(st.integers(0, 2**32) | st.just(-1) | st.just("x")),
        horizon=_scalar(d, st.floats(0.0, 50.0)),
    )


def _sim_check(s: Any) -> None:
    for name in ("frequency", "recency", "T", "holdout_frequency"):
        v = getattr(s, name)
        assert np.all(np.isfinite(v)), name
        assert np.all(v >= 0), name
    assert np.all(s.recency <= s.T)
    prob(s.dropout_probability)
    nonneg(s.purchase_rate)


def _rfm(d: Any) -> Any:
    since, count, spend = d.draw(
        st.lists(st.integers(0, 100), min_size=1, max_size=10).map(
            lambda v: (v, [c + 1 for c in v], v)
        )
    )
    return segments.rfm_scores(
        d.draw(arr(st.just(since))),
        d.draw(arr(st.just(count))),
        d.draw(arr(st.just(spend))),
        k=d.draw(st.one_of(st.integers(1, 6), adversarial_scalars())),
        monetary=d.draw(st.sampled_from(["total", "mean", "bad"])),
        binning=d.draw(st.sampled_from(["independent", "nested", "bad"])),
    )


def _rfm_check(s: Any) -> None:
    for name in ("recency_score", "frequency_score", "monetary_score"):
        v = np.asarray(getattr(s, name))
        assert np.all((v >= 1) & (v <= s.k)), name
    finite(s.table, skip=frozenset({"value_mean", "value_share"}))


def _stage_assign(d: Any) -> Any:
    n = d.draw(arr(counts))
    return lifecycle.StagePolicy().assign(
        n,
        d.draw(arr(st.lists(unit, min_size=1, max_size=12))),
        time_since_last_purchase=d.draw(arr(st.just(0.0))),
        service_failure=d.draw(st.one_of(st.none(), adversarial_arrays())),
    )


def _stage_history(d: Any) -> Any:
    log = _log(d)
    cutoffs = d.draw(st.one_of(st.just([log["observation_end"]]), adversarial_arrays()))
    return lifecycle.stage_history(log["customer_id"], log["date"], cutoffs, p_alive=BG)


def _tenures(d: Any) -> tuple[Any, Any]:
    """(t >= 1, periods survived >= 0) for the sBG methods, maybe adversarial."""
    t = d.draw(arr(st.lists(st.integers(1, 400), min_size=1, max_size=6)))
    return t, d.draw(arr(st.lists(st.integers(0, 10_000), min_size=1, max_size=6)))


def _no_nan_nonneg(result: Any) -> None:
    assert not np.isnan(result).any()
    assert (result >= 0).all()


def _sbg_call(method: Callable[..., Any], d: Any) -> Any:
    t, n = _tenures(d)
    return method(t, periods_survived=n)


def _fit_sbg(d: Any) -> Any:
    lifetime = d.draw(arr(st.lists(st.integers(1, 30), min_size=2, max_size=8)))
    churned = d.draw(arr(st.lists(st.integers(0, 1), min_size=2, max_size=8)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CustValueWarning)  # e.g. nobody churned
        return clv.ShiftedBetaGeo.fit(lifetime, churned)


def _matrix(d: Any) -> Any:
    return d.draw(arr(stage_matrices().map(np.asarray)))


def _migration(d: Any) -> Any:
    return lifecycle.MigrationModel(_matrix(d))


def _value(d: Any) -> Any:
    return MM.value(
        d.draw(arr(st.lists(st.floats(-50, 200), min_size=4, max_size=4))),
        _scalar(d, st.floats(0.0, 1.0)),
        horizon=d.draw(st.one_of(st.none(), st.integers(-1, 50))),
    )


def _forecast(d: Any) -> Any:
    start = d.draw(arr(st.just([0.25, 0.25, 0.25, 0.25])))
    # periods stays small: forecast returns every period's distribution, so a huge count
    # would (by design) allocate a huge array
    bad = st.sampled_from([1.5, -1, None, "x", True, math.nan, math.inf])
    return MM.forecast(start, d.draw(st.one_of(st.integers(0, 30), bad)))


def _simulate_mm(d: Any) -> Any:
    return MM.simulate(
        d.draw(arr(st.lists(st.integers(0, 3), max_size=6))),
        d.draw(st.integers(-1, 10)),
        rng=d.draw(st.integers(0, 99)),
    )


def _estimate(d: Any) -> Any:
    counts4 = d.draw(
        arr(
            st.lists(st.integers(0, 30), min_size=16, max_size=16).map(
                lambda v: np.reshape(v, (4, 4))
            )
        )
    )
    return lifecycle.estimate_migration(
        counts4, no_exits=d.draw(st.sampled_from(["error", "absorbing", "bad"]))
    )


def _count_transitions(d: Any) -> Any:
    paths = d.draw(
        arr(
            st.lists(st.integers(0, 3), min_size=2, max_size=8).map(
                lambda v: np.reshape(v, (1, -1))
            )
        )
    )
    return lifecycle.count_transitions(paths)


def _tree_args(d: Any) -> list[Any]:
    return [d.draw(arr(unit)) for _ in range(10)]


def _tree(d: Any) -> Any:
    names = [f.name for f in attrs.fields(lifecycle.RepurchaseTree)]
    return lifecycle.RepurchaseTree(**dict(zip(names, _tree_args(d), strict=True)))


def _move(d: Any) -> Any:
    leaf = st.sampled_from([*lifecycle.LEAVES, "nope"])
    return TREE.move(d.draw(leaf), d.draw(leaf), _scalar(d, unit))


def _posterior(d: Any) -> Any:
    n = d.draw(arr(st.lists(st.integers(0, 50), min_size=6, max_size=6)))
    k = d.draw(arr(st.lists(st.integers(0, 50), min_size=6, max_size=6)))
    return lifecycle.RepurchasePosterior.from_counts(n, k)


@attrs.frozen
class Target:
    """One fuzz target: ``call`` draws arguments and calls the API; ``check`` the result."""

    name: str
    call: Callable[[Any], Any]
    check: Callable[[Any], None] = finite
    cost: int = CHEAP


def _t(
    name: str, call: Callable[[Any], Any], check: Callable[[Any], None] = finite, cost: int = CHEAP
) -> Target:
    return Target(name, call, check, cost)


def _check_transitions(d: Any) -> tuple[Any, Any]:
    """Returns the inputs when check_transitions accepts them, so the check can re-verify."""
    prev = d.draw(arr(st.lists(st.integers(-1, 3), min_size=1, max_size=5)))
    cur = d.draw(arr(st.lists(st.integers(-1, 3), min_size=1, max_size=5)))
    assert lifecycle.check_transitions(prev, cur) is None
    return prev, cur


def _legal_moves(inputs: tuple[Any, Any]) -> None:
    """Accepted pairs are stage codes (or -1) and every observed move is allowed."""
    codes = [as_stage_codes(v, "x", missing=True) for v in inputs]  # names, codes or -1/""
    a, b = np.broadcast_arrays(*codes)
    assert np.all((a >= -1) & (a <= 3) & (b >= -1) & (b <= 3))
    seen = (a >= 0) & (b >= 0)
    assert lifecycle.allowed_matrix()[a[seen], b[seen]].all()


def _policy_check(policy: Any) -> None:
    """An accepted policy is ordered and assigns a stage consistent with each reason."""
    assert 0.0 <= policy.p_alive_terminate <= policy.p_alive_recover <= 1.0
    assert 0.0 <= policy.recover_after <= policy.terminate_after
    assert policy.retain_min_purchases >= 1
    assert float(policy.retain_min_purchases).is_integer()
    n = np.array([0, 1, 2, 5, 50])
    out = policy.assign(
        n, [0.0, 0.05, 0.5, 0.95, 1.0], time_since_last_purchase=[0, 10, 60, 0, 1e9]
    )
    implied = {0: 3, 1: 3, 2: 0, 3: 0, 4: 2, 5: 2, 6: 3, 7: 3, 8: 2, 9: 2, 10: 1}
    assert [implied[int(r)] for r in out.reasons] == out.stages.tolist()
    new = n < policy.retain_min_purchases
    assert np.isin(out.reasons[new], [1, 2, 3]).all()
    assert not np.isin(out.reasons[~new], [1, 2, 3]).any()


TARGETS: list[Target] = [
    # custvalue
    _t("summarize_transactions", _summary_call, _summary_check, MEDIUM),
    _t("calibration_holdout_split", _split_call, _split_check, MEDIUM),
    _t("evaluate", _evaluate_call, _evaluate_check, MEDIUM),
    _t(
        "time_unit_days",
        lambda d: custvalue.time_unit_days(
            d.draw(st.one_of(st.sampled_from(["D", "W", "M", "h", 3, None]), st.text(max_size=2)))
        ),
        nonneg,
    ),
    # clv: BG/NBD
    _t(
        "BetaGeoParams",
        lambda d: clv.BetaGeoParams(*[_scalar(d, pos_floats) for _ in range(4)]),
        lambda p: fitted_params(p),
    ),
    _t("BetaGeo.probability_alive", lambda d: BG.probability_alive(*_hist(d)), prob),
    _t(
        "BetaGeo.log_likelihood_per_customer",
        lambda d: BG.log_likelihood_per_customer(*_hist(d)),
        finite,
    ),
    _t(
        "BetaGeo.expected_purchases",
        lambda d: BG.expected_purchases(d.draw(arr(times)), *_hist(d)),
        nonneg,
    ),
    _t(
        "BetaGeo.probability_no_purchase",
        lambda d: BG.probability_no_purchase(d.draw(arr(times)), *_hist(d)),
        prob,
    ),
    _t(
        "BetaGeo.expected_purchases_new",
        lambda d: BG.expected_purchases_new(d.draw(arr(times))),
        nonneg,
    ),
    _t(
        "BetaGeo.probability_of_purchases",
        lambda d: BG.probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 5000), max_size=5))), d.draw(arr(times))
        ),
        prob,
    ),
    _t(
        "BetaGeo.log_probability_of_purchases",
        lambda d: BG.log_probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 5000), max_size=5))), d.draw(arr(times))
        ),
        nonpos,
    ),
    _t(
        "BetaGeo.conditional_probability_of_purchases",
        lambda d: BG.conditional_probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 5000), max_size=5))),
            d.draw(arr(times)),
            *_hist(d),
        ),
        prob,
    ),
    _t("BetaGeo.fit", _fit_bg, fitted, SLOW),
    # clv: BG/BB
    _t(
        "BetaGeoBetaBinomParams",
        lambda d: clv.BetaGeoBetaBinomParams(*[_scalar(d, pos_floats) for _ in range(4)]),
        lambda p: fitted_params(p),
    ),
    _t("BetaGeoBetaBinom.probability_alive", lambda d: BGBB.probability_alive(*_discrete(d)), prob),
    _t(
        "BetaGeoBetaBinom.expected_purchases",
        lambda d: BGBB.expected_purchases(d.draw(arr(times)), *_discrete(d)),
        nonneg,
    ),
    _t(
        "BetaGeoBetaBinom.conditional_probability_of_purchases",
        lambda d: BGBB.conditional_probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 50), max_size=5))),
            d.draw(arr(times)),
            *_discrete(d),
        ),
        prob,
        MEDIUM,
    ),
    _t(
        "BetaGeoBetaBinom.probability_of_purchases",
        lambda d: BGBB.probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 50), max_size=5))), d.draw(arr(times))
        ),
        prob,
        MEDIUM,
    ),
    _t(
        "bgbb_histories",
        lambda d: clv.bgbb_histories(
            d.draw(arr(st.lists(st.integers(0, 5), min_size=1, max_size=8))),
            d.draw(arr(st.lists(st.integers(1990, 2000), min_size=1, max_size=8))),
            last_period=2000,
        ),
        lambda h: finite(h.weights),
    ),
    # clv: sBG (contractual churn)
    _t("ShiftedBetaGeo.fit", _fit_sbg, fitted, SLOW),
    _t("ShiftedBetaGeo.survival", lambda d: _sbg_call(SBG.survival, d), prob),
    _t("ShiftedBetaGeo.probability_churn", lambda d: _sbg_call(SBG.probability_churn, d), prob),
    _t(
        "ShiftedBetaGeo.discounted_expected_residual_lifetime",
        lambda d: SBG.discounted_expected_residual_lifetime(
            _scalar(d, st.floats(1e-3, 10.0)), periods_survived=_tenures(d)[1]
        ),
        _no_nan_nonneg,  # inf at discount_rate 0 when alpha <= 1 (documented)
        SLOW,  # up to ~0.3 s per value at small rates (a continued fraction of ~20/sqrt(d) steps)
    ),
    # clv: Gamma-Gamma
    _t(
        "GammaGammaParams",
        lambda d: clv.GammaGammaParams(*[_scalar(d, pos_floats) for _ in range(3)]),
        lambda p: fitted_params(p),
    ),
    _t("GammaGamma.expected_spend", lambda d: GG.expected_spend(*_spend(d)), nonneg),
    _t(
        "GammaGamma.log_likelihood_per_customer",
        lambda d: GG.log_likelihood_per_customer(*_spend(d)),
        finite,
    ),
    _t("GammaGamma.fit", _fit_gg, fitted, SLOW),
    _t(
        "spend_frequency_independence",
        lambda d: clv.spend_frequency_independence(*_spend(d), level=_scalar(d, unit)),
        finite,
    ),
    _t("simulate_bgnbd", _simulate, _sim_check, MEDIUM),
    # clv: Pareto/NBD
    _t("ParetoNBD.probability_alive", lambda d: PNBD.probability_alive(*_hist(d)), prob),
    _t(
        "ParetoNBD.log_likelihood_per_customer",
        lambda d: PNBD.log_likelihood_per_customer(*_hist(d)),
        finite,
    ),
    _t(
        "ParetoNBD.expected_purchases",
        lambda d: PNBD.expected_purchases(d.draw(arr(times)), *_hist(d)),
        nonneg,
    ),
    _t(
        "ParetoNBD.conditional_probability_of_purchases",
        lambda d: PNBD.conditional_probability_of_purchases(
            d.draw(arr(st.lists(st.integers(0, 500), max_size=5))), d.draw(arr(times)), *_hist(d)
        ),
        prob,
        MEDIUM,
    ),
    _t("simulate_pareto_nbd", _simulate_pnbd, _sim_check, MEDIUM),
    _t("bootstrap", _bootstrap, _bootstrap_check, SLOW),
    _t("compare_models", _compare, _compare_check, MEDIUM),
    _t("customer_lifetime_value", _clv, nonneg, MEDIUM),
    _t("clv_interval", _clv_interval, _interval_check, SLOW),
    _t("clv_cash_flows", _cash_flows, _cash_flows_check, MEDIUM),
    _t("discounted_expected_transactions", _det, nonneg, MEDIUM),
    _t("lifetimes_customer_lifetime_value", _lifetimes_clv, nonneg, MEDIUM),
    _t(
        "continuous_discount_rate",
        lambda d: clv.continuous_discount_rate(_scalar(d, unit), _scalar(d, st.floats(1.0, 365.0))),
        finite,  # a negative annual rate above -1 is accepted and gives a negative rate
    ),
    # segments
    _t("rfm_scores", _rfm, _rfm_check, MEDIUM),
    _t(
        "rfm_segments",
        lambda d: segments.rfm_segments(
            segments.rfm_scores([1, 5, 3, 9], [1, 2, 3, 4], [5, 6, 7, 8], k=2),
            value=d.draw(st.one_of(st.none(), arr(st.just([1.0, 2.0, 3.0, 4.0])))),
        ),
        segmentation,
    ),
    _t(
        "SegmentMap.assign",
        lambda d: segments.RF_SEGMENT_MAP.assign(
            d.draw(arr(st.lists(st.integers(1, 5), min_size=1, max_size=6))),
            d.draw(arr(st.lists(st.integers(1, 5), min_size=1, max_size=6))),
        ),
        nonneg,
    ),
    _t(
        "customer_profit",
        lambda d: segments.customer_profit(
            d.draw(arr(values)), d.draw(arr(values)), d.draw(st.one_of(st.none(), arr(values)))
        ),
        finite,
    ),
    _t(
        "pyramid_tiers",
        lambda d: segments.pyramid_tiers(
            d.draw(arr(values)),
            cutoff=d.draw(st.sampled_from(["customer_share", "profit_share"])),
            shares=d.draw(st.one_of(st.none(), adversarial_arrays())),
            lead_threshold=d.draw(st.one_of(st.none(), adversarial_scalars())),
        ),
        nonneg,
    ),
    _t(
        "customer_pyramid",
        lambda d: segments.customer_pyramid(d.draw(arr(values)), d.draw(arr(values))),
        lambda r: segmentation(r.tiers),
    ),
    _t(
        "tier_profiles",
        lambda d: segments.tier_profiles(
            d.draw(arr(st.lists(st.integers(0, 3), min_size=1, max_size=6))),
            d.draw(arr(values)),
            d.draw(arr(values)),
        ),
        lambda t: finite(t, skip=frozenset({"value_mean", "value_share"})),
    ),
    _t(
        "gini",
        lambda d: segments.gini(
            d.draw(arr(values.map(np.abs))),
            negative=d.draw(st.sampled_from(["raise", "clip", "keep", "x"])),
        ),
        prob,
    ),
    _t("lorenz_curve", lambda d: segments.lorenz_curve(d.draw(arr(values.map(np.abs)))), finite),
    _t(
        "top_share",
        lambda d: segments.top_share(d.draw(arr(values.map(np.abs))), _scalar(d, unit)),
        prob,
    ),
    _t(
        "share_of_wallet",
        lambda d: segments.share_of_wallet(
            d.draw(arr(values.map(np.abs))), d.draw(arr(values.map(np.abs)))
        ),
        prob,
    ),
    _t(
        "market_share",
        lambda d: segments.market_share(
            d.draw(arr(values.map(np.abs))), d.draw(arr(values.map(np.abs)))
        ),
        prob,
    ),
    _t(
        "potential_value",
        lambda d: segments.potential_value(
            d.draw(arr(values)),
            d.draw(arr(st.lists(unit, min_size=1, max_size=12))),
            max_multiple=_scalar(d, st.floats(1.0, 100.0)),
        ),
        finite,
    ),
    _t(
        "value_classes",
        lambda d: segments.value_classes(
            d.draw(arr(values)), d.draw(st.one_of(st.none(), arr(values)))
        ),
        segmentation,
    ),
    _t(
        "predicted_value_segments",
        lambda d: segments.predicted_value_segments(
            d.draw(arr(values)),
            d.draw(st.one_of(st.none(), arr(st.lists(unit, min_size=1, max_size=12)))),
        ),
        segmentation,
    ),
    _t(
        "satisfaction_loyalty_quadrants",
        lambda d: segments.satisfaction_loyalty_quadrants(
            d.draw(arr(st.lists(st.integers(1, 5), min_size=1, max_size=8))),
            d.draw(arr(st.lists(st.integers(1, 5), min_size=1, max_size=8))),
        ),
        segmentation,
    ),
    _t(
        "loyalty_ladder",
        lambda d: segments.loyalty_ladder(
            d.draw(arr(counts)), referred=d.draw(st.one_of(st.none(), adversarial_arrays()))
        ),
        segmentation,
    ),
    # lifecycle
    _t("StagePolicy.assign", _stage_assign, lambda s: finite(s)),
    _t("stage_history", _stage_history, lambda s: finite(s), MEDIUM),
    _t("MigrationModel", _migration, lambda m: prob(m.matrix)),
    _t("MigrationModel.value", _value, finite),
    _t("MigrationModel.absorbing", lambda d: _migration(d).absorbing(), finite),
    _t("MigrationModel.forecast", _forecast, nonneg),  # start may be counts
    _t("MigrationModel.simulate", _simulate_mm, nonneg),
    _t(
        "MigrationModel.with_transition",
        lambda d: MM.with_transition(
            d.draw(st.sampled_from([0, 1, 2, 3, 7, "RETAIN", "nope"])),
            d.draw(st.sampled_from([0, 1, 2, 3, -1, "RECOVER"])),
            _scalar(d, unit),
        ),
        lambda m: prob(m.matrix),
    ),
    _t("estimate_migration", _estimate, lambda e: prob(e.matrix)),
    _t("count_transitions", _count_transitions, nonneg),
    _t("check_transitions", _check_transitions, _legal_moves),
    _t(
        "repurchase_intent",
        lambda d: lifecycle.repurchase_intent(*[d.draw(arr(unit)) for _ in range(10)]),
        finite,  # a polynomial: arguments outside [0, 1] are accepted (derivatives)
    ),
    _t(
        "intent_derivative_complaint_share",
        lambda d: lifecycle.intent_derivative_complaint_share(
            *[d.draw(arr(unit)) for _ in range(8)]
        ),
        finite,
    ),
    _t("RepurchaseTree", _tree, lambda t: prob(t.intent)),
    _t("RepurchaseTree.move", _move, lambda t: prob(t.intent)),
    _t(
        "RepurchaseTree.lost_customers",
        lambda d: TREE.lost_customers(_scalar(d, st.floats(0.0, 1e6))),
        nonneg,
    ),
    _t("RepurchasePosterior.from_counts", _posterior, finite),
    _t(
        "tarp_tree",
        lambda d: lifecycle.tarp_tree(
            d.draw(st.sampled_from(["minor", "major", "x"])),
            no_failure_rate=_scalar(d, unit),
            failure_share=_scalar(d, unit),
            complaint_share=_scalar(d, unit),
            quick_share=0.2,
            resolved_share=0.3,
            unresolved_share=_scalar(d, st.just(0.5)),
        ),
        lambda t: prob(t.intent),
    ),
    _t(
        "retention_churn_probability",
        lambda d: np.asarray(lifecycle.retention_churn_probability(SBG, _tenures(d)[1])),
        prob,
    ),
    _t(
        "link_retention",
        lambda d: lifecycle.link_retention(SBG, _migration(d), tenure=_tenures(d)[1]),
        lambda m: prob(m.matrix),
    ),
    _t(
        "link_recovery",
        lambda d: lifecycle.link_recovery(TREE, _migration(d)),
        lambda m: prob(m.matrix),
    ),
    _t(
        "recovery_what_if",
        lambda d: lifecycle.recovery_what_if(
            MM,
            TREE,
            TREE.move("unresolved", "resolved_quickly", 0.01),
            d.draw(arr(st.lists(st.floats(-50, 200), min_size=4, max_size=4))),
            _scalar(d, st.floats(0.0, 1.0)),
        ),
        finite,
    ),
    _t(
        "MigrationModel.simulate_value",
        lambda d: MM.simulate_value(
            d.draw(arr(st.lists(st.integers(0, 3), max_size=6))),
            d.draw(arr(st.lists(st.floats(-50, 200), min_size=4, max_size=4))),
            _scalar(d, st.floats(0.0, 1.0)),
            d.draw(st.integers(-1, 10)),
            rng=d.draw(st.integers(0, 99)),
        ),
        finite,
    ),
    _t(
        "MigrationModel.what_if",
        lambda d: MM.what_if(
            d.draw(st.sampled_from([0, 1, 2, 3, 9, "RETAIN", "x"])),
            d.draw(st.sampled_from([0, 1, 2, 3, "RECOVER"])),
            _scalar(d, unit),
            d.draw(arr(st.lists(st.floats(-50, 200), min_size=4, max_size=4))),
            _scalar(d, st.floats(0.0, 1.0)),
        ),
        finite,
    ),
    _t(
        "MigrationEstimate.posterior_draws",
        lambda d: ESTIMATE.posterior_draws(
            d.draw(st.one_of(st.integers(-1, 20), adversarial_scalars())),
            rng=d.draw(st.integers(0, 9)),
        ),
        prob,
    ),
    _t(
        "MigrationEstimate.credible_intervals",
        lambda d: ESTIMATE.credible_intervals(_scalar(d, unit)),
        prob,
    ),
    _t(
        "RepurchasePosterior.draws",
        lambda d: POSTERIOR.draws(
            d.draw(st.one_of(st.integers(-1, 20), adversarial_scalars())),
            rng=d.draw(st.integers(0, 9)),
        ),
        prob,
    ),
    _t(
        "RepurchasePosterior.rate_intervals",
        lambda d: POSTERIOR.rate_intervals(_scalar(d, unit)),
        prob,
    ),
    _t(
        "RepurchaseTree.from_leaves",
        lambda d: lifecycle.RepurchaseTree.from_leaves(
            d.draw(arr(st.just([0.5, 0.2, 0.1, 0.1, 0.1]))),
            d.draw(arr(st.lists(unit, min_size=5, max_size=5))),
        ),
        lambda t: prob(t.intent),
    ),
    _t(
        "RepurchaseTree.gain",
        lambda d: TREE.gain(
            d.draw(st.sampled_from([*lifecycle.LEAVES, "x"])),
            d.draw(st.sampled_from([*lifecycle.LEAVES, "x"])),
            _scalar(d, st.floats(0.0, 0.05)),
        ),
        lambda g: finite(g, skip=frozenset({"customers", "money"})),  # documented NaN
    ),
    _t(
        "StagePolicy",
        lambda d: lifecycle.StagePolicy(
            retain_min_purchases=d.draw(st.one_of(st.integers(-1, 5), adversarial_scalars())),
            p_alive_recover=_scalar(d, unit),
            p_alive_terminate=_scalar(d, unit),
            recover_after=_scalar(d, st.floats(0.0, 50.0)),
            terminate_after=_scalar(d, st.one_of(st.floats(50.0, 100.0), st.just(math.inf))),
        ),
        _policy_check,
    ),
    _t(
        "SegmentMap",
        lambda d: segments.SegmentMap(
            [
                segments.SegmentRule(
                    "a",
                    recency=d.draw(
                        st.one_of(
                            st.none(),
                            st.tuples(st.integers(-1, 6), st.integers(-1, 6)),
                            adversarial_scalars(),
                        )
                    ),
                )
            ],
            k=d.draw(st.one_of(st.integers(-2, 12), adversarial_scalars())),
        ),
        lambda m: nonneg(m.lookup),
    ),
    _t(
        "LorenzCurve.top_share",
        lambda d: segments.lorenz_curve([1.0, 2.0, 7.0]).top_share(_scalar(d, unit)),
        prob,
    ),
]


def fitted_params(p: Any) -> None:
    arr_ = p.as_array()
    assert np.all(np.isfinite(arr_))
    assert np.all(arr_ > 0)


#: The thorough (ci) profile runs at least this many examples per property; there the fuzz
#: targets get 2.5x more again and at least CI_MIN_INPUTS each, so every target receives
#: thousands of inputs (cheap ones 2,000; medium and slow ones 1,000).
CI_MAX_EXAMPLES = 100
CI_MIN_INPUTS = 1000


def _examples(target: Target) -> int:
    base = settings.default.max_examples
    if base >= CI_MAX_EXAMPLES:
        return max(CI_MIN_INPUTS, int(base * target.cost * 2.5))
    # The quick default profile (the README's test command) tries a quarter of that: CI runs
    # every target again under the thorough ci profile.
    return max(1, base * target.cost // 4)


def _run_one(target: Target, data: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = target.call(data)
        except ALLOWED_ERRORS as exc:
            assert str(exc).strip(), f"{target.name}: {type(exc).__name__} without a message"  # noqa: PT017
            result = None
        except Exception as exc:
            raise AssertionError(
                f"{target.name} raised {type(exc).__name__}: {exc} (only InvalidInputError/"
                "InvalidTypeError are allowed)"
            ) from exc
    foreign = [w for w in caught if not issubclass(w.category, CustValueWarning)]
    assert not foreign, (
        f"{target.name} issued foreign warnings: {[str(w.message) for w in foreign]}"
    )
    if result is not None:
        target.check(result)


@pytest.mark.hypothesis  # selected by `-m hypothesis` (.ci/explore.sh) like every @given test
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz_target(target: Target) -> None:
    @settings(max_examples=_examples(target))
    @given(st.data())
    def run(data: Any) -> None:
        CALLS[target.name] += 1
        _run_one(target, data)

    run()


def test_every_public_callable_is_a_target() -> None:
    """A new public function must get a fuzz target (or a reason in this list)."""
    names = {t.name.split(".")[0] for t in TARGETS}
    # allowed_matrix takes no input; score is the DataFrame adapter (tests/test_frame.py)
    no_input = {"allowed_matrix", "score"}
    for module in (custvalue, clv, segments, lifecycle):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type) and name not in no_input:
                assert name in names, f"{module.__name__}.{name} has no fuzz target"


def test_zz_every_target_received_its_inputs() -> None:
    """Runs last (file order): each target got at least the profile's share of inputs."""
    if not CALLS:
        pytest.skip("the fuzz targets did not run in this session")
    for target in TARGETS:
        if target.name in CALLS:
            # hypothesis may stop early when a strategy is exhausted; demand 80%
            assert CALLS[target.name] >= 0.8 * _examples(target), (target.name, CALLS[target.name])
    total = sum(CALLS.values())
    assert total >= 0.8 * sum(_examples(t) for t in TARGETS if t.name in CALLS)


# ---------------------------------------------------------------- regressions found by fuzzing
_RAGGED = [[1.0, 2.0], [3.0]]
REGRESSIONS: list[tuple[str, Callable[[], Any]]] = [
    ("GammaGammaParams(None)", lambda: clv.GammaGammaParams(None, 1.0, 1.0)),
    ("GammaGammaParams('')", lambda: clv.GammaGammaParams("", 1.0, 1.0)),
    ("spend_frequency_independence(level=None)",
     lambda: clv.spend_frequency_independence([1, 2, 3], [1.0, 2.0, 3.0], level=None)),
    ("simulate_bgnbd(rng=-1)", lambda: clv.simulate_bgnbd(BG.params, [1.0], rng=-1)),
    ("MigrationModel.simulate(rng=-1)", lambda: MM.simulate([0], 2, rng=-1)),
    ("continuous_discount_rate overflow", lambda: clv.continuous_discount_rate(1.0, 5e-324)),
    # found by the ci profile: all T = 0 (no information) and an overflowing spend start
    ("BetaGeo.fit(T=0)", lambda: clv.BetaGeo.fit([0.0], [0.0], [0.0])),
    # 1 + d rounds to 1 on a chain that never stops: the value system is singular
    ("MigrationModel.value(d=5e-45)", lambda: MM.value([0.0, 1.0, 0.0, 0.0], 5e-45)),
    ("MigrationModel.what_if(d=5e-45)",
     lambda: MM.what_if(1, 2, 5e-324, [0.0, 1.0, 0.0, 0.0], 5.073578458319586e-45)),
    ("market_share([], [])", lambda: segments.market_share([], [])),
    ("tier_profiles length mismatch", lambda: segments.tier_profiles([0, 1], [1.0, 2.0], [1.0])),
    ("loyalty_ladder(referred=ragged)", lambda: segments.loyalty_ladder([1, 2], referred=_RAGGED)),
    ("MigrationModel(ragged)", lambda: lifecycle.MigrationModel(_RAGGED)),
    ("MigrationModel(dict)", lambda: lifecycle.MigrationModel({"a": 1})),
    ("count_transitions(ragged)", lambda: lifecycle.count_transitions(_RAGGED)),
    ("check_transitions shapes", lambda: lifecycle.check_transitions([0, 1], [0, 1, 1])),
    ("repurchase_intent(None)", lambda: lifecycle.repurchase_intent(*[0.5] * 9, None)),
    ("repurchase_intent(str)", lambda: lifecycle.repurchase_intent(*[0.5] * 9, "a")),
    ("intent_derivative(ragged)",
     lambda: lifecycle.intent_derivative_complaint_share(*[0.5] * 7, _RAGGED)),
    ("MigrationModel.absorbing singular", lambda: lifecycle.MigrationModel(
        [[1 - 5e-324, 0.0, 0.0, 5e-324], [0.0, 1 - 1e-300, 1e-300, 0.0],
         [0.0, 0.5, 0.0, 0.5], [0.0, 0.0, 0.0, 1.0]]).absorbing()),
    ("StagePolicy(retain_min_purchases=inf)",
     lambda: lifecycle.StagePolicy(retain_min_purchases=math.inf)),
    ("SegmentRule(recency=':')", lambda: segments.SegmentRule("a", recency=":")),
    ("SegmentMap(k=83291)", lambda: segments.SegmentMap(segments.RF_SEGMENT_MAP.rules, k=83291)),
    ("lifetimes CLV months=2**40 (memory)", lambda: clv.lifetimes_customer_lifetime_value(
        BG, GG, [1], [1.0], [2.0], [10.0], months=2**40)),
    ("posterior_draws(2**40) (memory)", lambda: ESTIMATE.posterior_draws(2**40, rng=0)),
    ("MigrationModel.forecast(periods=2**40) (memory)", lambda: MM.forecast([1, 0, 0, 0], 2**40)),
    ("stage_history(cutoffs=ragged)", lambda: lifecycle.stage_history(
        [1, 2], np.array(["2000-01-01", "2000-02-01"], dtype="datetime64[D]"), _RAGGED,
        p_alive=BG)),
]  # fmt: skip


@pytest.mark.parametrize(("label", "call"), REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regression_bad_input_raises_our_error(label: str, call: Callable[[], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ALLOWED_ERRORS) as info:
            call()
    assert str(info.value).strip()


def test_regression_empty_histories_value_zero() -> None:
    """CLV/DET of no customers used to crash in a min/max reduction; now an empty array."""
    out = clv.customer_lifetime_value(BG, GG, [], [], [], [], horizon=10.0, discount_rate=0.01)
    assert out.shape == (0,)
    det = clv.discounted_expected_transactions(BG, [], [], [], horizon=10.0, discount_rate=0.1)
    assert det.shape == (0,)


def test_regression_quiet_numerics_at_extremes() -> None:
    """No numpy RuntimeWarning escapes (t = 0 in ln P(X=n); x m overflowing in Gamma-Gamma)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert BG.probability_of_purchases(0, 0.0) == 1.0
        assert BG.log_probability_of_purchases(3, 0.0) == -np.inf
        assert np.isfinite(GG.log_likelihood_per_customer(1e300, 1e300))
        # ln(gamma + x m) = logaddexp form agrees with the direct form where both work
        x, m = 7.0, 3.25
        p, q, g = 6.25, 3.74, 15.44
        direct = (
            lgamma(p * x + q)
            - lgamma(p * x)
            - lgamma(q)
            + q * math.log(g)
            + (p * x - 1) * math.log(m)
            + p * x * math.log(x)
            - (p * x + q) * math.log(g + x * m)
        )
        assert float(GG.log_likelihood_per_customer(x, m)) == pytest.approx(direct, rel=1e-13)
        # frequencies whose squares overflow (the Gamma-Gamma start heuristic falls back)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CustValueWarning)
            warnings.simplefilter("error", RuntimeWarning)
            huge = clv.GammaGamma.fit([2.0**512, 2.0**512], [1.0, 3.0])
        assert np.all(np.isfinite(huge.params.as_array()))
        # lifetimes' monthly discount (1 + rate)^i overflowing: those months are worth 0
        legacy = clv.lifetimes_customer_lifetime_value(
            BG, GG, [2.0], [10.0], [30.0], [25.0], months=105, monthly_discount_rate=862.0
        )
        assert np.all(np.isfinite(legacy))
        assert np.all(legacy > 0)
        # a discount rate whose quarter underflows (5e-324 / 4 == 0) is no discounting
        args = (BG, [2.0], [20.0], [30.0])
        tiny = clv.discounted_expected_transactions(*args, horizon=20.0, discount_rate=5e-324)
        none = clv.discounted_expected_transactions(*args, horizon=20.0, discount_rate=0.0)
        np.testing.assert_allclose(tiny, none, rtol=1e-12)


def test_regression_empty_segmentation_shares_are_zero() -> None:
    seg = segments.loyalty_ladder(np.array([], dtype=float))
    assert np.array_equal(seg.table.customer_share, np.zeros(len(seg.table.segment)))
