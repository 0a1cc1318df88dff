"""custvalue: typed customer-value modeling.

- :mod:`custvalue.clv`: BG/NBD purchase model, Gamma-Gamma spend model, discounted CLV.
- :mod:`custvalue.segments`: RFM, customer pyramid, MVC / MGC / BZ, share of wallet,
  value concentration, satisfaction/loyalty classes.
- :mod:`custvalue.lifecycle`: lifecycle stages, stage-migration Markov models,
  repurchase-intent trees.
- :mod:`custvalue.datasets`: bundled example data (CDNOW sample, donations).
- :mod:`custvalue.errors`: the exception and warning hierarchy.

Everything works on plain numpy arrays; parameters and results are frozen objects.
"""

from __future__ import annotations

from custvalue import clv, datasets, errors, lifecycle, segments
from custvalue._version import __version__
from custvalue.summary import (
    CalibrationHoldout,
    CustomerSummary,
    calibration_holdout_split,
    summarize_transactions,
    time_unit_days,
)

__all__ = [
    "CalibrationHoldout",
    "CustomerSummary",
    "__version__",
    "calibration_holdout_split",
    "clv",
    "datasets",
    "errors",
    "lifecycle",
    "segments",
    "summarize_transactions",
    "time_unit_days",
]
