"""Exceptions and warnings raised by custvalue.

Every error inherits from :class:`CustValueError` *and* from the matching built-in
(``ValueError``, ``TypeError``, ``RuntimeError``), so existing ``except ValueError``
clauses keep working. Warnings are our own classes; the library never changes the global
warning filters.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConvergenceError",
    "ConvergenceWarning",
    "CustValueError",
    "CustValueWarning",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelAssumptionWarning",
    "NonPositiveSpendWarning",
    "PersistenceError",
]


class CustValueError(Exception):
    """Base class of every exception raised by custvalue."""


class InvalidInputError(CustValueError, ValueError):
    """An argument has an invalid value.

    The message names the argument and, for arrays, the first bad index and value.
    """


class InvalidTypeError(CustValueError, TypeError):
    """An argument has a type that cannot be converted to what is expected."""


class PersistenceError(CustValueError, ValueError):
    """A persisted (JSON) document is malformed, truncated or from an unknown schema version."""


class ConvergenceError(CustValueError, RuntimeError):
    """A fit did not converge and ``strict=True`` was requested.

    Attributes
    ----------
    result
        The optimizer's result object (whatever the fitting routine produced), for inspection.
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class CustValueWarning(UserWarning):
    """Base class of every warning issued by custvalue."""


class ConvergenceWarning(CustValueWarning):
    """A fit did not converge, hit a parameter bound, or has a non-positive-definite Hessian."""


class ModelAssumptionWarning(CustValueWarning):
    """The data or parameters violate an assumption of the model (e.g. Gamma-Gamma q <= 1)."""


class NonPositiveSpendWarning(ModelAssumptionWarning):
    """Repeat buyers with a mean spend <= 0 (refunds, free items) were left out of a spend-model
    fit; the warning gives their number and the first of them."""
