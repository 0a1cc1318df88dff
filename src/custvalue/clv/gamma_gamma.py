"""Gamma-Gamma model of the average spend per repeat transaction.

Each transaction value of a customer is Gamma(p, nu); across customers nu ~ Gamma(q, gamma).
The model is fitted to repeat buyers only (``frequency > 0``) and assumes that spend is
independent of purchase frequency (check it with :func:`spend_frequency_independence`).

References
----------
Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value",
http://brucehardie.com/notes/025/. Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005),
"RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing
Research 42(4), 415-430.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import digamma, gammaln

from custvalue import _persist
from custvalue._columns import Columns, columns_html, freeze_columns
from custvalue._progress import check_progress
from custvalue._validation import (
    as_array,
    as_float_array,
    as_scalar,
    broadcast_arrays,
    fail_at,
    optional_readonly_array,
)
from custvalue._warn import warn
from custvalue.clv._fitted import (
    COVARIANCE_EQ,
    FittedModel,
    fit_from_payload,
    fit_to_payload,
    time_unit_from_payload,
)
from custvalue.clv._gamma_gamma_fit import SpendObjective, dot, starting_values
from custvalue.clv._inputs import checked_input, model_input, optional_time_unit
from custvalue.clv._optimize import FitDiagnostics, checked_penalizer, maximize_likelihood
from custvalue.errors import (
    InvalidInputError,
    InvalidTypeError,
    ModelAssumptionWarning,
    NonPositiveSpendWarning,
    PersistenceError,
)
from custvalue.summary import CustomerSummary
from custvalue.time_units import TimeUnit

__all__ = [
    "GammaGamma",
    "GammaGammaParams",
    "SpendFrequencyIndependence",
    "conditional_expected_spend",
    "gamma_gamma_log_likelihood",
    "gamma_gamma_log_likelihood_gradient",
    "population_mean_spend",
    "spend_frequency_independence",
]

FloatArray = NDArray[np.float64]
_NAMES = ("p", "q", "gamma")


# --------------------------------------------------------------------------- kernels
def gamma_gamma_log_likelihood(
    p: ArrayLike, q: ArrayLike, gamma: ArrayLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Log density of a repeat buyer's mean spend ``m`` given ``x`` repeat purchases.

    ``ln f(m | x) = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
    - (px+q) ln(gamma + x m)``.

    This is the complete, normalised density of the *mean* of ``x`` Gamma(p, nu) values with
    nu ~ Gamma(q, gamma) (the ``px ln x`` term is the Jacobian of mean = total / x), so no
    constant is left out: summed over CDNOW's 946 repeat buyers it gives the published
    -4055.9. It is defined for ``x > 0`` and ``m > 0`` only (one-time buyers carry no spend
    information).

    References
    ----------
    Fader and Hardie (2013), note 025, equation (1a).
    """
    p_, q_, g = (np.asarray(a, dtype=np.float64) for a in (p, q, gamma))
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    px = p_ * x
    with np.errstate(divide="ignore"):  # ln(g + x m) without overflowing x m
        log_total = np.logaddexp(np.log(g), np.log(x) + np.log(m))
    out: FloatArray = (
        gammaln(px + q_)
        - gammaln(px)
        - gammaln(q_)
        + q_ * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q_) * log_total
    )
    return out


def gamma_gamma_log_likelihood_gradient(
    p: ArrayLike, q: ArrayLike, gamma: ArrayLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Partial derivatives of :func:`gamma_gamma_log_likelihood` in ``(p, q, gamma)``.

    ``d/dp = x [psi(px+q) - psi(px) - log1p(gamma / (x m))]``,
    ``d/dq = psi(px+q) - psi(q) - log1p(x m / gamma)``,
    ``d/dgamma = q / gamma - (px+q) / (gamma + x m)``.
    """
    p_, q_, g = (np.asarray(a, dtype=np.float64) for a in (p, q, gamma))
    x = np.asarray(frequency, dtype=np.float64)
    z = x * np.asarray(monetary_value, dtype=np.float64)
    px = p_ * x
    psi_all = digamma(px + q_)
    d_p: FloatArray = x * (psi_all - digamma(px) - np.log1p(g / z))
    d_q: FloatArray = psi_all - digamma(q_) - np.log1p(z / g)
    d_g: FloatArray = q_ / g - (px + q_) / (g + z)
    return d_p, d_q, d_g


def conditional_expected_spend(
    p: ArrayLike, q: ArrayLike, gamma: ArrayLike, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[M | x, m] = (gamma + x m) p / (p x + q - 1), the posterior mean spend per transaction.

    Equals ``w m + (1 - w) p gamma / (q - 1)`` with ``w = p x / (p x + q - 1)``; at ``x = 0``
    it is the population mean :func:`population_mean_spend`. Finite only where
    ``p x + q > 1`` (the kernel returns ``inf``/negative values otherwise; the model class
    refuses those inputs).

    References
    ----------
    Fader and Hardie (2013), note 025, equation (5).
    """
    p_, q_, g = (np.asarray(a, dtype=np.float64) for a in (p, q, gamma))
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    with np.errstate(divide="ignore"):
        # (gamma + x m) p / (p x + q - 1) as w m + p gamma / (p x + q - 1), w = p x / (...):
        # the same number, without overflowing x m for extreme spends and frequencies
        denominator = p_ * x + q_ - 1.0
        out: FloatArray = (p_ * x / denominator) * m + p_ * g / denominator
    return out


def population_mean_spend(p: ArrayLike, q: ArrayLike, gamma: ArrayLike) -> FloatArray:
    """Mean spend per transaction of a random customer, p gamma / (q - 1) (needs q > 1)."""
    p_, q_, g = (np.asarray(a, dtype=np.float64) for a in (p, q, gamma))
    out: FloatArray = p_ * g / (q_ - 1.0)
    return out


# --------------------------------------------------------------------------- validation
def _real(value: Any, name: str) -> float:
    """``float(value)`` for a real number; anything else is an InvalidTypeError/InputError."""
    raw = as_array(value, name)
    if isinstance(value, (bool, np.bool_)) or raw.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{name} must be a real number; got {value!r}")
    if raw.ndim != 0:
        raise InvalidInputError(f"{name} must be a scalar; got shape {raw.shape}")
    return float(raw)


def _real_p(value: Any) -> float:
    return _real(value, "p")


def _real_q(value: Any) -> float:
    return _real(value, "q")


def _real_gamma(value: Any) -> float:
    return _real(value, "gamma")


def _positive_finite(instance: Any, attribute: Any, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInputError(f"{attribute.name} must be positive and finite; got {value!r}")


def _spend_inputs(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated ``(x, m)``: any finite mean spend for repeat buyers (refunds can make it
    <= 0), a finite spend >= 0 (ignored) for one-time buyers."""
    x = as_float_array(frequency, "frequency", lower=0, integer=True)
    m = as_float_array(monetary_value, "monetary_value")
    x, m = broadcast_arrays({"frequency": x, "monetary_value": m})
    fail_at("monetary_value", "must be >= 0 where frequency is 0", m, (x == 0) & (m < 0))
    return x, m


def _spend_columns(
    frequency: Any, monetary_value: Any, data: Any, time_unit: TimeUnit | None
) -> tuple[FloatArray, FloatArray, NDArray[Any] | None, str | None]:
    given = model_input(
        frequency, {"monetary_value": monetary_value}, first_name="frequency", data=data,
        time_unit=time_unit,
    )  # fmt: skip
    return (*_spend_inputs(*given.columns), given.customer_id, given.time_unit)


def _warn_nonpositive(
    nonpositive: NDArray[np.bool_], m: FloatArray, count: float, ids: NDArray[Any] | None
) -> None:
    """One warning for the repeat buyers with mean spend <= 0, naming the first of them."""
    first = int(np.flatnonzero(nonpositive.ravel())[0])
    who = (
        f"customer id {ids.ravel()[first].item()!r}"
        if ids is not None and ids.size == nonpositive.size
        else f"position {first} of the input"
    )
    warn(
        f"GammaGamma.fit: {count:g} customer(s) with repeat purchases have a mean spend <= 0 "
        f"(first: {who}, monetary_value {float(m.ravel()[first])!r}); the Gamma-Gamma model needs "
        "positive spends, so they are left out of the fit (n_excluded_nonpositive) and "
        "expected_spend gives them the population mean spend",
        NonPositiveSpendWarning,
        stacklevel=3,
    )


# --------------------------------------------------------------------------- model
@attrs.frozen
class GammaGammaParams:
    """Gamma-Gamma parameters: shape ``p`` of a transaction's value, shape ``q`` and scale
    ``gamma`` (in currency units) of the Gamma mixing distribution of its rate.

    All three must be positive and finite. A finite population mean needs ``q > 1``.
    """

    p: float = attrs.field(converter=_real_p, validator=_positive_finite)
    q: float = attrs.field(converter=_real_q, validator=_positive_finite)
    gamma: float = attrs.field(converter=_real_gamma, validator=_positive_finite)

    def as_array(self) -> FloatArray:
        """The parameters as ``array([p, q, gamma])``."""
        return np.array([self.p, self.q, self.gamma])


@attrs.frozen
class GammaGamma(FittedModel):
    """A Gamma-Gamma spend model with fixed parameters (a frozen value, like ``scipy.stats``).

    Build one from known parameters, ``GammaGamma(GammaGammaParams(p=6.25, q=3.74,
    gamma=15.44))``, or estimate one with :meth:`fit`. Fitted models also carry the
    log-likelihood, the observed-information covariance and the optimizer's diagnostics;
    for models built from parameters these are ``None``.

    Attributes
    ----------
    params
        The parameters ``p, q, gamma``.
    log_likelihood
        Total log-likelihood of the repeat buyers' mean spends (complete density, comparable
        with the papers: -4055.9 on CDNOW), or ``None``.
    covariance
        3 x 3 covariance of ``(p, q, gamma)`` from the observed information, or ``None``.
    n_customers
        Number (sum of weights) of repeat buyers used in the fit, or ``None``.
    n_excluded
        Number (sum of weights) of one-time buyers (``frequency == 0``) left out of the fit.
    diagnostics
        Convergence information, or ``None``.
    time_unit
        Time unit of the data the model was fitted with (from a
        :class:`~custvalue.summary.CustomerSummary` or ``time_unit=``), or ``None``. Spend has
        no time dimension, so it only serves to check that a CLV combines data and models of
        one unit.
    n_excluded_nonpositive
        Number (sum of weights) of repeat buyers left out of the fit because their mean spend
        is <= 0 (refunds, free items), or ``None`` for a model built from parameters.

    Examples
    --------
    >>> from custvalue.clv import GammaGamma, GammaGammaParams
    >>> model = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
    >>> round(model.population_mean_spend(), 2)
    35.22
    >>> model.expected_spend([0, 2], [0.0, 20.0]).round(2)
    array([35.22, 22.74])
    """

    TITLE: ClassVar[str] = "Gamma-Gamma spend model (GammaGamma)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = _NAMES

    params: GammaGammaParams
    log_likelihood: float | None = None
    covariance: FloatArray | None = attrs.field(
        default=None, converter=optional_readonly_array, eq=COVARIANCE_EQ
    )
    n_customers: float | None = None
    n_excluded: float | None = None
    diagnostics: FitDiagnostics | None = None
    time_unit: str | None = attrs.field(default=None, kw_only=True, converter=optional_time_unit)
    n_excluded_nonpositive: float | None = attrs.field(default=None, kw_only=True)

    # ----------------------------------------------------------------- estimation
    @classmethod
    def fit(
        cls,
        frequency: ArrayLike | CustomerSummary | str | None = None,
        monetary_value: ArrayLike | str | None = None,
        *,
        data: Any = None,
        time_unit: TimeUnit | None = None,
        weights: ArrayLike | None = None,
        strict: bool = False,
        progress: bool = False,
        penalizer: float = 0.0,
    ) -> GammaGamma:
        """Maximum-likelihood fit on the repeat buyers with a positive mean spend.

        Parameters
        ----------
        frequency
            Repeat purchases ``x`` per customer (whole numbers >= 0), shape ``(n,)``; or a
            :class:`~custvalue.summary.CustomerSummary` (then omit ``monetary_value``; the
            summary gives the spends, the ids named in warnings and the time unit); or with
            ``data`` a column name.
        monetary_value
            Mean value of the customer's *repeat* transactions (currency units), shape
            ``(n,)``, finite. Rows with ``frequency == 0`` are **excluded from the fit** (they
            carry no spend information); their monetary value is ignored but must still be a
            finite number >= 0 (0 in the usual summaries). Repeat buyers whose mean spend is
            **<= 0** (refunds, free items; CDNOW master customer 10244) are excluded too,
            counted in ``n_excluded_nonpositive``, and reported in one warning.
        data
            Optional DataFrame with one row per customer; ``frequency`` and
            ``monetary_value`` are then column names (defaults ``"frequency"``,
            ``"monetary_value"``).
        time_unit
            Time unit of the data, recorded in the model (default: the summary's, else None).
        weights
            Optional number of customers sharing each row (>= 0). Weighted rows fit exactly
            like the same rows repeated.
        strict
            Raise :class:`~custvalue.errors.ConvergenceError` instead of warning when the fit
            does not converge cleanly.
        progress
            Show a progress bar over the optimizer's iterations if tqdm is installed.
        penalizer
            Optional L2 penalty ``c >= 0`` on the log-parameters (lifetimes'
            ``penalizer_coef``): the fit maximises the mean log-likelihood per customer minus
            ``c * sum(log(param)^2)``, shrinking the parameters towards 1 on small or degenerate
            data (``gamma`` is penalized on the spends rescaled by a power of two near their
            mean, so the penalty does not depend on the currency). Off (0) by default;
            recorded in ``diagnostics.penalizer`` and the summary.

        Returns
        -------
        GammaGamma
            A new fitted model.

        Raises
        ------
        InvalidInputError
            On NaN, negative or non-whole frequencies, non-finite spends, negative spends of
            one-time buyers, mismatched shapes, or no repeat buyer with a positive spend.

        Warns
        -----
        NonPositiveSpendWarning
            Once, when repeat buyers with a mean spend <= 0 were excluded: their number and
            the first of them (customer id with a summary, else position in the input).
        ModelAssumptionWarning
            If the estimate has ``q <= 1``: the population mean spend is then infinite and
            :meth:`expected_spend` refuses one-time buyers.
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        x, m, ids, unit = _spend_columns(frequency, monetary_value, data, time_unit)
        shape = x.shape
        x, m = x.reshape(-1), m.reshape(-1)
        if weights is None:
            w = np.ones_like(x)
            n_excluded = float(np.count_nonzero(x == 0))
        else:
            w = as_float_array(weights, "weights", lower=0)
            if w.shape != shape:
                raise InvalidInputError(
                    f"weights must have the shape of frequency {shape}; got {w.shape}"
                )
            w = np.broadcast_to(w, x.shape).reshape(-1)
            n_excluded = float(w[x == 0].sum())
        nonpositive = (x > 0) & (m <= 0) & (w > 0)
        n_nonpositive = float(w[nonpositive].sum())
        repeat = (x > 0) & (m > 0) & (w > 0)
        if not repeat.any():
            raise InvalidInputError(
                "frequency has no repeat buyers with a positive mean spend (frequency > 0 and "
                "monetary_value > 0, with positive weight); the Gamma-Gamma model is fitted on "
                "them only"
            )
        if nonpositive.any():
            _warn_nonpositive(nonpositive, m, n_nonpositive, ids)
        # No row collapsing: spends are continuous, so rows rarely repeat, and one evaluation
        # costs a log1p and a division per row (the special functions are grouped by x).
        xu, mu, wu = x[repeat], m[repeat], w[repeat]
        # Fit on spends scaled by a power of two (exact in floating point) so that gamma stays
        # well inside the optimizer's bounds whatever the currency; undo it afterwards.
        scale = 2.0 ** round(math.log2(dot(wu, mu) / float(wu.sum())))
        objective = SpendObjective(xu, mu / scale, wu)
        result = maximize_likelihood(
            objective,
            starting_values(objective),
            names=_NAMES,
            total_weight=float(wu.sum()),
            strict=strict,
            progress=progress,
            desc="GammaGamma.fit",
            penalizer=penalty,
        )
        p, q, g = (float(v) for v in result.params)
        g *= scale
        jac = np.array([1.0, 1.0, scale])
        with np.errstate(over="ignore"):  # spends near 1e300: Var(gamma) is truly > 1e308
            covariance = result.covariance * np.outer(jac, jac)
        # density of m = density of m / scale, divided by scale (exactly, scale = 2^k)
        log_likelihood = result.log_likelihood - float(wu.sum()) * math.log(scale)
        if q <= 1.0:
            warn(
                f"the fitted Gamma-Gamma q = {q:.4g} is <= 1, so the population mean spend "
                "p*gamma/(q-1) is infinite; expected_spend will refuse one-time buyers. The "
                "spends may be heavy-tailed or not independent of frequency.",
                ModelAssumptionWarning,
                stacklevel=2,
            )
        return cls(
            params=GammaGammaParams(p=p, q=q, gamma=g),
            log_likelihood=float(log_likelihood),
            covariance=covariance,
            n_customers=float(wu.sum()),
            n_excluded=n_excluded,
            diagnostics=_explain_start(result.diagnostics),
            time_unit=unit,
            n_excluded_nonpositive=n_nonpositive,
        )

    def in_unit(self, time_unit: TimeUnit) -> GammaGamma:
        """The same model labelled with another time unit.

        Spend per transaction has no time dimension, so the parameters, the fit statistics
        and every prediction are unchanged; only ``time_unit`` (used to check that a CLV
        combines data and models of one unit) changes. It exists so that converting a
        BetaGeo/GammaGamma pair is one ``in_unit`` call on each.
        """
        return attrs.evolve(self, time_unit=time_unit)

    # ----------------------------------------------------------------- predictions
    def population_mean_spend(self) -> float:
        """Mean spend per transaction of a random customer, ``p gamma / (q - 1)``.

        This is what :meth:`expected_spend` returns for one-time buyers (``frequency == 0``).

        Raises
        ------
        InvalidInputError
            If ``q <= 1`` (the mean is infinite).
        """
        p, q, g = self.params.p, self.params.q, self.params.gamma
        if q <= 1.0:
            raise InvalidInputError(f"the population mean spend is infinite because q = {q!r} <= 1")
        return float(population_mean_spend(p, q, g))

    def expected_spend(
        self,
        frequency: ArrayLike | CustomerSummary,
        monetary_value: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Expected spend per future transaction given the history, E[M | x, m].

        A credibility-weighted mean ``w m + (1 - w) p gamma / (q - 1)``, with
        ``w = p x / (p x + q - 1)``. **One-time buyers** (``frequency == 0``) get the
        population mean :meth:`population_mean_spend`; their ``monetary_value`` is ignored
        (it must be a finite number >= 0).

        **Repeat buyers with a mean spend <= 0** (refunds or free items cancelling their
        purchases) also get the population mean: the model's spends are positive by
        construction, so such a history has no likelihood and carries no usable information
        about the customer's spend rate ``nu``. Treating it as "no spend information", like a
        one-time buyer's, is the model-consistent choice; it neither rewards the customer
        with a large value nor forces an impossible zero. These customers are also left out
        of :meth:`fit`.

        Parameters
        ----------
        frequency
            Repeat purchases ``x`` (whole numbers >= 0), any shape; or a
            :class:`~custvalue.summary.CustomerSummary` (then omit ``monetary_value``).
        monetary_value
            Mean value of the repeat transactions (currency units, finite), broadcastable
            with ``frequency``.
        time_unit
            Optional unit of the data, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Expected spend per transaction, in the currency of ``monetary_value``, with the
            broadcast shape of the inputs.

        Raises
        ------
        InvalidInputError
            On invalid inputs, and where the expectation is infinite: when ``q <= 1`` for
            one-time buyers (and any customer with ``p x + q <= 1``), naming the first one.
        """
        columns, _ = checked_input(
            self, frequency, {"monetary_value": monetary_value}, first_name="frequency",
            time_unit=time_unit,
        )  # fmt: skip
        x, m = _spend_inputs(*columns)
        no_information = m <= 0  # one-time buyers and non-positive mean spends
        x = np.where(no_information, 0.0, x)
        m = np.where(no_information, 0.0, m)
        p, q, g = self.params.p, self.params.q, self.params.gamma
        fail_at(
            "frequency",
            f"gives an infinite expected spend because p*frequency + q <= 1 (q = {q!r}); "
            "the population mean spend is infinite",
            x,
            p * x + q <= 1.0,
        )
        return conditional_expected_spend(p, q, g, x, m)

    def log_likelihood_per_customer(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """Per-customer log density of the mean spend (0 for one-time buyers and repeat buyers
        with a mean spend <= 0, who are not modelled)."""
        x, m = _spend_inputs(frequency, monetary_value)
        p, q, g = self.params.p, self.params.q, self.params.gamma
        rep = (x > 0) & (m > 0)
        out = np.zeros_like(x)
        out[rep] = gamma_gamma_log_likelihood(p, q, g, x[rep], m[rep])
        return out

    # ----------------------------------------------------------------- reporting
    def _summary_extra(self) -> list[tuple[str, str]]:
        out = []
        if self.n_excluded is not None:
            out.append(("one-time buyers excluded from the fit", f"{self.n_excluded:g}"))
        if self.n_excluded_nonpositive is not None:
            out.append(
                ("repeat buyers with spend <= 0 excluded", f"{self.n_excluded_nonpositive:g}")
            )
        mean = f"{self.population_mean_spend():.6g}" if self.params.q > 1 else "infinite (q <= 1)"
        out.append(("population mean spend", mean))
        return out

    def __repr__(self) -> str:
        p = self.params
        unit = "" if self.time_unit is None else f", time_unit={self.time_unit!r}"
        return f"GammaGamma(GammaGammaParams(p={p.p!r}, q={p.q!r}, gamma={p.gamma!r}){unit})"

    # ----------------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind ``"GammaGamma"``), bit-exact."""
        enc = _persist.encode_float
        payload = {
            "params": {k: enc(v) for k, v in zip(_NAMES, self.params.as_array(), strict=True)},
            "fit": fit_to_payload(self),
            "n_excluded": None if self.n_excluded is None else enc(self.n_excluded),
            "n_excluded_nonpositive": None
            if self.n_excluded_nonpositive is None
            else enc(self.n_excluded_nonpositive),
            "time_unit": self.time_unit,
        }
        return _persist.dumps("GammaGamma", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> GammaGamma:
        """Load a model written by :meth:`to_json` (raises ``PersistenceError`` if invalid)."""
        doc = _persist.loads(text, "GammaGamma")
        params = _persist.require(doc, "params", dict, "payload")
        values = {k: _persist.decode_float(params.get(k), k) for k in _NAMES}
        with _persist.invalid_content("GammaGamma"):
            parsed = GammaGammaParams(**values)
        excluded = doc.get("n_excluded")
        nonpositive = doc.get("n_excluded_nonpositive")  # absent in older documents
        return cls(
            params=parsed,
            n_excluded=None
            if excluded is None
            else _persist.decode_float(
                excluded, "n_excluded", lower=0, upper=_persist.LARGEST_FLOAT, nan=False
            ),
            **fit_from_payload(doc.get("fit"), len(_NAMES)),
            time_unit=time_unit_from_payload(doc),
            n_excluded_nonpositive=None
            if nonpositive is None
            else _persist.decode_float(nonpositive, "n_excluded_nonpositive", lower=0, nan=False),
        )


def _explain_start(diagnostics: FitDiagnostics) -> FitDiagnostics:
    """Say why a clean fit needed no optimizer iteration, so it does not read as a fit that
    never ran."""
    if not (diagnostics.converged and diagnostics.n_iterations == 0):
        return diagnostics
    return attrs.evolve(
        diagnostics,
        message=diagnostics.message
        + ": the fit starts at the profile-likelihood optimum (gamma solved by Newton's method "
        "on the profile likelihood, p and q maximised at each gamma), where the gradient is "
        "already below tolerance, so the optimizer had no step left to take",
    )


# --------------------------------------------------------------------------- assumption check
@attrs.frozen
class SpendFrequencyIndependence:
    """Correlation of frequency and mean spend over repeat buyers.

    The Gamma-Gamma model assumes spend is independent of frequency. ``independent`` is
    True when neither the Pearson nor the Spearman test rejects zero correlation at ``level``
    (two-sided). With very many customers tiny correlations become "significant": judge the
    size of the correlations too (Fader and Hardie 2013 report 0.11 on CDNOW and accept it).
    """

    n: int
    pearson_r: float
    pearson_p_value: float
    spearman_rho: float
    spearman_p_value: float
    level: float
    independent: bool

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind ``"SpendFrequencyIndependence"``)."""
        payload = {
            k: (_persist.encode_float(v) if isinstance(v, float) else v)
            for k, v in attrs.asdict(self).items()
        }
        return _persist.dumps("SpendFrequencyIndependence", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> SpendFrequencyIndependence:
        """Load a result written by :meth:`to_json`."""
        doc = _persist.loads(text, "SpendFrequencyIndependence")
        where = "payload"
        bounds = {"pearson_r": -1.0, "spearman_rho": -1.0}  # p-values and level: [0, 1]
        floats = {
            k: _persist.decode_float(doc.get(k), k, lower=bounds.get(k, 0.0), upper=1, nan=False)
            for k in ("pearson_r", "pearson_p_value", "spearman_rho", "spearman_p_value", "level")
        }
        if not 0 < floats["level"] < 1:
            raise PersistenceError(f"field 'level' must be in (0, 1); got {floats['level']!r}")
        independent = _persist.require(doc, "independent", bool, where)
        if independent != (
            min(floats["pearson_p_value"], floats["spearman_p_value"]) >= floats["level"]
        ):
            raise PersistenceError("field 'independent' contradicts the p-values and the level")
        return cls(
            n=_persist.decode_int(_persist.require(doc, "n", int, where), "n", lower=3),
            independent=independent,
            **floats,
        )

    def to_columns(self) -> Columns:
        """One row: ``n``, the two correlations with their p-values, ``level``, ``independent``."""
        return freeze_columns({k: np.array([v]) for k, v in attrs.asdict(self).items()})

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), "Spend/frequency independence")


def spend_frequency_independence(
    frequency: ArrayLike, monetary_value: ArrayLike, *, level: float = 0.05
) -> SpendFrequencyIndependence:
    """Test the Gamma-Gamma assumption that spend is independent of frequency.

    Pearson and Spearman correlations of ``frequency`` and ``monetary_value`` over the repeat
    buyers with a positive mean spend (those :meth:`GammaGamma.fit` uses), with two-sided
    p-values from :mod:`scipy.stats`.

    Parameters
    ----------
    frequency, monetary_value
        As in :meth:`GammaGamma.fit`.
    level
        Significance level in (0, 1) for the ``independent`` verdict.

    Raises
    ------
    InvalidInputError
        On invalid inputs, fewer than 3 repeat buyers, or constant frequency or spend.
    """
    x, m = _spend_inputs(frequency, monetary_value)
    level = as_scalar(
        level, "level", lower=0, lower_inclusive=False, upper=1, upper_inclusive=False
    )
    rep = (x.reshape(-1) > 0) & (m.reshape(-1) > 0)
    xs, ms = x.reshape(-1)[rep], m.reshape(-1)[rep]
    if xs.size < 3:
        raise InvalidInputError(f"need at least 3 repeat buyers; got {xs.size}")
    for name, values in (("frequency", xs), ("monetary_value", ms)):
        if np.all(values == values[0]):
            raise InvalidInputError(
                f"{name} is constant over the repeat buyers, so correlations are undefined"
            )
    pearson = stats.pearsonr(xs, ms)
    spearman = stats.spearmanr(xs, ms)
    p1, p2 = float(pearson[1]), float(spearman[1])
    return SpendFrequencyIndependence(
        n=int(xs.size),
        pearson_r=float(pearson[0]),
        pearson_p_value=p1,
        spearman_rho=float(spearman[0]),
        spearman_p_value=p2,
        level=float(level),
        independent=bool(min(p1, p2) >= level),
    )
