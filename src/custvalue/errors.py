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
    "CustValueDeprecationWarning",
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


class CustValueDeprecationWarning(CustValueWarning, DeprecationWarning):
    """A public name or argument is deprecated and will be removed in a stated version.

    A :class:`DeprecationWarning` (not a :class:`FutureWarning`): Python shows it where the
    deprecated call is written in ``__main__``, a script or a notebook cell, which is where
    it can be fixed, and hides it by default when the call sits inside another installed
    library, whose users cannot act on it (test runners such as pytest show it there too).
    It is also a :class:`CustValueWarning`, so ``-W error::custvalue.errors.CustValueWarning``
    catches it with the rest. The message names the replacement and the version of the
    removal; see ``docs/versioning.md`` for the policy.
    """
