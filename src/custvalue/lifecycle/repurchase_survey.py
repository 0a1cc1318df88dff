"""Repurchase-intent trees estimated from survey counts, with Beta/Dirichlet posteriors.

Each leaf's intent rate gets a ``Beta(a + y_k, b + n_k - y_k)`` posterior (``n_k`` respondents
in leaf ``k``, ``y_k`` of them intending to repurchase). Leaf shares are either given by the
caller (e.g. from operational data) or estimated from the respondent counts with a
``Dirichlet(n_k + share_prior)`` posterior. Totals (overall intent, no-intent share, each
leaf's lost share) get Monte Carlo credible intervals.

References
----------
Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed., sec. 2.4 (Beta-binomial) and
3.4 (Dirichlet-multinomial).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._html import TableView, html_table, text_table
from custvalue._json import ARRAY_EQ, JsonMixin, to_float64
from custvalue._validation import as_count, as_float_array, as_level, as_rng, as_scalar, fail_at
from custvalue.errors import InvalidInputError
from custvalue.lifecycle.repurchase import LEAVES, SHARE_TOLERANCE, RepurchaseTree

__all__ = ["IntentSummary", "RepurchasePosterior"]

FloatArray = NDArray[np.float64]


def _leaf_vector(value: ArrayLike, name: str, **checks: Any) -> FloatArray:
    arr = as_float_array(value, name, ndim=1, **checks)
    if arr.shape != (5,):
        raise InvalidInputError(
            f"{name} must have shape (5,) in LEAVES order {LEAVES}; got {arr.shape}"
        )
    return arr


@attrs.frozen
class IntentSummary(JsonMixin):
    """Posterior means and equal-tailed credible intervals of the tree's totals.

    Attributes
    ----------
    level
        Credible level (e.g. 0.95).
    intent
        ``[mean, lower, upper]`` of the overall repurchase-intent rate.
    no_intent
        ``[mean, lower, upper]`` of the share without intent, ``1 - intent``.
    lost
        Shape (3, 5): mean, lower, upper of each leaf's share of lost customers
        (``share_k (1 - r_k)``), :data:`LEAVES` order.
    """

    level: float
    intent: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    no_intent: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    lost: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)

    def _view(self) -> TableView:
        rows = [("overall intent", *self.intent), ("no intent", *self.no_intent)]
        rows += [(f"lost: {leaf}", *self.lost[:, k]) for k, leaf in enumerate(LEAVES)]
        return TableView(["quantity", "mean", "lower", "upper"], rows, f"level {self.level:g}")

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())


@attrs.frozen
class RepurchasePosterior(JsonMixin):
    """Posterior over a :class:`RepurchaseTree` from survey counts.

    Attributes
    ----------
    rate_alpha, rate_beta
        Beta posterior parameters of each leaf's intent rate, shape (5,).
    leaf_shares
        Posterior mean (or fixed) share of the customer base in each leaf, shape (5,).
    share_concentration
        ``alpha_0`` of the Dirichlet posterior of the shares, ``alpha = leaf_shares *
        alpha_0``; 0 when the shares were given by the caller (fixed).
    """

    rate_alpha: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    rate_beta: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    leaf_shares: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    share_concentration: float

    @classmethod
    def from_counts(
        cls,
        respondents: ArrayLike,
        intending: ArrayLike,
        *,
        leaf_shares: ArrayLike | None = None,
        rate_prior: tuple[float, float] = (1.0, 1.0),
        share_prior: float = 1.0,
    ) -> RepurchasePosterior:
        """Posterior from survey counts per leaf.

        Parameters
        ----------
        respondents
            Respondents per leaf, shape (5,), :data:`LEAVES` order, whole numbers >= 0.
        intending
            How many of them intend to repurchase, ``0 <= intending <= respondents``.
        leaf_shares
            Known shares of the customer base per leaf (sum 1). ``None``: estimated from
            ``respondents`` (only valid for a representative sample of all customers).
        rate_prior
            Beta prior ``(a, b)`` of every leaf rate, both > 0. Default uniform ``(1, 1)``.
        share_prior
            Dirichlet pseudo-count per leaf for estimated shares, > 0. Default 1.

        Examples
        --------
        >>> post = RepurchasePosterior.from_counts([600, 90, 25, 35, 30], [520, 36, 23, 25, 13])
        >>> post.rate_means.round(3).tolist()
        [0.865, 0.402, 0.889, 0.703, 0.438]
        """
        n = _leaf_vector(respondents, "respondents", lower=0, integer=True)
        y = _leaf_vector(intending, "intending", lower=0, integer=True)
        fail_at("intending", "must not exceed respondents", y, y > n)
        if len(rate_prior) != 2:
            raise InvalidInputError(f"rate_prior must be a pair (a, b); got {rate_prior!r}")
        a = as_scalar(rate_prior[0], "rate_prior[0]", lower=0, lower_inclusive=False)
        b = as_scalar(rate_prior[1], "rate_prior[1]", lower=0, lower_inclusive=False)
        if leaf_shares is None:
            s = as_scalar(share_prior, "share_prior", lower=0, lower_inclusive=False)
            alpha = n + s
            shares, conc = alpha / alpha.sum(), float(alpha.sum())
        else:
            shares = _leaf_vector(leaf_shares, "leaf_shares", lower=0, upper=1)
            if abs(shares.sum() - 1.0) > SHARE_TOLERANCE:
                raise InvalidInputError(f"leaf_shares must sum to 1; got {float(shares.sum())!r}")
            conc = 0.0
        return cls(
            rate_alpha=a + y, rate_beta=b + n - y, leaf_shares=shares, share_concentration=conc
        )

    @property
    def rate_means(self) -> FloatArray:
        """Posterior mean of each leaf rate, ``alpha / (alpha + beta)``."""
        out: FloatArray = self.rate_alpha / (self.rate_alpha + self.rate_beta)
        return out

    def mean_tree(self) -> RepurchaseTree:
        """The tree at the posterior means of shares and rates."""
        return RepurchaseTree.from_leaves(
            self.leaf_shares / self.leaf_shares.sum(), self.rate_means
        )

    def rate_intervals(self, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Equal-tailed Beta credible intervals of the five leaf rates."""
        from scipy import stats

        q = as_level(level)
        lo = stats.beta.ppf((1 - q) / 2, self.rate_alpha, self.rate_beta)
        hi = stats.beta.ppf((1 + q) / 2, self.rate_alpha, self.rate_beta)
        return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)

    def draws(self, n_draws: int, *, rng: Any) -> tuple[FloatArray, FloatArray]:
        """Joint posterior draws ``(leaf_shares, leaf_rates)``, each of shape (n_draws, 5)."""
        k = as_count(n_draws, "n_draws", minimum=1)
        gen = as_rng(rng)
        rates = gen.beta(self.rate_alpha, self.rate_beta, size=(k, 5))
        if self.share_concentration > 0:
            shares = gen.dirichlet(self.leaf_shares * self.share_concentration, size=k)
        else:
            shares = np.broadcast_to(self.leaf_shares, (k, 5)).copy()
        return shares, rates

    def summary(self, level: float = 0.95, *, n_draws: int = 4000, rng: Any) -> IntentSummary:
        """Posterior means and Monte Carlo credible intervals of the totals."""
        q = as_level(level)
        shares, rates = self.draws(n_draws, rng=rng)
        intent = (shares * rates).sum(axis=1)
        lost = shares * (1 - rates)
        tails = [(1 - q) / 2, (1 + q) / 2]

        def band(x: FloatArray) -> FloatArray:
            return np.vstack([x.mean(axis=0), *np.quantile(x, tails, axis=0)])

        i_band = band(intent[:, None])[:, 0]
        no_band = np.array([1 - i_band[0], 1 - i_band[2], 1 - i_band[1]])
        return IntentSummary(level=q, intent=i_band, no_intent=no_band, lost=band(lost))

    def _view(self) -> TableView:
        lo, hi = self.rate_intervals()
        rows = [
            (leaf, self.leaf_shares[k], self.rate_means[k], lo[k], hi[k])
            for k, leaf in enumerate(LEAVES)
        ]
        head = ["leaf", "share", "intent rate (mean)", "2.5%", "97.5%"]
        return TableView(head, rows, "repurchase-intent posterior")

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())
