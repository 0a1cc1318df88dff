"""Customer migration between lifecycle stages as a Markov chain (Pfeifer & Carraway 2000).

A :class:`MigrationModel` holds a 4 x 4 transition matrix over :class:`Stage` (rows: stage now,
columns: stage one period later). It answers: the value of a customer by starting stage, the
absorbing-chain facts when TERMINATE is absorbing, the cohort forecast ``k`` periods ahead, a
Monte Carlo simulation, and what-if changes of one transition probability. Estimation from
observed transitions lives in :mod:`custvalue.lifecycle.estimation`.

References
----------
Pfeifer, P. E. and Carraway, R. L. (2000). Modeling customer relationships as Markov chains.
*Journal of Interactive Marketing* 14(2), 43-55.
Kemeny, J. G. and Snell, J. L. (1960). *Finite Markov Chains*. Van Nostrand, ch. III.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns, matrix_columns
from custvalue._json import ARRAY_EQ, JsonMixin, to_float64
from custvalue._progress import progress_bar
from custvalue._validation import as_count, as_float_array, as_rng, as_scalar, fail_at
from custvalue.errors import InvalidInputError
from custvalue.lifecycle import _markov
from custvalue.lifecycle._common import ROW_SUM_TOLERANCE, STAGE_NAMES, check_stochastic
from custvalue.lifecycle.stages import ALLOWED_TRANSITIONS, Stage, as_stage, as_stage_codes

__all__ = ["AbsorbingFacts", "MigrationModel", "StageValue", "WhatIf"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Renormalize = Literal["proportional", "stay"]


def _rewards(value: ArrayLike) -> FloatArray:
    r = as_float_array(value, "rewards", ndim=1)
    if r.shape != (len(Stage),):
        raise InvalidInputError(f"rewards must have shape (4,) (one per stage); got {r.shape}")
    return r


def _horizon(value: Any) -> int | None:
    return None if value is None else as_count(value, "horizon")


def _check_shapes(obj: Any, shapes: dict[str, tuple[int, ...]]) -> None:
    """Each named array field has its shape and no NaN (constructors and loaders alike)."""
    for name, shape in shapes.items():
        arr = getattr(obj, name)
        if arr.shape != shape:
            raise InvalidInputError(f"{name} must have shape {shape}; got {arr.shape}")
        fail_at(name, "must not be NaN", arr, np.isnan(arr))


@attrs.frozen
class StageValue(JsonMixin):
    """Expected discounted net reward of a customer by starting stage.

    Attributes
    ----------
    values
        Shape (4,), in :class:`Stage` order, in the money unit of ``rewards``.
    rewards
        Expected net reward per period in each stage, shape (4,).
    discount_rate
        Discount rate per period.
    horizon
        Number of future periods counted (``None``: infinite horizon).
    """

    values: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    rewards: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    discount_rate: float
    horizon: int | None

    def to_columns(self) -> Columns:
        """One row per starting stage: ``stage``, ``reward`` (per period) and ``value``."""
        return freeze_columns(
            {"stage": np.asarray(STAGE_NAMES), "reward": self.rewards, "value": self.values}
        )

    def __attrs_post_init__(self) -> None:
        _check_shapes(self, {"values": (len(Stage),), "rewards": (len(Stage),)})
        fail_at("rewards", "must be finite", self.rewards, ~np.isfinite(self.rewards))
        fail_at("values", "must be finite", self.values, ~np.isfinite(self.values))
        as_scalar(self.discount_rate, "discount_rate", lower=0)
        if self.horizon is not None:
            as_count(self.horizon, "horizon")

    def _repr_html_(self) -> str:
        h = "infinite" if self.horizon is None else f"{self.horizon} periods"
        cap = f"value by starting stage (d = {self.discount_rate:g} per period, horizon {h})"
        return columns_html(self.to_columns(), cap)

    def __repr__(self) -> str:
        return columns_repr(
            self, self.to_columns(), discount_rate=self.discount_rate, horizon=self.horizon
        )


@attrs.frozen
class AbsorbingFacts(JsonMixin):
    """Facts of the chain with TERMINATE absorbing (Kemeny & Snell 1960, ch. III).

    Attributes
    ----------
    fundamental_matrix
        ``N = (I - Q)^-1`` over the transient stages ACQUIRE, RETAIN, RECOVER (shape (3, 3)):
        expected number of periods spent in stage ``j`` starting from stage ``i``, the starting
        period included.
    expected_periods
        ``t = N 1``: expected number of periods before termination, by starting transient stage
        (shape (3,)), the starting period included.
    variance_periods
        Variance of that number of periods, ``(2N - I) t - t*t``.
    probability_reach_retain
        Probability of ever being in RETAIN (now or later), by starting stage (shape (4,)); for
        RETAIN itself the probability of ever returning after the next move.
    probability_recover_to_retain
        Probability that a customer in RECOVER ever returns to RETAIN (before termination).
    """

    fundamental_matrix: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    expected_periods: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    variance_periods: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    probability_reach_retain: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    probability_recover_to_retain: float

    def to_columns(self) -> Columns:
        """One row per transient stage (ACQUIRE, RETAIN, RECOVER): ``stage``,
        ``expected_periods``, ``variance_periods`` and ``probability_reach_retain``."""
        return freeze_columns(
            {
                "stage": np.asarray(STAGE_NAMES[:3]),
                "expected_periods": self.expected_periods,
                "variance_periods": self.variance_periods,
                "probability_reach_retain": self.probability_reach_retain[:3],
            }
        )

    def __attrs_post_init__(self) -> None:
        _check_shapes(
            self,
            {
                "fundamental_matrix": (3, 3),
                "expected_periods": (3,),
                "variance_periods": (3,),
                "probability_reach_retain": (len(Stage),),
            },
        )
        as_scalar(self.probability_recover_to_retain, "probability_recover_to_retain", lower=0)
        steps, var = self.expected_periods, self.variance_periods
        fail_at("expected_periods", "must be > 0", steps, ~(steps > 0))
        fail_at("expected_periods", "must be finite", steps, ~np.isfinite(steps))
        fail_at("variance_periods", "must be finite", var, ~np.isfinite(var))
        reach = self.probability_reach_retain
        fail_at("probability_reach_retain", "must be in [0, 1]", reach, (reach < 0) | (reach > 1))

    def _repr_html_(self) -> str:
        cap = (
            "absorbing-chain facts (the fundamental matrix N is .fundamental_matrix); "
            "P(RECOVER ever returns to RETAIN) = "
            f"{self.probability_recover_to_retain:.4g}"
        )
        return columns_html(self.to_columns(), cap)

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


@attrs.frozen
class WhatIf(JsonMixin):
    """Change in customer value after changing one transition probability.

    Attributes
    ----------
    before, after
        :class:`StageValue` under the original and the changed matrix.
    matrix_after
        The changed transition matrix.
    difference
        ``after.values - before.values``, shape (4,).
    """

    before: StageValue
    after: StageValue
    matrix_after: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)

    def __attrs_post_init__(self) -> None:
        check_stochastic(self.matrix_after, "matrix_after")
        b, a = self.before, self.after
        if (b.discount_rate, b.horizon) != (a.discount_rate, a.horizon) or not np.array_equal(
            b.rewards, a.rewards
        ):
            raise InvalidInputError("before and after must share rewards, discount and horizon")

    @property
    def difference(self) -> FloatArray:
        """Change in value per starting stage (after minus before)."""
        return self.after.values - self.before.values

    def to_columns(self) -> Columns:
        """One row per starting stage: ``stage``, ``value_before``, ``value_after``, ``change``."""
        return freeze_columns(
            {
                "stage": np.asarray(STAGE_NAMES),
                "value_before": self.before.values,
                "value_after": self.after.values,
                "change": self.difference,
            }
        )

    def _repr_html_(self) -> str:
        return columns_html(
            self.to_columns(), "value by starting stage before and after the change"
        )

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


def _check_model(instance: MigrationModel, attribute: Any, value: FloatArray) -> None:
    check_stochastic(value, "matrix")


@attrs.frozen
class MigrationModel(JsonMixin):
    """A Markov chain over the four lifecycle stages.

    Attributes
    ----------
    matrix
        Transition matrix per period, shape (4, 4), rows and columns in :class:`Stage` order.
        Entries in [0, 1]; every row sums to 1 within ``ROW_SUM_TOLERANCE`` (1e-9); transitions
        not in ``ALLOWED_TRANSITIONS`` (other than staying) must have probability 0.

    Examples
    --------
    >>> import numpy as np
    >>> from custvalue.lifecycle import MigrationModel
    >>> P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
    >>> v = MigrationModel(P).value([0.0, 100.0, 20.0, 0.0], discount_rate=0.1)
    >>> np.round(v.values, 2)
    array([296.  , 542.67, 264.  ,   0.  ])
    """

    matrix: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ, validator=_check_model)

    # ----------------------------------------------------------------- value
    def value(
        self, rewards: ArrayLike, discount_rate: float, *, horizon: int | None = None
    ) -> StageValue:
        """Expected discounted net reward by starting stage (Pfeifer & Carraway 2000).

        ``V_T = sum_{t=0..T} (P / (1 + d))^t R`` with the current period's reward received
        now; ``horizon=None`` uses the closed form ``V = (I - P / (1 + d))^-1 R`` (eq. 7).

        Parameters
        ----------
        rewards
            Expected net reward per period in each stage, shape (4,), money per period.
        discount_rate
            Discount rate per period, >= 0. With ``d = 0`` and an infinite horizon, every stage
            must reach a zero-reward absorbing stage (e.g. TERMINATE absorbing, reward 0); the
            value is then the expected total reward until absorption.
        horizon
            Number of future periods (0: the current period only); ``None``: infinite.

        Raises
        ------
        InvalidInputError
            Bad shapes or values; an infinite undiscounted value that diverges; an infinite
            horizon with ``d`` at or below the excess of a row sum over 1 (rows may sum to
            ``1 + ROW_SUM_TOLERANCE``), where the sum need not converge; a value beyond the
            float64 range. Otherwise the infinite-horizon value is exact to the last bit (solved
            in rational arithmetic), for every ``d`` down to the smallest float.
        """
        R = _rewards(rewards)
        d = as_scalar(discount_rate, "discount_rate", lower=0)
        T = _horizon(horizon)
        if T is None:
            values = self._infinite_value(R, d)
        else:
            values = _markov.discounted_value(self.matrix, R, d, T)
        return StageValue(values=values, rewards=R, discount_rate=d, horizon=T)

    def _infinite_value(self, R: FloatArray, d: float) -> FloatArray:
        # Zero-reward absorbing stages are worth 0; solving on the other stages keeps the
        # system well conditioned as d -> 0 when every stage is eventually absorbed there.
        # Absorbing means exactly: a row with 1 on the diagonal and nothing else (a row may sum
        # to 1 + ROW_SUM_TOLERANCE, so P[i, i] == 1 alone still lets value leak out of i).
        P = self.matrix
        sink = (np.diag(P) == 1.0) & (np.count_nonzero(P, axis=1) == 1) & (R == 0.0)
        absorbed = bool(_markov.reaches(P, sink).all())
        if not absorbed and d == 0:
            raise InvalidInputError(
                "discount_rate = 0 with an infinite horizon diverges: not every stage reaches an "
                "absorbing stage with reward 0; use discount_rate > 0 or a finite horizon"
            )
        free = ~sink if absorbed else np.ones(len(Stage), dtype=bool)
        if not absorbed:
            # The series converges when the spectral radius of P is < 1 + d; rows may sum to
            # 1 + 1e-9 (ROW_SUM_TOLERANCE), so a d at or below that excess is undetermined.
            excess = max(sum(map(Fraction, row)) for row in P.tolist()) - 1
            if excess >= Fraction(d):
                raise InvalidInputError(
                    f"discount_rate = {d!r} is too small for an infinite horizon on a chain "
                    f"that never stops: a row of the matrix sums to 1 + {float(excess):.3g}, so "
                    "the discounted sum need not converge; use a larger discount_rate, a finite "
                    "horizon, or rows that sum to 1 exactly"
                )
        out = np.zeros(len(Stage))
        try:
            out[free] = _markov.discounted_value(P[np.ix_(free, free)], R[free], d, None)
        except OverflowError:
            raise InvalidInputError(
                f"discount_rate = {d!r}: the infinite-horizon value exceeds the float64 range "
                "for these rewards; use a larger discount_rate or a finite horizon"
            ) from None
        return out

    # ----------------------------------------------------------- absorbing chain
    def absorbing(self) -> AbsorbingFacts:
        """Absorbing-chain facts; TERMINATE must be absorbing and reachable from every stage.

        Raises
        ------
        InvalidInputError
            If ``P[TERMINATE, TERMINATE] != 1`` (use :meth:`with_absorbing_terminate` to make
            it so, an explicit modelling choice) or some stage can never terminate.
        """
        P = self.matrix
        t = int(Stage.TERMINATE)
        if abs(P[t, t] - 1.0) > ROW_SUM_TOLERANCE:
            raise InvalidInputError(
                f"TERMINATE is not absorbing (P[TERMINATE, TERMINATE] = {P[t, t]!r}); call "
                ".with_absorbing_terminate() first if that is the intended model"
            )
        absorbing = np.arange(len(Stage)) == t
        ok = _markov.reaches(P, absorbing)
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            raise InvalidInputError(
                f"stage {Stage(k).name} never reaches TERMINATE, so the expected time to "
                "termination is infinite"
            )
        try:
            with np.errstate(all="ignore"):
                N, steps, var, _ = _markov.absorbing_fundamentals(P, absorbing)
                h = _markov.hitting_probability(P, int(Stage.RETAIN))
        except np.linalg.LinAlgError:
            N = steps = var = h = np.full(1, np.inf)
        if not all(np.all(np.isfinite(v)) for v in (N, var, h)):
            raise InvalidInputError(
                "the absorbing-chain system is numerically singular: a transition "
                "probability is too small to resolve (expected times overflow)"
            )
        return AbsorbingFacts(
            fundamental_matrix=N,
            expected_periods=steps,
            variance_periods=var,
            probability_reach_retain=h,
            probability_recover_to_retain=float(h[int(Stage.RECOVER)]),
        )

    def with_absorbing_terminate(self) -> MigrationModel:
        """A copy with TERMINATE made absorbing (no re-acquisition)."""
        P = self.matrix.copy()
        P[int(Stage.TERMINATE)] = np.eye(len(Stage))[int(Stage.TERMINATE)]
        return MigrationModel(P)

    # ----------------------------------------------------------- forecast and simulation
    def forecast(self, start: ArrayLike, periods: int) -> FloatArray:
        """Stage distribution of a cohort ``0..periods`` periods ahead, ``x_k = x_0 P^k``.

        Parameters
        ----------
        start
            Customers (or shares) per stage now, shape (4,), >= 0.
        periods
            Number of periods ahead, >= 0.

        Returns
        -------
        numpy.ndarray
            Shape (periods + 1, 4); row ``k`` is the expected distribution after ``k`` periods,
            in the unit of ``start`` (its total is preserved).
        """
        x0 = as_float_array(start, "start", lower=0, ndim=1)
        if x0.shape != (len(Stage),):
            raise InvalidInputError(f"start must have shape (4,); got {x0.shape}")
        return _markov.forecast_distribution(self.matrix, x0, as_count(periods, "periods"))

    def simulate(
        self, start_stages: ArrayLike, periods: int, *, rng: Any, progress: bool = False
    ) -> IntArray:
        """Simulate each customer's stage path (vectorised over customers).

        Parameters
        ----------
        start_stages
            Stage (name or code) of each simulated customer now, shape (n,).
        periods
            Number of periods to simulate.
        rng
            ``numpy.random.Generator`` or integer seed.
        progress
            Show a progress bar over the periods if tqdm is installed.

        Returns
        -------
        numpy.ndarray
            int64 stage codes, shape (n, periods + 1); column 0 is ``start_stages``.
        """
        start = np.atleast_1d(as_stage_codes(start_stages, "start_stages")).ravel()
        n_periods = as_count(periods, "periods")
        bar = progress_bar(progress, total=n_periods, desc="simulate", unit="period")
        try:
            return _markov.simulate_paths(self.matrix, start, n_periods, as_rng(rng), bar)
        finally:
            bar.close()

    def simulate_value(
        self,
        start_stages: ArrayLike,
        rewards: ArrayLike,
        discount_rate: float,
        periods: int,
        *,
        rng: Any,
        progress: bool = False,
    ) -> FloatArray:
        """Simulated discounted reward ``sum_{t=0..periods} R[s_t] / (1 + d)^t`` per customer.

        ``progress=True`` shows a progress bar over the periods if tqdm is installed.
        """
        R = _rewards(rewards)
        d = as_scalar(discount_rate, "discount_rate", lower=0)
        paths = self.simulate(start_stages, periods, rng=rng, progress=progress)
        disc = (1.0 + d) ** -np.arange(paths.shape[1], dtype=np.float64)
        return R[paths] @ disc

    # ----------------------------------------------------------- what-if
    def with_transition(
        self,
        from_stage: Stage | str | int,
        to_stage: Stage | str | int,
        probability: float,
        *,
        renormalize: Renormalize = "proportional",
    ) -> MigrationModel:
        """A copy with ``P[from, to] = probability``, the row renormalised to sum to 1.

        Parameters
        ----------
        from_stage, to_stage
            The transition to change (names, codes or :class:`Stage`); must be allowed.
        probability
            New probability, in [0, 1].
        renormalize
            ``"proportional"`` (default): the other entries of the row are scaled by
            ``(1 - p_new) / (1 - p_old)``, keeping their ratios. ``"stay"``: the difference is
            taken from (or given to) the probability of staying, ``P[from, from]``.

        Raises
        ------
        InvalidInputError
            Illegal transition, probability outside [0, 1], or a row that cannot be
            renormalised by the chosen rule (no other mass to scale; staying would go negative).
        """
        i = as_stage(from_stage, "from_stage")
        j = as_stage(to_stage, "to_stage")
        p = as_scalar(probability, "probability", lower=0, upper=1)
        if i != j and (i, j) not in ALLOWED_TRANSITIONS:
            raise InvalidInputError(f"illegal transition {i.name} -> {j.name} cannot be changed")
        P = self.matrix.copy()
        old = P[i, j]
        if renormalize == "proportional":
            others = np.arange(len(Stage)) != j
            rest = float(P[i, others].sum())  # = 1 - old, summed directly for accuracy
            if rest <= 0.0 and p < 1.0:
                raise InvalidInputError(
                    f"row {i.name} has no other mass to scale (P[{i.name}, {j.name}] = 1); "
                    "use renormalize='stay' or change the row directly"
                )
            share = P[i, others] / rest if rest > 0 else np.zeros(len(Stage) - 1)
            P[i, others] = np.minimum(share * (1.0 - p), 1.0)  # divide first: no inf * 0
        elif renormalize == "stay":
            if i == j:
                raise InvalidInputError("renormalize='stay' cannot change the staying probability")
            P[i, i] -= p - old
            if P[i, i] < -ROW_SUM_TOLERANCE:
                raise InvalidInputError(
                    f"renormalize='stay': P[{i.name}, {i.name}] would become {P[i, i]!r} < 0"
                )
            P[i, i] = max(P[i, i], 0.0)
        else:
            raise InvalidInputError(
                f"renormalize must be 'proportional' or 'stay'; got {renormalize!r}"
            )
        P[i, j] = p
        return MigrationModel(P)

    def what_if(
        self,
        from_stage: Stage | str | int,
        to_stage: Stage | str | int,
        probability: float,
        rewards: ArrayLike,
        discount_rate: float,
        *,
        horizon: int | None = None,
        renormalize: Renormalize = "proportional",
    ) -> WhatIf:
        """Value by stage before and after :meth:`with_transition` (same arguments)."""
        changed = self.with_transition(from_stage, to_stage, probability, renormalize=renormalize)
        before = self.value(rewards, discount_rate, horizon=horizon)
        after = changed.value(rewards, discount_rate, horizon=horizon)
        return WhatIf(before=before, after=after, matrix_after=changed.matrix)

    def to_columns(self, layout: str = "long") -> Columns:
        """The transition matrix: ``layout="long"`` (default) one row per ``(from_stage,
        to_stage)`` with ``probability``; ``"wide"`` one row per ``from_stage``, a column per
        stage."""
        return matrix_columns(STAGE_NAMES, layout, probability=self.matrix)

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(layout="wide"), "transition matrix per period")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(layout="wide"))
