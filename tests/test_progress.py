"""Opt-in progress bars: tqdm when asked and installed, silent otherwise, results unchanged."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from custvalue import _progress
from custvalue.clv import BetaGeoParams, simulate_bgnbd
from custvalue.errors import InvalidTypeError

PARAMS = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def test_progress_off_is_silent_and_needs_no_tqdm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    for flag in (False, True):
        bar = _progress.progress_bar(flag, total=3, desc="x")
        bar.update(2)
        bar.close()
        assert type(bar).__name__ == "_Silent"
    assert capsys.readouterr() == ("", "")  # the library never prints


def test_progress_must_be_a_bool() -> None:
    with pytest.raises(InvalidTypeError, match="progress must be True or False"):
        _progress.progress_bar(1, total=3, desc="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="progress must be True or False"):
        simulate_bgnbd(PARAMS, np.full(3, 39.0), rng=0, progress="yes")  # type: ignore[arg-type]


def test_real_tqdm_is_used_when_installed() -> None:
    tqdm_auto = pytest.importorskip("tqdm.auto")
    bar = _progress.progress_bar(True, total=2, desc="real")
    try:
        assert isinstance(bar, tqdm_auto.tqdm)
        bar.update(2)
        assert bar.n == 2
    finally:
        bar.close()


def test_simulate_bgnbd_reports_every_customer_once(recorder: Any) -> None:
    T = np.full(500, 39.0)
    quiet = simulate_bgnbd(PARAMS, T, rng=3, horizon=39.0)
    loud = simulate_bgnbd(PARAMS, T, rng=3, horizon=39.0, progress=True)
    # progress does not touch the random stream
    np.testing.assert_array_equal(quiet.frequency, loud.frequency)
    np.testing.assert_array_equal(quiet.holdout_frequency, loud.holdout_frequency)
    (bar,) = recorder.instances
    assert bar.kwargs["total"] == 500
    assert bar.kwargs["unit"] == "customer"
    assert sum(bar.steps) == 500  # each customer finishes exactly once
    assert min(bar.steps) >= 0
    # one update before the loop, then one per purchase round (>= the most purchases of anyone)
    assert len(bar.steps) - 1 >= int((quiet.frequency + quiet.holdout_frequency).max())
    assert bar.closed


def test_migration_simulation_reports_each_period(recorder: Any) -> None:
    from custvalue.lifecycle import MigrationModel

    P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
    model = MigrationModel(P)
    quiet = model.simulate_value(["ACQUIRE"] * 50, [0.0, 100.0, 20.0, 0.0], 0.1, 12, rng=5)
    loud = model.simulate_value(
        ["ACQUIRE"] * 50, [0.0, 100.0, 20.0, 0.0], 0.1, 12, rng=5, progress=True
    )
    np.testing.assert_array_equal(quiet, loud)
    (bar,) = recorder.instances
    assert bar.kwargs["total"] == 12
    assert bar.steps == [1] * 12
    assert bar.closed


def test_stage_history_reports_each_cutoff(recorder: Any) -> None:
    from custvalue.clv import BetaGeo
    from custvalue.lifecycle import stage_history

    args = (
        [1, 1, 2],
        ["2024-01-01", "2024-02-20", "2024-03-01"],
        ["2023-12-31", "2024-01-31", "2024-03-31"],  # nobody has bought by the first cut-off
    )
    quiet = stage_history(*args, p_alive=BetaGeo(PARAMS))
    loud = stage_history(*args, p_alive=BetaGeo(PARAMS), progress=True)
    assert quiet == loud
    (bar,) = recorder.instances
    assert bar.kwargs["total"] == 3
    assert bar.steps == [1, 1, 1]
    assert bar.closed


def test_fits_report_each_optimizer_iteration(recorder: Any) -> None:
    from custvalue.clv import BetaGeo, GammaGamma
    from custvalue.datasets import load_cdnow_summary

    s = load_cdnow_summary()
    for fit, args in (
        (BetaGeo.fit, (s.frequency, s.recency, s.T)),
        (GammaGamma.fit, (s.frequency, s.monetary_value)),
    ):
        recorder.instances = []
        quiet = fit(*args)  # type: ignore[operator]
        assert recorder.instances == []  # no bar unless asked
        loud = fit(*args, progress=True)  # type: ignore[operator]
        assert loud == quiet  # progress changes nothing
        (bar,) = recorder.instances
        assert bar.kwargs["total"] is None  # iterations are not known in advance
        assert bar.kwargs["desc"] == f"{type(quiet).__name__}.fit"
        assert bar.steps == [1] * loud.diagnostics.n_iterations
        # BG/NBD iterates from a rough start; Gamma-Gamma's start is already the optimum
        assert len(bar.steps) > 5 or fit == GammaGamma.fit
        assert bar.closed
        with pytest.raises(InvalidTypeError, match="progress must be True or False"):
            fit(*args, progress="yes")  # type: ignore[operator]


def test_bootstrap_reports_each_replicate(recorder: Any) -> None:
    from custvalue.clv import BetaGeo, bootstrap
    from custvalue.datasets import load_cdnow_summary

    s = load_cdnow_summary()
    quiet = bootstrap(BetaGeo, s.frequency, s.recency, s.T, n_resamples=3, rng=1)
    loud = bootstrap(BetaGeo, s.frequency, s.recency, s.T, n_resamples=3, rng=1, progress=True)
    assert loud == quiet
    (bar,) = recorder.instances  # one bar: the replicates' fits stay quiet
    assert bar.kwargs["total"] == 3
    assert bar.kwargs["unit"] == "replicate"
    assert bar.steps == [1, 1, 1]
    assert bar.closed
