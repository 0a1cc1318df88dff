"""Bundled example data: the CDNOW transaction sample and the donations (BG/BB) data.

The files ship inside the package (see ``PROVENANCE.md`` beside them) and load with numpy
only, no extra dependency. Every loader returns a frozen record of read-only numpy arrays.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._validation import readonly_array
from custvalue.summary import (
    CalibrationHoldout,
    CustomerSummary,
    calibration_holdout_split,
    summarize_transactions,
)

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_OBSERVATION_END",
    "Donations",
    "TransactionLog",
    "load_cdnow_calibration_holdout",
    "load_cdnow_sample",
    "load_cdnow_summary",
    "load_donations",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: End of the papers' 39-week CDNOW calibration period (inclusive).
CDNOW_CALIBRATION_END = np.datetime64("1997-09-30", "D")
#: End of the CDNOW observation window, 78 weeks after 1997-01-01 (inclusive).
CDNOW_OBSERVATION_END = np.datetime64("1998-06-30", "D")


def _read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="ascii")


@attrs.frozen(eq=False)
class TransactionLog:
    """A transaction log: one row per transaction, arrays of shape ``(n_rows,)``.

    Attributes
    ----------
    customer_id
        Customer of each transaction, ``int64``.
    date
        Day of each transaction, ``numpy.datetime64[D]``.
    quantity
        Number of items bought, ``int64``.
    amount
        Value of the transaction (US dollars for CDNOW), ``float64``.
    """

    customer_id: IntArray = attrs.field(converter=readonly_array)
    date: NDArray[np.datetime64] = attrs.field(converter=readonly_array)
    quantity: IntArray = attrs.field(converter=readonly_array)
    amount: FloatArray = attrs.field(converter=readonly_array)

    def to_columns(self) -> Columns:
        """One row per transaction: ``customer_id``, ``date``, ``quantity``, ``amount``."""
        return freeze_columns(attrs.asdict(self, recurse=False))

    @property
    def n_rows(self) -> int:
        """Number of transactions."""
        return int(self.customer_id.size)

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), f"transaction log, {self.n_rows:,} rows")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


@attrs.frozen(eq=False)
class Donations:
    """Discrete-time (frequency, recency) patterns with the number of donors sharing each.

    Attributes
    ----------
    frequency
        Number of repeat donations (years with a donation after the first), ``int64``.
    recency
        Opportunity (year) of the last donation, 0 if none, ``int64``.
    periods
        Number of donation opportunities (years) observed, ``int64``.
    weights
        Number of donors with this pattern, ``int64``.
    """

    frequency: IntArray = attrs.field(converter=readonly_array)
    recency: IntArray = attrs.field(converter=readonly_array)
    periods: IntArray = attrs.field(converter=readonly_array)
    weights: IntArray = attrs.field(converter=readonly_array)

    def to_columns(self) -> Columns:
        """One row per pattern: ``frequency``, ``recency``, ``periods``, ``weights``."""
        return freeze_columns(attrs.asdict(self, recurse=False))

    @property
    def n_donors(self) -> int:
        """Total number of donors (the sum of ``weights``)."""
        return int(self.weights.sum())

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), f"donation patterns of {self.n_donors:,} donors")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


@functools.lru_cache(maxsize=1)
def load_cdnow_sample() -> TransactionLog:
    """The CDNOW 1/10th sample: 6,919 transactions of 2,357 customers, 1997-01-01 to 1998-06-30.

    ``customer_id`` is the sample's customer index (1..2357), the ID used by the published
    per-customer summaries. Several transactions of a customer may fall on the same day.

    Returns
    -------
    TransactionLog
        Arrays of shape ``(6919,)``, read-only.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting Your Customers the Easy Way", Marketing Science
    24(2); data from Bruce Hardie's web site (see ``PROVENANCE.md``).

    Examples
    --------
    >>> log = load_cdnow_sample()
    >>> log.n_rows, int(np.unique(log.customer_id).size)
    (6919, 2357)
    >>> str(log.date.min()), str(log.date.max())
    ('1997-01-01', '1998-06-30')
    """
    raw = np.loadtxt(
        io.StringIO(_read_text("CDNOW_sample.txt")),
        dtype=[
            ("master", np.int64),
            ("customer", np.int64),
            ("ymd", np.int64),
            ("quantity", np.int64),
            ("amount", np.float64),
        ],
    )
    ymd = raw["ymd"]
    year = (ymd // 10000 - 1970).astype("timedelta64[Y]")
    month = (ymd // 100 % 100 - 1).astype("timedelta64[M]")
    day = (ymd % 100 - 1).astype("timedelta64[D]")
    date = (np.datetime64("1970", "Y") + year + month).astype("datetime64[D]") + day
    return TransactionLog(
        customer_id=raw["customer"],
        date=date,
        quantity=raw["quantity"],
        amount=raw["amount"],
    )


@functools.lru_cache(maxsize=1)
def load_cdnow_summary() -> CustomerSummary:
    """The published CDNOW calibration summary: 39 weeks to 1997-09-30, in weeks.

    Equivalent to ``summarize_transactions(log.customer_id, log.date, log.amount,
    observation_end="1997-09-30", time_unit="W")`` on :func:`load_cdnow_sample`; this is the
    ``(x, t_x, T)`` data of Fader, Hardie and Lee (2005) and, for the 946 repeat buyers,
    the ``m_x`` data of the Gamma-Gamma note.

    Examples
    --------
    >>> s = load_cdnow_summary()
    >>> s.n_customers, int(s.frequency.sum()), s.time_unit
    (2357, 2457, 'W')
    >>> int(s.frequency[0]), round(float(s.recency[0]), 2), round(float(s.T[0]), 2)
    (2, 30.43, 38.86)
    """
    log = load_cdnow_sample()
    return summarize_transactions(
        log.customer_id,
        log.date,
        log.amount,
        observation_end=CDNOW_CALIBRATION_END,
        time_unit="W",
    )


@functools.lru_cache(maxsize=1)
def load_cdnow_calibration_holdout() -> CalibrationHoldout:
    """The CDNOW 39-week calibration summary plus the next 39 weeks' holdout, in weeks.

    Examples
    --------
    >>> split = load_cdnow_calibration_holdout()
    >>> int(split.holdout_frequency.sum()), split.holdout_duration
    (1882, 39.0)
    """
    log = load_cdnow_sample()
    return calibration_holdout_split(
        log.customer_id,
        log.date,
        log.amount,
        calibration_end=CDNOW_CALIBRATION_END,
        observation_end=CDNOW_OBSERVATION_END,
        time_unit="W",
    )


@functools.lru_cache(maxsize=1)
def load_donations() -> Donations:
    """The donations data (Fader, Hardie and Shang 2010): 22 patterns of 11,104 donors.

    Six annual donation opportunities after the first donation (``periods == 6``).

    References
    ----------
    Fader, Hardie and Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual
    Setting", Marketing Science 29(6), table 1.

    Examples
    --------
    >>> d = load_donations()
    >>> d.frequency.size, d.n_donors
    (22, 11104)
    """
    text = _read_text("donations.csv")
    header = text.splitlines()[0].strip().split(",")
    if header != ["frequency", "recency", "periods", "weights"]:  # pragma: no cover - packaging
        raise RuntimeError(f"donations.csv has an unexpected header: {header}")
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    cols = [table[:, j] for j in range(4)]
    return Donations(frequency=cols[0], recency=cols[1], periods=cols[2], weights=cols[3])
