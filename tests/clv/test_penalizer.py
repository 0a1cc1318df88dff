"""The optional L2 penalty on log-parameters shared by every fit (``penalizer=``)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from custvalue.clv import BetaGeo, GammaGamma
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError, InvalidTypeError

SUMMARY = load_cdnow_summary()


def _mean_ll(model_cls: type[BetaGeo], u: np.ndarray) -> float:
    p = np.exp(u)
    from custvalue.clv import BetaGeoParams

    model = model_cls(BetaGeoParams(*p))
    ll = model.log_likelihood_per_customer(SUMMARY.frequency, SUMMARY.recency, SUMMARY.T)
    return float(ll.mean())


@pytest.mark.parametrize("c", [0.01, 0.1, 1.0])
def test_penalized_optimum_is_stationary_for_the_penalized_objective(c: float) -> None:
    """At the optimum d(mean LL)/du = 2 c u (u = log-parameters): catches a penalty on the
    natural parameters, a missing factor 2, a wrong sign or a penalty on the total LL."""
    model = BetaGeo.fit(SUMMARY, penalizer=c)
    u = np.log(model.params.as_array())
    h = 1e-6
    grad = np.array(
        [(_mean_ll(BetaGeo, u + h * e) - _mean_ll(BetaGeo, u - h * e)) / (2 * h) for e in np.eye(4)]
    )
    np.testing.assert_allclose(grad, 2 * c * u, rtol=1e-4, atol=1e-7)
    assert model.diagnostics is not None
    assert model.diagnostics.penalizer == c
    assert model.diagnostics.converged


def test_zero_penalizer_is_plain_maximum_likelihood_and_shrinkage_grows_with_it() -> None:
    plain = BetaGeo.fit(SUMMARY)
    assert BetaGeo.fit(SUMMARY, penalizer=0.0) == plain
    norms = [
        float(np.sum(np.log(BetaGeo.fit(SUMMARY, penalizer=c).params.as_array()) ** 2))
        for c in (0.0, 0.01, 0.1, 1.0)
    ]
    assert all(a > b for a, b in itertools.pairwise(norms)), norms
    lls = [BetaGeo.fit(SUMMARY, penalizer=c).log_likelihood for c in (0.0, 0.01, 0.1)]
    assert lls[0] > lls[1] > lls[2]  # the reported LL is the unpenalized one


def test_gamma_gamma_penalty_does_not_depend_on_the_currency() -> None:
    cents = GammaGamma.fit(SUMMARY.frequency, SUMMARY.monetary_value * 128, penalizer=0.1)
    dollars = GammaGamma.fit(SUMMARY.frequency, SUMMARY.monetary_value, penalizer=0.1)
    assert cents.params.p == pytest.approx(dollars.params.p, rel=1e-7)
    assert cents.params.gamma == pytest.approx(128 * dollars.params.gamma, rel=1e-7)
    assert dollars.params != GammaGamma.fit(SUMMARY).params


def test_penalizer_survives_json_and_old_documents_read_as_unpenalized() -> None:
    model = BetaGeo.fit(SUMMARY, penalizer=0.25)
    assert BetaGeo.from_json(model.to_json()) == model
    assert "penalizer: 0.25" in model.summary()
    doc = json.loads(model.to_json())
    del doc["payload"]["fit"]["diagnostics"]["penalizer"]
    old = BetaGeo.from_json(json.dumps(doc))
    assert old.diagnostics is not None
    assert old.diagnostics.penalizer == 0.0
    assert "penalizer" not in BetaGeo.fit(SUMMARY).summary()


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (-0.1, InvalidInputError, "penalizer must be >= 0; got -0.1"),
        (float("nan"), InvalidInputError, "penalizer must not be NaN"),
        (float("inf"), InvalidInputError, "penalizer must be finite"),
        ("0.1", InvalidTypeError, "penalizer"),
    ],
)
def test_bad_penalizer_is_refused_by_name(value: object, error: type, text: str) -> None:
    for fit in (
        lambda: BetaGeo.fit(SUMMARY, penalizer=value),  # type: ignore[arg-type]
        lambda: GammaGamma.fit(SUMMARY, penalizer=value),  # type: ignore[arg-type]
    ):
        with pytest.raises(error, match=text):
            fit()
