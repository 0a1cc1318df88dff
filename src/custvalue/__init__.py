"""custvalue: typed customer-value modeling.

CLV estimation (:mod:`custvalue.clv`), value-based segmentation (:mod:`custvalue.segments`),
lifecycle stages and migration (:mod:`custvalue.lifecycle`) on plain numpy arrays.
"""

from __future__ import annotations

from custvalue import errors

__version__ = "0.1.0"

__all__ = ["__version__", "errors"]
