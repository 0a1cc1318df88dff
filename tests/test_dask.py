"""custvalue.dask: the workflow on a Dask DataFrame equals the in-memory path.

The integration tests run on a real ``distributed.LocalCluster`` (2 worker processes, one
thread each, a memory limit per worker), with a date-ordered log split into many partitions so
that customers span partitions. A property test runs on the synchronous scheduler.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from strategies import transaction_logs  # noqa: E402

from custvalue import dask as cvd  # noqa: E402
from custvalue._collapse import collapse_rows  # noqa: E402
from custvalue.clv import (  # noqa: E402
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    continuous_discount_rate,
    customer_lifetime_value,
)
from custvalue.errors import InvalidInputError, InvalidTypeError  # noqa: E402
from custvalue.summary import summarize_transactions  # noqa: E402

N_CUSTOMERS = 30_000
N_PARTITIONS = 24
END = np.datetime64("2024-09-29", "D")


def _bgnbd_log(n: int, seed: int) -> dict[str, np.ndarray]:
    """A date-ordered log from the BG/NBD process (CDNOW parameters in days), with Gamma-Gamma
    amounts rounded to quarters (exact binary fractions, so sums do not depend on order)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(0.243, 1.0 / (4.414 * 7), size=n)
    drop = rng.beta(0.793, 2.426, size=n)
    first = rng.integers(0, 84, size=n) + rng.random(n)
    who, when = [np.arange(n)], [first]
    last, active = first.copy(), np.arange(n)
    while active.size:
        t = last[active] + rng.exponential(1.0, size=active.size) / lam[active]
        ok = t < 273
        active, t = active[ok], t[ok]
        who.append(active)
        when.append(t)
        last[active] = t
        active = active[rng.random(active.size) >= drop[active]]
    cust = np.concatenate(who)
    day = np.floor(np.concatenate(when)).astype(np.int64)
    order = np.argsort(day, kind="stable")
    cust, day = cust[order], day[order]
    nu = rng.gamma(3.74, 1.0 / 15.44, size=n)  # Gamma-Gamma spends at CDNOW's parameters
    amount = np.maximum(np.round(4.0 * rng.gamma(6.25, 1.0, size=cust.size) / nu[cust]), 1.0) / 4
    ids = 10_000 + 3 * rng.permutation(n)
    return {
        "customer_id": ids[cust],
        "date": np.datetime64("2024-01-01", "D") + day,
        "amount": amount,
    }


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        memory_limit="1GiB",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def log() -> dict[str, np.ndarray]:
    return _bgnbd_log(N_CUSTOMERS, seed=7)


@pytest.fixture(scope="module")
def frame(log: dict[str, np.ndarray]) -> Any:
    pdf = pd.DataFrame(log)
    return dd.from_pandas(pdf, npartitions=N_PARTITIONS, sort=False)


@pytest.fixture(scope="module")
def dask_summary(client: Any, frame: Any) -> Any:
    return cvd.summarize_transactions(
        frame, monetary="amount", observation_end=END, time_unit="W"
    ).persist()


@pytest.fixture(scope="module")
def summary(log: dict[str, np.ndarray]) -> Any:
    return summarize_transactions(
        log["customer_id"], log["date"], log["amount"], observation_end=END, time_unit="W"
    )


def _sorted(frame: Any) -> Any:
    return frame.compute().sort_values("customer_id").reset_index(drop=True)


def test_customers_span_partitions(frame: Any) -> None:
    parts = [set(p.compute()["customer_id"].tolist()) for p in frame.partitions]
    seen: dict[int, int] = {}
    for part in parts:
        for c in part:
            seen[c] = seen.get(c, 0) + 1
    spanning = sum(v > 1 for v in seen.values())
    assert frame.npartitions == N_PARTITIONS
    assert spanning > 1000  # many customers have purchases in several partitions


@pytest.mark.slow  # ~30-70 s: run by CI's second step (pytest -m slow)
def test_summary_equals_in_memory(dask_summary: Any, summary: Any) -> None:
    got = _sorted(dask_summary)
    assert list(got.columns) == list(cvd.SUMMARY_COLUMNS)
    assert got["customer_id"].to_numpy().tolist() == summary.customer_id.tolist()
    np.testing.assert_array_equal(got["frequency"].to_numpy(), summary.frequency)
    np.testing.assert_array_equal(got["recency"].to_numpy(), summary.recency)
    np.testing.assert_array_equal(got["T"].to_numpy(), summary.T)
    # amounts are exact binary fractions, so even the mean spends agree bit for bit
    np.testing.assert_array_equal(got["monetary_value"].to_numpy(), summary.monetary_value)
    assert summary.frequency.max() >= 5
    assert (summary.frequency == 0).any()


def test_summary_string_ids_dates_and_default_end(client: Any, log: dict[str, Any]) -> None:
    n = 20_000  # a prefix of the log, dates as ISO strings, ids as strings
    ids = np.char.add("c", log["customer_id"][:n].astype(str))
    dates = log["date"][:n].astype(str)
    pdf = pd.DataFrame({"cid": ids, "day": dates})
    ddf = dd.from_pandas(pdf, npartitions=7, sort=False)
    got = _sorted(cvd.summarize_transactions(ddf, customer_id="cid", date="day", time_unit="D"))
    ref = summarize_transactions(ids, dates)  # default end: the last date
    assert "monetary_value" not in got.columns
    assert got["customer_id"].tolist() == ref.customer_id.tolist()
    np.testing.assert_array_equal(got["frequency"].to_numpy(), ref.frequency)
    np.testing.assert_array_equal(got["recency"].to_numpy(), ref.recency)
    np.testing.assert_array_equal(got["T"].to_numpy(), ref.T)


def test_summary_observation_end_drops_later_rows(client: Any, frame: Any, log: Any) -> None:
    end = np.datetime64("2024-03-01", "D")
    got = _sorted(cvd.summarize_transactions(frame, monetary="amount", observation_end=end))
    ref = summarize_transactions(
        log["customer_id"], log["date"], log["amount"], observation_end=end
    )
    assert len(got) == ref.n_customers < N_CUSTOMERS
    np.testing.assert_array_equal(got["T"].to_numpy(), ref.T)
    np.testing.assert_array_equal(got["monetary_value"].to_numpy(), ref.monetary_value)


def test_unique_histories_are_the_in_memory_collapse(dask_summary: Any, summary: Any) -> None:
    (ux, ut, uT), w = cvd.unique_histories(dask_summary, split_every=3)
    (rx, rt, rT), rw, _ = collapse_rows(summary.frequency.astype(float), summary.recency, summary.T)
    for a, b in ((ux, rx), (ut, rt), (uT, rT), (w, rw)):
        np.testing.assert_array_equal(a, b)
    assert w.sum() == N_CUSTOMERS
    assert ux.size < N_CUSTOMERS / 2  # the driver holds distinct histories, not customers


def test_fits_equal_in_memory_fits(dask_summary: Any, summary: Any) -> None:
    bg, gg = cvd.fit_models(dask_summary)
    bg_ref = BetaGeo.fit(summary.frequency, summary.recency, summary.T)
    gg_ref = GammaGamma.fit(summary.frequency, summary.monetary_value)
    np.testing.assert_allclose(bg.params.as_array(), bg_ref.params.as_array(), rtol=1e-8)
    np.testing.assert_allclose(gg.params.as_array(), gg_ref.params.as_array(), rtol=1e-8)
    assert bg.log_likelihood == pytest.approx(bg_ref.log_likelihood, rel=1e-12)
    assert bg.n_customers == N_CUSTOMERS
    assert gg.n_customers == gg_ref.n_customers
    assert gg.n_excluded == gg_ref.n_excluded
    # the data come from CDNOW-like parameters (in weeks), and the fit recovers them roughly
    assert bg.params.r == pytest.approx(0.243, rel=0.15)
    assert bg.params.alpha == pytest.approx(4.414, rel=0.2)
    # the single-model entry points agree with the combined one
    assert cvd.fit_bgnbd(dask_summary).params == bg.params
    assert cvd.fit_gamma_gamma(dask_summary).params == gg.params


def test_scores_equal_in_memory_predictions(dask_summary: Any, summary: Any) -> None:
    bg = BetaGeo.fit(summary.frequency, summary.recency, summary.T)
    gg = GammaGamma.fit(summary.frequency, summary.monetary_value)
    delta = continuous_discount_rate(0.1, 52)
    scores = cvd.score_customers(dask_summary, bg, gg, horizon=52.0, discount_rate=delta)
    assert isinstance(scores, dd.DataFrame)  # lazy
    got = _sorted(scores)
    x, t_x, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    assert got["customer_id"].tolist() == summary.customer_id.tolist()
    np.testing.assert_allclose(
        got["probability_alive"].to_numpy(), bg.probability_alive(x, t_x, T), rtol=1e-12
    )
    np.testing.assert_allclose(
        got["expected_purchases"].to_numpy(), bg.expected_purchases(52.0, x, t_x, T), rtol=1e-12
    )
    np.testing.assert_allclose(
        got["expected_spend"].to_numpy(), gg.expected_spend(x, m), rtol=1e-12
    )
    clv = customer_lifetime_value(bg, gg, x, t_x, T, m, horizon=52.0, discount_rate=delta)
    np.testing.assert_allclose(got["clv"].to_numpy(), clv, rtol=1e-12)
    assert (clv > 0).all()


def test_scores_partition_fallback_equals(
    dask_summary: Any, summary: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the driver-side table (e.g. codes that would overflow) each partition scores
    its own distinct histories; the values stay those of the in-memory functions."""
    monkeypatch.setattr(cvd, "_history_table", lambda *args: None)
    bg = BetaGeo(BetaGeoParams(r=0.25, alpha=4.5, a=0.8, b=2.4))
    gg = GammaGamma.fit(summary.frequency, summary.monetary_value)
    got = _sorted(cvd.score_customers(dask_summary, bg, gg, horizon=26.0, discount_rate=0.002))
    x, t_x, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    np.testing.assert_allclose(
        got["probability_alive"].to_numpy(), bg.probability_alive(x, t_x, T), rtol=1e-12
    )
    clv = customer_lifetime_value(bg, gg, x, t_x, T, m, horizon=26.0, discount_rate=0.002)
    np.testing.assert_allclose(got["clv"].to_numpy(), clv, rtol=1e-12)


@pytest.mark.parametrize("kind", ["ModifiedBetaGeo", "ParetoNBD"])
def test_scores_of_every_purchase_model_equal_in_memory(
    dask_summary: Any, summary: Any, kind: str
) -> None:
    """Any purchase model of the registry travels to the workers (as JSON, by class name)."""
    import custvalue.clv

    model = getattr(custvalue.clv, kind).fit(summary.frequency, summary.recency, summary.T)
    got = _sorted(cvd.score_customers(dask_summary, model, horizon=26.0))
    x, t_x, T = summary.frequency, summary.recency, summary.T
    np.testing.assert_allclose(
        got["probability_alive"].to_numpy(), model.probability_alive(x, t_x, T), rtol=1e-12
    )
    np.testing.assert_allclose(
        got["expected_purchases"].to_numpy(),
        model.expected_purchases(26.0, x, t_x, T),
        rtol=1e-12,
    )


def test_scores_without_spend_model(dask_summary: Any) -> None:
    bg = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    got = _sorted(cvd.score_customers(dask_summary, bg, horizon=10.0))
    assert list(got.columns) == ["customer_id", "probability_alive", "expected_purchases"]
    # P(alive) is exactly 1 without repeat purchases in the BG/NBD model
    one_timers = _sorted(dask_summary)["frequency"].to_numpy() == 0
    assert one_timers.any()
    assert (got["probability_alive"].to_numpy()[one_timers] == 1.0).all()


def test_bad_inputs(client: Any, frame: Any, dask_summary: Any) -> None:
    bg = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    with pytest.raises(InvalidTypeError, match=r"dask\.dataframe\.DataFrame"):
        cvd.summarize_transactions(pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]}))
    with pytest.raises(InvalidInputError, match="no column"):
        cvd.summarize_transactions(frame, monetary="spend")
    with pytest.raises(InvalidInputError, match="time_unit"):
        cvd.summarize_transactions(frame, time_unit="fortnight")
    with pytest.raises(InvalidInputError, match="horizon"):
        cvd.score_customers(dask_summary, bg, horizon=math.inf)
    with pytest.raises(InvalidInputError, match="discount_rate"):
        cvd.score_customers(dask_summary, bg, horizon=1.0, discount_rate=-0.1)
    with pytest.raises(InvalidTypeError, match="BetaGeo"):
        cvd.score_customers(dask_summary, object(), horizon=1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="split_every"):
        cvd.unique_histories(dask_summary, split_every=1)
    bad = frame.assign(amount=frame["amount"] - 1000.0)  # negative amounts
    with pytest.raises(InvalidInputError, match="amount"):
        cvd.summarize_transactions(bad, monetary="amount", observation_end=END).compute()


@settings(max_examples=15)
@given(logs=transaction_logs(max_rows=60), npartitions=st.integers(1, 6))
def test_summary_property_any_partitioning(logs: dict[str, Any], npartitions: int) -> None:
    """Whatever the partitioning, the Dask summary is the in-memory one (sync scheduler)."""
    pdf = pd.DataFrame(
        {"customer_id": logs["customer_id"], "date": logs["date"], "amount": logs["monetary"]}
    )
    ddf = dd.from_pandas(pdf, npartitions=min(npartitions, len(pdf)), sort=False)
    # "tasks" shuffle: the P2P shuffle (default under a distributed Client) needs workers
    with dask.config.set({"scheduler": "sync", "dataframe.shuffle.method": "tasks"}):
        got = _sorted(
            cvd.summarize_transactions(
                ddf, monetary="amount", observation_end=logs["observation_end"], time_unit="W"
            )
        )
    ref = summarize_transactions(
        logs["customer_id"],
        logs["date"],
        logs["monetary"],
        observation_end=logs["observation_end"],
        time_unit="W",
    )
    assert got["customer_id"].tolist() == ref.customer_id.tolist()
    np.testing.assert_array_equal(got["frequency"].to_numpy(), ref.frequency)
    np.testing.assert_array_equal(got["recency"].to_numpy(), ref.recency)
    np.testing.assert_array_equal(got["T"].to_numpy(), ref.T)
    np.testing.assert_allclose(got["monetary_value"].to_numpy(), ref.monetary_value, rtol=1e-12)


@pytest.mark.slow  # ~30-70 s: run by CI's second step (pytest -m slow)
def test_progress_on_a_distributed_client(client: Any, dask_summary: Any, recorder: Any) -> None:
    """One bar step per finished partition (both tables), then each optimizer's bar."""
    quiet = cvd.fit_models(dask_summary)
    assert recorder.instances == []
    loud = cvd.fit_models(dask_summary, progress=True)
    assert loud == quiet  # progress changes nothing
    parts, bg_bar, gg_bar = recorder.instances
    assert parts.kwargs["unit"] == "partition"
    assert parts.kwargs["total"] == 2 * dask_summary.npartitions
    assert parts.steps == [1] * (2 * dask_summary.npartitions)
    assert bg_bar.kwargs["desc"] == "BetaGeo.fit"
    assert bg_bar.steps == [1] * loud[0].diagnostics.n_iterations
    assert gg_bar.kwargs["desc"] == "GammaGamma.fit"
    assert all(bar.closed for bar in recorder.instances)

    recorder.instances = []
    histories = cvd.unique_histories(dask_summary, progress=True, split_every=3)
    reference = cvd.unique_histories(dask_summary, split_every=3)
    for got, ref in zip(histories[0], reference[0], strict=True):
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(histories[1], reference[1])
    (bar,) = recorder.instances
    assert sum(bar.steps) == bar.kwargs["total"] == dask_summary.npartitions

    recorder.instances = []
    bg = loud[0]
    scores = cvd.score_customers(dask_summary, bg, horizon=10.0, progress=True)
    assert len(recorder.instances) == 1  # the eager pass over the distinct histories
    assert _sorted(scores).shape[0] == dask_summary.shape[0].compute()


def test_progress_on_the_local_schedulers(frame: Any, log: Any, recorder: Any) -> None:
    """Local schedulers report every finished task of the graph; results are unchanged."""
    small = frame.partitions[:4]
    with dask.config.set({"scheduler": "threads", "dataframe.shuffle.method": "tasks"}):
        quiet = _sorted(cvd.summarize_transactions(small, monetary="amount", time_unit="W"))
        loud = _sorted(
            cvd.summarize_transactions(small, monetary="amount", time_unit="W", progress=True)
        )
        pd.testing.assert_frame_equal(quiet, loud)
        (end_bar,) = recorder.instances  # the pass that finds the last date
        assert end_bar.kwargs["unit"] == "task"
        # one task per partition at least (reading, max), plus the merge
        assert sum(end_bar.steps) == end_bar.kwargs["total"] >= small.npartitions + 1
        assert end_bar.closed

        recorder.instances = []
        summary = cvd.summarize_transactions(small, monetary="amount", time_unit="W").persist()
        cvd.unique_histories(summary, progress=True)
        (bar,) = recorder.instances
        assert sum(bar.steps) == bar.kwargs["total"] > summary.npartitions
        with pytest.raises(InvalidTypeError, match="progress must be True or False"):
            cvd.fit_models(summary, progress="yes")  # type: ignore[arg-type]
        with pytest.raises(InvalidTypeError, match="progress must be True or False"):
            cvd.summarize_transactions(small, progress=1)  # type: ignore[arg-type]


# keep object columns as they are (no string conversion); a "tasks" shuffle on the local
# scheduler, as a distributed Client from another test would otherwise make it P2P
_OBJECT_IDS = {
    "dataframe.convert-string": False,
    "scheduler": "sync",
    "dataframe.shuffle.method": "tasks",
}


@pytest.mark.parametrize(
    "ids",
    [
        [1, 2, "a", "b"],  # integers in one partition, strings in the other
        [1, "a", 2, "b"],  # each partition mixes them
    ],
)
def test_mixed_id_types_are_refused_exactly_as_in_memory(ids: list[object]) -> None:
    dates = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    with pytest.raises(InvalidInputError, match="mixes integer and string ids"):
        summarize_transactions(ids, dates)
    frame = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "date": dates})
    with dask.config.set(_OBJECT_IDS):
        log = dd.from_pandas(frame, npartitions=2, sort=False)
        with pytest.raises(InvalidInputError, match="mixes integer and string ids"):
            cvd.summarize_transactions(log).compute(scheduler="sync")


def test_object_column_of_integer_ids_gives_integer_ids_as_in_memory() -> None:
    frame = pd.DataFrame(
        {"customer_id": pd.Series([3, 1, 3, 2], dtype=object), "date": ["2024-01-01"] * 4}
    )
    with dask.config.set(_OBJECT_IDS):
        log = dd.from_pandas(frame, npartitions=2, sort=False)
        out = cvd.summarize_transactions(log).compute(scheduler="sync")
    out = out.sort_values("customer_id")
    assert out["customer_id"].tolist() == [1, 2, 3]
    assert out["customer_id"].dtype.kind == "i"
