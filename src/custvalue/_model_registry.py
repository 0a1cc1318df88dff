"""The purchase-model classes by name: one list for the CLI, bootstrap and Dask.

A new purchase model is added here once (class name -> module, and its short CLI name);
``custvalue score --model``, :func:`~custvalue.clv.bootstrap` and
:func:`custvalue.dask.score_customers` then accept it.
"""

from __future__ import annotations

import importlib
from typing import Any

from custvalue.errors import InvalidInputError

__all__ = ["CLI_NAMES", "PURCHASE_MODELS", "purchase_model_class"]

#: Purchase-model class name -> module that defines it.
PURCHASE_MODELS: dict[str, str] = {
    "BetaGeo": "custvalue.clv.bgnbd",
    "BetaGeoBetaBinom": "custvalue.clv.bgbb",
    "ModifiedBetaGeo": "custvalue.clv.mbgnbd",
    "ParetoNBD": "custvalue.clv.pareto_nbd",
}

#: Short names of ``custvalue score --model`` -> class name (continuous-time models only: the
#: command summarises dated transactions; BG/BB needs period labels, see ``bgbb_histories``).
CLI_NAMES: dict[str, str] = {
    "bgnbd": "BetaGeo",
    "mbgnbd": "ModifiedBetaGeo",
    "pnbd": "ParetoNBD",
}


def purchase_model_class(name: str) -> Any:
    """The purchase-model class called ``name`` (a key of :data:`PURCHASE_MODELS`)."""
    if name not in PURCHASE_MODELS:
        raise InvalidInputError(
            f"unknown purchase model {name!r}; known: {', '.join(sorted(PURCHASE_MODELS))}"
        )
    return getattr(importlib.import_module(PURCHASE_MODELS[name]), name)
