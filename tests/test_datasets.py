"""Bundled example data: shapes, values, provenance, and an independent re-parse of the files."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pytest

from custvalue import datasets


def test_cdnow_sample_matches_an_independent_parse_of_the_file() -> None:
    log = datasets.load_cdnow_sample()
    text = resources.files("custvalue.datasets").joinpath("CDNOW_sample.txt").read_text()
    rows = [line.split() for line in text.splitlines() if line.strip()]
    assert log.n_rows == len(rows) == 6919
    assert log.customer_id.tolist() == [int(r[1]) for r in rows]
    expected_dates = [dt.datetime.strptime(r[2], "%Y%m%d").date() for r in rows]
    assert log.date.astype(object).tolist() == expected_dates
    assert log.quantity.tolist() == [int(r[3]) for r in rows]
    assert log.amount.tolist() == [float(r[4]) for r in rows]


def test_cdnow_sample_facts() -> None:
    log = datasets.load_cdnow_sample()
    assert log.customer_id.dtype == np.int64
    assert log.date.dtype == np.dtype("datetime64[D]")
    assert log.quantity.dtype == np.int64
    assert log.amount.dtype == np.float64
    assert np.unique(log.customer_id).tolist() == list(range(1, 2358))
    assert str(log.date.min()) == "1997-01-01"
    assert log.date.max() == datasets.CDNOW_OBSERVATION_END
    assert int(log.quantity.sum()) == 16479
    assert round(float(log.amount.sum()), 2) == 244091.94
    # every customer's first purchase is in the first 12 weeks of 1997
    first = np.full(2358, np.datetime64("2100-01-01"), dtype="datetime64[D]")
    np.minimum.at(first, log.customer_id, log.date)
    assert first[1:].max() < np.datetime64("1997-01-01") + np.timedelta64(12 * 7, "D")
    for arr in (log.customer_id, log.date, log.quantity, log.amount):
        assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        log.amount[0] = 1.0


def test_cdnow_summary_and_split() -> None:
    s = datasets.load_cdnow_summary()
    assert s.n_customers == 2357
    assert s.time_unit == "W"
    assert s.observation_end == datasets.CDNOW_CALIBRATION_END
    assert int(s.frequency.sum()) == 2457
    split = datasets.load_cdnow_calibration_holdout()
    assert split.holdout_duration == 39.0
    assert int(split.holdout_frequency.sum()) == 1882
    np.testing.assert_array_equal(split.calibration.recency, s.recency)


def test_donations() -> None:
    d = datasets.load_donations()
    assert d.frequency.size == 22
    assert d.n_donors == 11104
    assert set(d.periods.tolist()) == {6}
    assert np.all((d.frequency <= d.recency) & (d.recency <= d.periods))
    assert np.all((d.frequency == 0) == (d.recency == 0))
    assert (d.frequency[0], d.recency[0], d.weights[0]) == (0, 0, 3464)
    assert (d.frequency[-1], d.recency[-1], d.weights[-1]) == (6, 6, 1203)
    # every (x, t_x) pattern with 1 <= x <= t_x <= 6 appears once, plus (0, 0)
    patterns = set(zip(d.frequency.tolist(), d.recency.tolist(), strict=True))
    assert patterns == {(0, 0)} | {(x, t) for t in range(1, 7) for x in range(1, t + 1)}


def test_provenance_is_shipped() -> None:
    text = resources.files("custvalue.datasets").joinpath("PROVENANCE.md").read_text()
    assert "lifetimes" in text
    assert "brucehardie.com" in text
