"""custvalue: typed customer-value modeling.

- :mod:`custvalue.clv`: BG/NBD purchase model, Gamma-Gamma spend model, discounted CLV.
- :mod:`custvalue.segments`: RFM, customer pyramid, MVC / MGC / BZ, share of wallet,
  value concentration, satisfaction/loyalty classes.
- :mod:`custvalue.lifecycle`: lifecycle stages, stage-migration Markov models,
  repurchase-intent trees.
- :mod:`custvalue.datasets`: bundled example data (CDNOW sample, donations).
- :mod:`custvalue.errors`: the exception and warning hierarchy.

Everything works on plain numpy arrays; parameters and results are frozen objects.

The subpackages and names above load on first use (PEP 562), so ``import custvalue`` does not
import SciPy, and the optional extras load only with the module that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custvalue._lazy import attach
from custvalue._version import __version__

if TYPE_CHECKING:
    from custvalue import clv, datasets, errors, lifecycle, segments
    from custvalue.summary import (
        CalibrationHoldout,
        CustomerSummary,
        calibration_holdout_split,
        summarize_transactions,
        time_unit_days,
    )

# Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "CalibrationHoldout": "custvalue.summary",
    "CustomerSummary": "custvalue.summary",
    "calibration_holdout_split": "custvalue.summary",
    "clv": "custvalue.clv",
    "datasets": "custvalue.datasets",
    "errors": "custvalue.errors",
    "lifecycle": "custvalue.lifecycle",
    "segments": "custvalue.segments",
    "summarize_transactions": "custvalue.summary",
    "time_unit_days": "custvalue.summary",
}

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

__getattr__, __dir__ = attach(__name__, _EXPORTS)
