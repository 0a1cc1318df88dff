"""MBG/NBD math kernels: the BG/NBD kernels with a dropout opportunity at time 0.

In the MBG/NBD model (Batislam, Denizel and Filiztekin 2007; Wagner and Hoppe 2008) a
customer may also drop out right after the first purchase, so a history of ``x`` repeat
purchases has survived ``x + 1`` dropout opportunities. That is the only difference from
BG/NBD, so every function here is a :mod:`custvalue.clv._bgnbd_kernels` function with
``dropout_at_zero=True``; same arguments, same conventions (``r, alpha, a, b`` last). A new
customer is a customer with the empty history ``x = t_x = T = 0`` (alive with probability
``b/(a+b)``, then buying as a BG/NBD customer with ``(r, alpha, a, b+1)``).
"""

from __future__ import annotations

import functools

from numpy.typing import ArrayLike

from custvalue.clv import _bgnbd_kernels as bg
from custvalue.clv._bgnbd_kernels import FloatArray

__all__ = [
    "expected_purchases_conditional",
    "expected_purchases_new",
    "log_conditional_probability_of_purchases",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_odds_dead",
    "log_probability_of_purchases",
    "probability_alive",
    "probability_no_purchase_conditional",
]

#: Per-customer log-likelihood, Batislam et al. (2007) eq. (3) (Wagner and Hoppe's form).
log_likelihood = functools.partial(bg.log_likelihood, dropout_at_zero=True)
log_likelihood_gradient = functools.partial(bg.log_likelihood_gradient, dropout_at_zero=True)
log_odds_dead = functools.partial(bg.log_odds_dead, dropout_at_zero=True)
#: ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``, < 1 also for x = 0.
probability_alive = functools.partial(bg.probability_alive, dropout_at_zero=True)
#: ``P(alive) E_alive(t; r+x, alpha+T, a, b+x+1)`` (Wagner and Hoppe 2008, eq. 11).
expected_purchases_conditional = functools.partial(
    bg.expected_purchases_conditional, dropout_at_zero=True
)
probability_no_purchase_conditional = functools.partial(
    bg.probability_no_purchase_conditional, dropout_at_zero=True
)
log_conditional_probability_of_purchases = functools.partial(
    bg.log_conditional_probability_of_purchases, dropout_at_zero=True
)


def expected_purchases_new(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """E[X(t)] of a new customer: ``b/(a+b) E_alive(t; r, alpha, a, b+1)`` (Batislam et al.
    2007 eq. 4, ``b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]``), as the
    conditional expectation of the empty history."""
    return expected_purchases_conditional(t, 0.0, 0.0, 0.0, r, alpha, a, b)


def log_probability_of_purchases(
    n: ArrayLike, t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """ln P(X(t) = n) of a new customer: ``b/(a+b) P_BG(n; t, r, alpha, a, b+1) + 1{n=0}
    a/(a+b)`` (dropped out at time 0), as the conditional PMF of the empty history."""
    return log_conditional_probability_of_purchases(n, t, 0.0, 0.0, 0.0, r, alpha, a, b)
