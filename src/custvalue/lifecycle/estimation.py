"""Estimating the stage transition matrix from observed stage sequences.

Counts come from consecutive observations of each customer (:func:`count_transitions`); the
last observation of a sequence is censored (it says nothing about where the customer goes
next), so a customer last seen in RECOVER does not make RECOVER absorbing. A stage with no
observed exits at all is an error unless the caller says what to do with it.

References
----------
Anderson, T. W. and Goodman, L. A. (1957). Statistical inference about Markov chains.
*Annals of Mathematical Statistics* 28(1), 89-110 (MLE ``n_ij / n_i`` and its variance).
Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed., sec. 3.4 (Dirichlet-multinomial).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from custvalue._html import TableView, html_table, text_table
from custvalue._json import ARRAY_EQ, JsonMixin, to_bool, to_float64
from custvalue._validation import as_count, as_float_array, as_level, as_rng, fail_at
from custvalue.errors import InvalidInputError
from custvalue.lifecycle import _markov
from custvalue.lifecycle._common import ROW_SUM_TOLERANCE, STAGE_NAMES, check_stochastic
from custvalue.lifecycle.migration import MigrationModel
from custvalue.lifecycle.stages import (
    Stage,
    allowed_matrix,
    as_stage,
    as_stage_codes,
    check_transitions,
)

__all__ = ["MigrationEstimate", "count_transitions", "estimate_migration"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
NoExits = Literal["error", "absorbing", "prior"]


def count_transitions(paths: ArrayLike) -> IntArray:
    """Count stage transitions between consecutive observations.

    Parameters
    ----------
    paths
        Stages of each customer at consecutive, equally spaced observation times, shape
        (customers, times): stage names, codes or :class:`Stage` members; ``-1`` (or ``""``)
        where the customer is not observed (not yet acquired, or no longer followed).

    Returns
    -------
    numpy.ndarray
        int64 counts, shape (4, 4): ``[i, j]`` moves from stage ``i`` to stage ``j``. Each
        customer's last observation is censored and contributes no move.

    Raises
    ------
    InvalidInputError
        Unknown stage names or codes, or an illegal transition (naming the customer and time).
    """
    codes = as_stage_codes(paths, "paths", missing=True)
    if codes.ndim != 2:
        raise InvalidInputError(f"paths must have shape (customers, times); got {codes.shape}")
    check_transitions(codes[:, :-1], codes[:, 1:], "paths")
    return _markov.count_pairs(codes, len(Stage))


def _prior(prior: ArrayLike | None) -> FloatArray:
    allowed = allowed_matrix()
    if prior is None:
        return np.zeros((4, 4))
    a = as_float_array(prior, "prior", lower=0)
    if a.ndim == 0:
        return np.where(allowed, float(a), 0.0)
    if a.shape != (4, 4):
        raise InvalidInputError(f"prior must be a scalar or shape (4, 4); got {a.shape}")
    fail_at("prior", "must be 0 on illegal transitions", a, (a > 0) & ~allowed)
    return a


def _fixed_rows(rows: Mapping[Any, ArrayLike] | None) -> dict[int, FloatArray]:
    out: dict[int, FloatArray] = {}
    allowed = allowed_matrix()
    for key, row in (rows or {}).items():
        s = as_stage(key, "fixed_rows key")
        name = f"fixed_rows[{s.name}]"
        r = as_float_array(row, name, lower=0, upper=1, ndim=1)
        if r.shape != (4,):
            raise InvalidInputError(f"{name} must have shape (4,); got {r.shape}")
        if abs(r.sum() - 1.0) > ROW_SUM_TOLERANCE:
            raise InvalidInputError(f"{name} must sum to 1; sums to {float(r.sum())!r}")
        fail_at(name, "must be 0 on illegal transitions", r, (r > 0) & ~allowed[s])
        out[int(s)] = r
    return out


def estimate_migration(
    counts: ArrayLike,
    *,
    prior: ArrayLike | None = None,
    no_exits: NoExits = "error",
    fixed_rows: Mapping[Stage | str | int, ArrayLike] | None = None,
) -> MigrationEstimate:
    """Estimate the stage transition matrix from counted transitions.

    Parameters
    ----------
    counts
        Shape (4, 4) whole numbers >= 0, e.g. from :func:`count_transitions`; counts on
        illegal transitions are an error.
    prior
        Optional Dirichlet prior pseudo-counts: a scalar (given to every allowed transition of
        every row, staying included) or a (4, 4) array (0 on illegal transitions). With a prior
        the estimate is the posterior mean ``(n_ij + a_ij) / (n_i + sum_j a_ij)``; without,
        the MLE ``n_ij / n_i``.
    no_exits
        What to do with a stage never observed *before* a transition (``n_i = 0``) and not
        listed in ``fixed_rows``: ``"error"`` (default) raises; ``"absorbing"`` makes it stay
        put with probability 1; ``"prior"`` uses the prior mean of its row (needs a positive
        prior on that row). Never a silent uniform row.
    fixed_rows
        Rows given by the caller instead of estimated, ``{stage: row}``; each row sums to 1.

    Returns
    -------
    MigrationEstimate

    Raises
    ------
    InvalidInputError
        Negative or fractional counts, counts on illegal transitions, bad prior or fixed rows,
        or a stage without observed exits under ``no_exits="error"``.

    Examples
    --------
    >>> counts = [[10, 30, 0, 60], [0, 80, 20, 0], [0, 15, 25, 10], [5, 0, 0, 95]]
    >>> est = estimate_migration(counts, prior=1.0)
    >>> est.matrix[1].round(3).tolist()
    [0.0, 0.794, 0.206, 0.0]
    """
    n = as_float_array(counts, "counts", lower=0, integer=True)
    if n.shape != (4, 4):
        raise InvalidInputError(f"counts must have shape (4, 4); got {n.shape}")
    allowed = allowed_matrix()
    if ((n > 0) & ~allowed).any():
        i, j = (int(k) for k in np.argwhere((n > 0) & ~allowed)[0])
        raise InvalidInputError(
            f"counts has {int(n[i, j])} illegal transitions {Stage(i).name} -> "
            f"{Stage(j).name} at index ({i}, {j})"
        )
    if no_exits not in ("error", "absorbing", "prior"):
        raise InvalidInputError(
            f"no_exits must be 'error', 'absorbing' or 'prior'; got {no_exits!r}"
        )
    a = _prior(prior)
    fixed = _fixed_rows(fixed_rows)
    if prior is None:
        matrix, se = _markov.transition_mle(n)
    else:
        matrix, se = _markov.posterior_mean(n, a)
    is_fixed = np.zeros(4, dtype=bool)
    for i in range(4):
        if i in fixed:
            matrix[i], se[i], is_fixed[i] = fixed[i], 0.0, True
        elif n[i].sum() == 0:
            name = Stage(i).name
            if no_exits == "absorbing":
                matrix[i], se[i], is_fixed[i] = np.eye(4)[i], 0.0, True
            elif no_exits == "prior" and a[i].sum() > 0:
                pass  # posterior mean = prior mean; kept with its posterior sd
            else:
                raise InvalidInputError(
                    f"stage {name} has no observed exits (no transition starts in {name}); "
                    f"pass fixed_rows={{'{name}': [...]}}, no_exits='absorbing', or a prior "
                    "with no_exits='prior'"
                )
    return MigrationEstimate(
        matrix=matrix,
        standard_errors=se,
        counts=n,
        prior=a,
        fixed=is_fixed,
        method="mle" if prior is None else "posterior_mean",
    )


@attrs.frozen
class MigrationEstimate(JsonMixin):
    """An estimated transition matrix with its uncertainty.

    Attributes
    ----------
    matrix
        Point estimate, shape (4, 4): the MLE, or the Dirichlet posterior mean with a prior.
    standard_errors
        MLE standard errors ``sqrt(p (1 - p) / n_i)``, or posterior standard deviations
        ``sqrt(m (1 - m) / (alpha_0 + 1))``; 0 for fixed rows.
    counts
        The counted transitions, shape (4, 4).
    prior
        Dirichlet pseudo-counts, shape (4, 4) (zeros without a prior).
    fixed
        Shape (4,): rows set by the caller (``fixed_rows`` or ``no_exits="absorbing"``).
    method
        ``"mle"`` or ``"posterior_mean"``.
    """

    matrix: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    standard_errors: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    counts: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    prior: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    fixed: NDArray[np.bool_] = attrs.field(converter=to_bool, eq=ARRAY_EQ)
    method: str

    def __attrs_post_init__(self) -> None:
        check_stochastic(self.matrix, "matrix")
        for name in ("standard_errors", "counts", "prior"):
            arr = getattr(self, name)
            if arr.shape != (4, 4):
                raise InvalidInputError(f"{name} must have shape (4, 4); got {arr.shape}")
        if self.fixed.shape != (4,):
            raise InvalidInputError(f"fixed must have shape (4,); got {self.fixed.shape}")
        if self.method not in ("mle", "posterior_mean"):
            raise InvalidInputError(
                f"method must be 'mle' or 'posterior_mean'; got {self.method!r}"
            )

    @property
    def model(self) -> MigrationModel:
        """The point estimate as a :class:`MigrationModel`."""
        return MigrationModel(self.matrix)

    def _alpha(self) -> FloatArray:
        alpha = (self.counts + self.prior) * allowed_matrix()
        alpha[self.fixed] = 0.0
        return alpha

    def posterior_draws(self, n_draws: int, *, rng: Any) -> FloatArray:
        """Draw transition matrices from the Dirichlet posterior of each row.

        Rows follow ``Dirichlet(n_ij + a_ij)`` over their allowed cells; without a prior this
        is the flat-limit posterior whose mean is the MLE, and a cell never observed stays 0.
        Fixed rows are returned unchanged.

        Returns
        -------
        numpy.ndarray
            Shape (n_draws, 4, 4); every draw is a valid transition matrix.
        """
        k = as_count(n_draws, "n_draws", minimum=1)
        gen = as_rng(rng)
        alpha = self._alpha()
        positive = alpha > 0
        g = gen.standard_gamma(np.where(positive, alpha, 1.0), size=(k, 4, 4)) * positive
        total = g.sum(axis=2, keepdims=True)
        draws = np.where(total > 0, g / np.where(total > 0, total, 1.0), self.matrix[None])
        out: FloatArray = draws.astype(np.float64)
        return out

    def credible_intervals(self, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Equal-tailed posterior intervals of each cell (marginal ``Beta(alpha_ij,
        alpha_i0 - alpha_ij)``); fixed rows and never-seen cells without prior are exact."""
        q = as_level(level)
        alpha = self._alpha()
        rest = alpha.sum(axis=1, keepdims=True) - alpha
        lo = self.matrix.copy()
        hi = self.matrix.copy()
        inner = (alpha > 0) & (rest > 0)
        lo[inner] = stats.beta.ppf((1 - q) / 2, alpha[inner], rest[inner])
        hi[inner] = stats.beta.ppf((1 + q) / 2, alpha[inner], rest[inner])
        return lo, hi

    def _view(self) -> TableView:
        rows = []
        for i in range(4):
            cells = [
                f"{p:.3f} ± {s:.3f}"
                for p, s in zip(self.matrix[i], self.standard_errors[i], strict=True)
            ]
            tag = " (fixed)" if self.fixed[i] else ""
            rows.append((STAGE_NAMES[i] + tag, *cells, int(self.counts[i].sum())))
        cap = f"estimated transition matrix ({self.method}, estimate ± standard error)"
        return TableView(["from \\ to", *STAGE_NAMES, "transitions from"], rows, cap)

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())
