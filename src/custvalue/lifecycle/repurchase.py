"""Repurchase intent after service failures: the failure -> complaint -> resolution tree.

Customers split into those without a service failure (share ``1 - f``) and with one (``f``);
those with a failure into non-complainers (``1 - c``) and complainers (``c``); complainers into
resolved quickly (``q``), resolved (``s``) and not resolved (``u``), ``q + s + u = 1``. Each of
the five leaves has a repurchase-intent rate, and the overall rate is

``R = (1 - f) r0 + f [ (1 - c) r_nc + c (q r_q + s r_s + u r_u) ]``.

The tree is stored in the *exclusive* reading ("resolved" = resolved but not quickly); the
*inclusive* reading ("resolved" includes "resolved quickly") converts losslessly with
:meth:`RepurchaseTree.inclusive` and :meth:`RepurchaseTree.from_inclusive`.

References
----------
TARP (Technical Assistance Research Programs) (1979, 1986). *Consumer Complaint Handling in
America*. U.S. Office of Consumer Affairs, as reported in secondary sources (see
``docs/lifecycle.md``).
de Matos, C. A., Henrique, J. L. and Rossi, C. A. V. (2007). Service recovery paradox: a
meta-analysis. *Journal of Service Research* 10(1), 60-77.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._json import JsonMixin
from custvalue._validation import as_float_array, as_scalar, broadcast_arrays, fail_at
from custvalue.errors import InvalidInputError

__all__ = [
    "LEAVES",
    "SHARE_TOLERANCE",
    "InclusiveResolution",
    "MoveGain",
    "RepurchaseTree",
    "intent_derivative_complaint_share",
    "repurchase_intent",
]

FloatArray = NDArray[np.float64]
Population = Literal["failures", "complainers"]
Basis = Literal["population", "failures", "complainers"]

#: Leaf names in order: no failure, failure without complaint, complaint resolved quickly,
#: complaint resolved (not quickly), complaint not resolved.
LEAVES = ("no_failure", "no_complaint", "resolved_quickly", "resolved", "unresolved")
_TARGETS = (*LEAVES, "complained")
SHARE_TOLERANCE = 1e-9


def repurchase_intent(
    f: ArrayLike,
    c: ArrayLike,
    q: ArrayLike,
    s: ArrayLike,
    u: ArrayLike,
    r0: ArrayLike,
    r_nc: ArrayLike,
    r_q: ArrayLike,
    r_s: ArrayLike,
    r_u: ArrayLike,
) -> FloatArray:
    """Overall repurchase-intent rate of the tree (all arguments broadcast).

    ``R = (1 - f) r0 + f [(1 - c) r_nc + c (q r_q + s r_s + u r_u)]`` (REFERENCE.md,
    repurchase-intent facts; TARP 1979).
    """
    f_, c_, q_, s_, u_, r0_, r_nc_, r_q_, r_s_, r_u_ = _real_arrays(
        f=f, c=c, q=q, s=s, u=u, r0=r0, r_nc=r_nc, r_q=r_q, r_s=r_s, r_u=r_u
    )
    with np.errstate(over="ignore", invalid="ignore"):
        complained = q_ * r_q_ + s_ * r_s_ + u_ * r_u_
    with np.errstate(over="ignore", invalid="ignore"):
        out: FloatArray = (1 - f_) * r0_ + f_ * ((1 - c_) * r_nc_ + c_ * complained)
    fail_at("the intent", "overflows for these arguments", out, ~np.isfinite(out))
    return out


def _real_arrays(**values: ArrayLike) -> tuple[FloatArray, ...]:
    """Real, finite arrays broadcast together (names in the messages). The range [0, 1] is
    not enforced: the formula is a polynomial, evaluated e.g. at c +- h for derivatives."""
    arrays = {k: as_float_array(v, k) for k, v in values.items()}
    return broadcast_arrays(arrays)


def intent_derivative_complaint_share(
    f: ArrayLike,
    q: ArrayLike,
    s: ArrayLike,
    u: ArrayLike,
    r_nc: ArrayLike,
    r_q: ArrayLike,
    r_s: ArrayLike,
    r_u: ArrayLike,
) -> FloatArray:
    """``dR/dc = f [(q r_q + s r_s + u r_u) - r_nc]``: effect of a higher complaint share."""
    f_, q_, s_, u_, r_nc_, r_q_, r_s_, r_u_ = _real_arrays(
        f=f, q=q, s=s, u=u, r_nc=r_nc, r_q=r_q, r_s=r_s, r_u=r_u
    )
    with np.errstate(over="ignore", invalid="ignore"):
        out: FloatArray = f_ * ((q_ * r_q_ + s_ * r_s_ + u_ * r_u_) - r_nc_)
    fail_at("the derivative", "overflows for these arguments", out, ~np.isfinite(out))
    return out


def _unit(name: str) -> Any:
    def convert(value: Any) -> float:
        return as_scalar(value, name, lower=0, upper=1)

    return attrs.field(converter=convert)


@attrs.frozen
class InclusiveResolution(JsonMixin):
    """The complainer branch in the *inclusive* reading ("resolved" includes "quickly").

    Attributes
    ----------
    resolved_share
        Share of complainers whose complaint was resolved at all (quickly or not).
    resolved_rate
        Repurchase intent of all resolved complainers.
    quick_share, quick_rate
        Share of complainers resolved quickly (part of ``resolved_share``) and their intent.
    unresolved_share, unresolved_rate
        Share of complainers not resolved (``1 - resolved_share``) and their intent.
    """

    resolved_share: float = _unit("resolved_share")
    resolved_rate: float = _unit("resolved_rate")
    quick_share: float = _unit("quick_share")
    quick_rate: float = _unit("quick_rate")
    unresolved_share: float = _unit("unresolved_share")
    unresolved_rate: float = _unit("unresolved_rate")

    def to_columns(self) -> Columns:
        """One row: the six shares and rates."""
        return freeze_columns({k: np.array([v]) for k, v in attrs.asdict(self).items()})

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), "complainers, inclusive reading")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


@attrs.frozen
class MoveGain(JsonMixin):
    """Effect of moving customers between leaves of a :class:`RepurchaseTree`.

    Attributes
    ----------
    moved_share
        Share of the whole customer base moved.
    intent_change
        Change in the overall repurchase-intent rate (a share of the customer base).
    customers
        Extra intending customers (``intent_change * n_customers``; NaN without n_customers).
    money
        ``customers * value_per_customer`` (NaN without both).
    after
        The tree after the move.
    """

    moved_share: float
    intent_change: float
    customers: float
    money: float
    after: RepurchaseTree

    def to_columns(self) -> Columns:
        """One row: ``moved_share``, ``intent_change``, ``customers``, ``money`` (the tree after
        the move is ``after``)."""
        names = ("moved_share", "intent_change", "customers", "money")
        return freeze_columns({k: np.array([getattr(self, k)]) for k in names})

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), "effect of the move")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())

    def __attrs_post_init__(self) -> None:
        as_scalar(self.moved_share, "moved_share", lower=0, upper=1)
        as_scalar(self.intent_change, "intent_change", lower=-1, upper=1)
        for name in ("customers", "money"):  # NaN without n_customers / value per customer
            if not np.isnan(getattr(self, name)):
                as_scalar(getattr(self, name), name)


@attrs.frozen
class RepurchaseTree(JsonMixin):
    """Service failure -> complaint -> resolution tree with a repurchase rate per leaf.

    All shares and rates are in [0, 1]; ``quick_share + resolved_share + unresolved_share``
    must equal 1 within ``SHARE_TOLERANCE`` (1e-9). Shares are conditional: ``failure_share``
    of all customers, ``complaint_share`` of those with a failure, the three resolution shares
    of complainers ("resolved" excludes "resolved quickly"; see :meth:`from_inclusive`).
    """

    failure_share: float = _unit("failure_share")
    complaint_share: float = _unit("complaint_share")
    quick_share: float = _unit("quick_share")
    resolved_share: float = _unit("resolved_share")
    unresolved_share: float = _unit("unresolved_share")
    no_failure_rate: float = _unit("no_failure_rate")
    no_complaint_rate: float = _unit("no_complaint_rate")
    quick_rate: float = _unit("quick_rate")
    resolved_rate: float = _unit("resolved_rate")
    unresolved_rate: float = _unit("unresolved_rate")

    def __attrs_post_init__(self) -> None:
        total = self.quick_share + self.resolved_share + self.unresolved_share
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise InvalidInputError(
                "quick_share + resolved_share + unresolved_share must equal 1 (shares of "
                f"complainers, 'resolved' excluding 'resolved quickly'); got {total!r}"
            )

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_leaves(cls, leaf_shares: ArrayLike, leaf_rates: ArrayLike) -> RepurchaseTree:
        """Build from the five leaf shares of the whole customer base and the leaf rates.

        Both have shape (5,) in :data:`LEAVES` order; the shares sum to 1. Conditional shares
        of an empty branch (no failures, or no complainers) are set to 0 (0, 0, 1 for the
        resolution shares), which leaves every total unchanged.
        """
        w = as_float_array(leaf_shares, "leaf_shares", lower=0, upper=1, ndim=1)
        r = as_float_array(leaf_rates, "leaf_rates", lower=0, upper=1, ndim=1)
        if w.shape != (5,) or r.shape != (5,):
            raise InvalidInputError(
                f"leaf_shares and leaf_rates need shape (5,); got {w.shape}, {r.shape}"
            )
        if abs(w.sum() - 1.0) > SHARE_TOLERANCE:
            raise InvalidInputError(f"leaf_shares must sum to 1; got {float(w.sum())!r}")
        return cls._from_weights(w, r, None)

    @classmethod
    def _from_weights(
        cls, w: FloatArray, r: FloatArray, like: RepurchaseTree | None
    ) -> RepurchaseTree:
        f = float(w[1:].sum())
        complainers = float(w[2:].sum())
        if complainers > 0:
            q, s, u = (float(x) for x in w[2:] / complainers)
        elif like is not None:
            q, s, u = like.quick_share, like.resolved_share, like.unresolved_share
        else:
            q, s, u = 0.0, 0.0, 1.0
        c = complainers / f if f > 0 else (like.complaint_share if like else 0.0)
        return cls(min(f, 1.0), min(c, 1.0), q, s, u, *(float(x) for x in r))

    @classmethod
    def from_inclusive(
        cls,
        *,
        failure_share: float,
        complaint_share: float,
        no_failure_rate: float,
        no_complaint_rate: float,
        resolution: InclusiveResolution,
    ) -> RepurchaseTree:
        """Build from the inclusive reading of the complainer branch.

        ``resolved (excl.) share = S - q`` and ``its rate = (S r_S - q r_q) / (S - q)``.

        Raises
        ------
        InvalidInputError
            If ``quick_share > resolved_share``, ``resolved_share + unresolved_share != 1``, or
            the implied rate of the resolved-not-quickly leaf falls outside [0, 1] (checked as
            ``0 <= S r_S - q r_q <= S - q``, so at ``q == S`` it requires ``r_S == r_q``: the
            boundary answers like its neighbours instead of silently using ``r_q``).
        """
        res = resolution
        S, q = res.resolved_share, res.quick_share
        if q > S + SHARE_TOLERANCE:
            raise InvalidInputError(
                f"quick_share ({q!r}) cannot exceed the inclusive resolved_share ({S!r})"
            )
        if abs(S + res.unresolved_share - 1.0) > SHARE_TOLERANCE:
            raise InvalidInputError(
                "inclusive reading: resolved_share + unresolved_share must equal 1; got "
                f"{S + res.unresolved_share!r}"
            )
        s = max(S - q, 0.0)
        # The resolved complainers hold S r_S = q r_q + s r_s with r_s in [0, 1]: checked in
        # this multiplied form, which stays continuous at s = 0 (every resolved complaint
        # resolved quickly), where it demands r_S = r_q instead of dividing by zero.
        held = S * res.resolved_rate - q * res.quick_rate
        if not -SHARE_TOLERANCE <= held <= s + SHARE_TOLERANCE:
            if s <= 0:
                raise InvalidInputError(
                    f"inclusive reading: every resolved complaint is resolved quickly "
                    f"(quick_share {q!r} >= resolved_share {S!r}), so resolved_rate "
                    f"{res.resolved_rate!r} must equal quick_rate {res.quick_rate!r}"
                )
            raise InvalidInputError(
                f"inclusive reading: resolved_rate {res.resolved_rate!r} with quick_rate "
                f"{res.quick_rate!r} and quick share {q / S:.4g} of resolved implies a rate of "
                f"{held / s:.4g} for resolved-not-quickly complainers, outside [0, 1]"
            )
        rate = held / s if s > 0 else res.resolved_rate
        return cls(
            failure_share, complaint_share, q, s, res.unresolved_share,
            no_failure_rate, no_complaint_rate, res.quick_rate, min(max(rate, 0.0), 1.0),
            res.unresolved_rate,
        )  # fmt: skip

    def inclusive(self) -> InclusiveResolution:
        """The complainer branch in the inclusive reading (same tree, same totals)."""
        S = self.quick_share + self.resolved_share
        q, s = self.quick_share, self.resolved_share
        rate = (q * self.quick_rate + s * self.resolved_rate) / S if S > 0 else self.resolved_rate
        return InclusiveResolution(
            resolved_share=min(S, 1.0),  # q + s rounds to 1 + 2e-16 when u = 0
            resolved_rate=min(rate, 1.0),
            quick_share=q,
            quick_rate=self.quick_rate,
            unresolved_share=self.unresolved_share,
            unresolved_rate=self.unresolved_rate,
        )

    # ------------------------------------------------------------ totals
    @property
    def leaf_shares(self) -> FloatArray:
        """Share of the whole customer base in each leaf, shape (5,), :data:`LEAVES` order."""
        f, c = self.failure_share, self.complaint_share
        res = np.array([self.quick_share, self.resolved_share, self.unresolved_share])
        return np.array([1 - f, f * (1 - c), *(f * c * res)])

    @property
    def leaf_rates(self) -> FloatArray:
        """Repurchase-intent rate of each leaf, shape (5,), :data:`LEAVES` order."""
        return np.array(
            [
                self.no_failure_rate,
                self.no_complaint_rate,
                self.quick_rate,
                self.resolved_rate,
                self.unresolved_rate,
            ]
        )

    @property
    def intent(self) -> float:
        """Overall repurchase-intent rate ``R`` (a convex combination of the leaf rates)."""
        return float(self.leaf_shares @ self.leaf_rates)

    @property
    def no_intent_share(self) -> float:
        """Share of customers without intent to repurchase, ``1 - R``."""
        return 1.0 - self.intent

    def recovery_rate(self, population: Population = "failures") -> float:
        """Repurchase intent of customers with a failure (``"failures"``) or of complainers."""
        r = self.leaf_rates
        res = np.array([self.quick_share, self.resolved_share, self.unresolved_share])
        complained = float(res @ r[2:])
        if population == "complainers":
            return complained
        if population != "failures":
            raise InvalidInputError(
                f"population must be 'failures' or 'complainers'; got {population!r}"
            )
        c = self.complaint_share
        return (1 - c) * self.no_complaint_rate + c * complained

    def derivative_complaint_share(self) -> float:
        """``dR/dc = f [(q r_q + s r_s + u r_u) - r_nc]``."""
        return float(
            intent_derivative_complaint_share(
                self.failure_share, self.quick_share, self.resolved_share,
                self.unresolved_share, self.no_complaint_rate, self.quick_rate,
                self.resolved_rate, self.unresolved_rate,
            )
        )  # fmt: skip

    def lost_customers(self, n_customers: float = 1.0) -> FloatArray:
        """Each leaf's contribution to customers without intent: ``n * share_k (1 - r_k)``.

        Shape (5,), :data:`LEAVES` order; sums to ``n_customers * no_intent_share``.
        """
        n = as_scalar(n_customers, "n_customers", lower=0)
        out: FloatArray = n * self.leaf_shares * (1.0 - self.leaf_rates)
        return out

    # ------------------------------------------------------------ what-if
    def move(
        self, from_leaf: str, to_leaf: str, amount: float, *, basis: Basis = "population"
    ) -> RepurchaseTree:
        """The tree after moving customers from one leaf to another.

        Parameters
        ----------
        from_leaf, to_leaf
            Leaf names (:data:`LEAVES`); ``to_leaf`` may also be ``"complained"``, spreading
            the moved customers over the complainer leaves in the current ``q : s : u`` ratio
            (e.g. getting more failing customers to complain).
        amount
            How many move, as a share of ``basis``: the whole customer base (``"population"``,
            default), customers with a failure (``"failures"``, i.e. ``f * amount``), or
            complainers (``"complainers"``, ``f c * amount``). Moved customers take the rate of
            their new leaf.

        Raises
        ------
        InvalidInputError
            Unknown leaf, negative amount, or more customers than the source leaf holds.
        """
        w, moved = self.leaf_shares, self._moved_share(amount, basis)
        i, j = (
            _leaf_index(from_leaf, "from_leaf", LEAVES),
            _leaf_index(to_leaf, "to_leaf", _TARGETS),
        )
        if moved > w[i] + SHARE_TOLERANCE:
            raise InvalidInputError(
                f"amount: cannot move a share {moved!r} out of leaf {from_leaf!r}, which holds "
                f"{float(w[i])!r}"
            )
        w[i] = max(w[i] - moved, 0.0)
        if j == 5:
            res = np.array([self.quick_share, self.resolved_share, self.unresolved_share])
            w[2:] += moved * res
        else:
            w[j] += moved
        return RepurchaseTree._from_weights(w, self.leaf_rates, self)

    def _moved_share(self, amount: float, basis: Basis) -> float:
        a = as_scalar(amount, "amount", lower=0)
        scale = {
            "population": 1.0,
            "failures": self.failure_share,
            "complainers": self.failure_share * self.complaint_share,
        }
        if basis not in scale:
            raise InvalidInputError(f"basis must be one of {sorted(scale)}; got {basis!r}")
        return a * scale[basis]

    def gain(
        self,
        from_leaf: str,
        to_leaf: str,
        amount: float,
        *,
        basis: Basis = "population",
        n_customers: float | None = None,
        value_per_customer: float | None = None,
    ) -> MoveGain:
        """Gain in repurchase intent from :meth:`move` (same arguments), in customers and money.

        ``intent_change = moved * (r_to - r_from)``; e.g. moving complainers from unresolved to
        resolved quickly gains ``f c (r_q - r_u)`` per unit of the complainer share moved.
        ``customers = intent_change * n_customers`` and ``money = customers *
        value_per_customer`` (e.g. the CLV of a retained customer); NaN when not given.
        """
        after = self.move(from_leaf, to_leaf, amount, basis=basis)
        change = after.intent - self.intent
        n = np.nan if n_customers is None else as_scalar(n_customers, "n_customers", lower=0)
        v = (
            np.nan
            if value_per_customer is None
            else as_scalar(value_per_customer, "value_per_customer")
        )
        return MoveGain(
            moved_share=self._moved_share(amount, basis),
            intent_change=change,
            customers=change * n,
            money=change * n * v,
            after=after,
        )

    def to_columns(self) -> Columns:
        """One row per leaf (:data:`LEAVES` order): ``leaf``, ``share`` (of all customers),
        ``rate`` (repurchase intent) and ``lost_share`` (``share * (1 - rate)``)."""
        return freeze_columns(
            {
                "leaf": np.asarray(LEAVES, dtype=str),
                "share": self.leaf_shares,
                "rate": self.leaf_rates,
                "lost_share": self.lost_customers(1.0),
            }
        )

    def _repr_html_(self) -> str:
        cap = f"repurchase intent {self.intent:.4g}; no intent {self.no_intent_share:.4g}"
        return columns_html(self.to_columns(), cap)

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), intent=self.intent)


def _leaf_index(name: str, arg: str, names: tuple[str, ...]) -> int:
    if name not in names:
        raise InvalidInputError(f"{arg}: unknown leaf {name!r}; known: {', '.join(names)}")
    return names.index(name)
