"""Nonparametric bootstrap of BG/NBD and Gamma-Gamma parameters."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    BootstrapResult,
    GammaGamma,
    bootstrap,
    simulate_bgnbd,
)
from custvalue.clv import resampling as bootstrap_module
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import ConvergenceWarning, InvalidInputError, InvalidTypeError

PARAMS = BetaGeoParams(r=0.8, alpha=6.0, a=0.9, b=3.0)


@pytest.fixture(scope="module")
def cdnow() -> Any:
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def synthetic() -> Any:
    """8,000 customers simulated from known parameters: large enough for asymptotics."""
    return simulate_bgnbd(PARAMS, np.full(8000, 52.0), rng=11)


def test_result_shapes_and_point_estimate(cdnow: Any) -> None:
    boot = bootstrap(BetaGeo, cdnow.frequency, cdnow.recency, cdnow.T, n_resamples=12, rng=0)
    fit = BetaGeo.fit(cdnow.frequency, cdnow.recency, cdnow.T)
    assert boot.model == "BetaGeo"
    assert boot.names == ("r", "alpha", "a", "b")
    assert boot.params.shape == (12, 4)
    assert boot.n_resamples == 12
    assert boot.n_customers == cdnow.frequency.size
    np.testing.assert_array_equal(boot.estimate, fit.params.as_array())
    assert boot.converged.all()
    assert np.all(boot.params > 0)
    # replicates differ from each other and from the estimate
    assert np.unique(boot.params[:, 0]).size == 12
    lower, upper = boot.interval(0.9)
    assert np.all(lower < upper)
    assert np.all(boot.standard_errors() > 0)


@pytest.mark.slow  # ~30-70 s: run by CI's second step (pytest -m slow)
def test_bootstrap_errors_match_the_observed_information(synthetic: Any) -> None:
    """With many customers the bootstrap spread and the asymptotic standard errors agree."""
    s = synthetic
    fit = BetaGeo.fit(s.frequency, s.recency, s.T)
    boot = bootstrap(BetaGeo, s.frequency, s.recency, s.T, n_resamples=150, rng=3)
    assert fit.stderr is not None
    # the standard deviation of 150 replicates is within ~6% of its target (1 s.e.)
    np.testing.assert_allclose(boot.standard_errors(), fit.stderr, rtol=0.25)
    # the percentile interval covers the point estimate and, here, the true parameters
    lower, upper = boot.interval(0.99)
    assert np.all((lower <= boot.estimate) & (boot.estimate <= upper))
    assert np.all((lower <= PARAMS.as_array()) & (PARAMS.as_array() <= upper))


def test_gamma_gamma_resamples_all_customers(cdnow: Any) -> None:
    boot = bootstrap(GammaGamma, cdnow.frequency, cdnow.monetary_value, n_resamples=15, rng=2)
    fit = GammaGamma.fit(cdnow.frequency, cdnow.monetary_value)
    assert boot.names == ("p", "q", "gamma")
    np.testing.assert_array_equal(boot.estimate, fit.params.as_array())
    # one-time buyers are drawn too: the customer count is everyone's, not the repeat buyers'
    assert boot.n_customers == cdnow.frequency.size
    assert boot.converged.all()
    assert fit.stderr is not None
    # q is well identified on CDNOW; its spread matches the asymptotic error loosely
    assert 0.5 * fit.stderr[1] < boot.standard_errors()[1] < 2.0 * fit.stderr[1]


def test_weights_count_customers(cdnow: Any) -> None:
    x, tx, T = cdnow.frequency, cdnow.recency, cdnow.T
    doubled = bootstrap(BetaGeo, x, tx, T, weights=np.full(x.size, 2.0), n_resamples=3, rng=1)
    assert doubled.n_customers == 2 * x.size
    np.testing.assert_allclose(doubled.estimate, BetaGeo.fit(x, tx, T).params.as_array(), rtol=1e-6)
    # a zero weight removes the row from every replicate: same as dropping it
    w = np.ones(x.size)
    w[:10] = 0.0
    a = bootstrap(BetaGeo, x, tx, T, weights=w, n_resamples=3, rng=4)
    assert a.n_customers == x.size - 10


def test_same_seed_same_replicates_and_progress_changes_nothing(cdnow: Any) -> None:
    args = (BetaGeo, cdnow.frequency, cdnow.recency, cdnow.T)
    a = bootstrap(*args, n_resamples=4, rng=9)
    b = bootstrap(*args, n_resamples=4, rng=np.random.default_rng(9), progress=True)
    assert a == b
    assert a != bootstrap(*args, n_resamples=4, rng=10)


def test_unconverged_replicates_are_recorded_and_left_out(
    cdnow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bootstrap_module._refit
    calls = {"n": 0}

    def flaky(*args: Any) -> Any:
        model = real(*args)
        calls["n"] += 1
        if calls["n"] % 3 == 0:  # every third replicate "fails"
            assert model.diagnostics is not None
            diag = model.diagnostics.__class__(
                converged=False,
                message="forced",
                n_iterations=1,
                gradient_norm=1.0,
                at_bound=False,
                hessian_positive_definite=True,
            )
            return model.__class__(model.params, diagnostics=diag)
        return model

    monkeypatch.setattr(bootstrap_module, "_refit", flaky)
    with pytest.warns(ConvergenceWarning, match="3 of 9 bootstrap replicates of BetaGeo"):
        boot = bootstrap(BetaGeo, cdnow.frequency, cdnow.recency, cdnow.T, n_resamples=9, rng=0)
    assert boot.converged.tolist() == [True, True, False] * 3
    kept = boot.params[boot.converged]
    np.testing.assert_array_equal(boot.standard_errors(), np.std(kept, axis=0, ddof=1))
    assert len(boot.models()) == 6
    np.testing.assert_array_equal(boot.models()[2].params.as_array(), kept[2])


@pytest.mark.slow  # ~30-70 s: run by CI's second step (pytest -m slow)
def test_gamma_gamma_replicate_without_repeat_buyers_is_not_converged() -> None:
    # one repeat buyer among many one-time buyers: some replicates draw no repeat buyer
    x = np.array([0.0] * 40 + [2.0, 3.0, 1.0])
    m = np.array([0.0] * 40 + [10.0, 12.0, 9.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        boot = bootstrap(GammaGamma, x, m, n_resamples=60, rng=5)
    assert not boot.converged.all()
    assert np.all(np.isfinite(boot.params))


def test_too_few_converged_replicates_refuse_statistics() -> None:
    boot = BootstrapResult(
        model="BetaGeo",
        estimate=[1.0, 2.0, 3.0, 4.0],
        params=np.ones((3, 4)),
        converged=[True, False, False],
        n_customers=10.0,
    )
    with pytest.raises(InvalidInputError, match="only 1 of 3 replicates converged"):
        boot.standard_errors()
    with pytest.raises(InvalidInputError, match="level"):
        BootstrapResult(
            model="BetaGeo",
            estimate=[1.0, 2.0, 3.0, 4.0],
            params=np.ones((3, 4)),
            converged=[True] * 3,
            n_customers=10.0,
        ).interval(1.5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": BetaGeo(PARAMS)}, InvalidTypeError, "the class"),
        ({"model": "BetaGeo"}, InvalidTypeError, "the class"),
        ({"n_resamples": 0}, InvalidInputError, "n_resamples must be >= 1"),
        ({"n_resamples": 2.0}, InvalidTypeError, "n_resamples must be an integer"),
        ({"rng": -1}, InvalidInputError, "rng seed"),
        ({"rng": None}, InvalidTypeError, "rng must be"),
        ({"progress": 1}, InvalidTypeError, "progress must be True or False"),
        ({"weights": [1.0, -1.0, 1.0]}, InvalidInputError, "weights"),
    ],
)
def test_bad_arguments_raise_clear_errors(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    args: dict[str, Any] = {"model": BetaGeo, "n_resamples": 2, "rng": 0}
    args.update(kwargs)
    model = args.pop("model")
    with pytest.raises(error, match=match):
        bootstrap(model, [1, 0, 2], [3.0, 0.0, 5.0], [10.0, 8.0, 9.0], **args)


def test_wrong_number_of_data_arrays() -> None:
    with pytest.raises(InvalidInputError, match="GammaGamma needs 2 data arrays; got 3"):
        bootstrap(GammaGamma, [1, 2], [3.0, 4.0], [5.0, 6.0], rng=0)
    with pytest.raises(InvalidInputError, match="shape"):
        BootstrapResult(
            model="GammaGamma", estimate=[1.0, 2.0], params=np.ones((2, 3)),
            converged=[True, True], n_customers=2.0,
        )  # fmt: skip
    with pytest.raises(InvalidInputError, match="model must be one of"):
        BootstrapResult(
            model="Pareto", estimate=[1.0], params=np.ones((1, 1)),
            converged=[True], n_customers=1.0,
        )  # fmt: skip


def test_summary_html_and_json(cdnow: Any) -> None:
    boot = bootstrap(GammaGamma, cdnow.frequency, cdnow.monetary_value, n_resamples=5, rng=0)
    text = boot.summary()
    assert "GammaGamma bootstrap: 5 of 5 replicates converged, n = 2357" in text
    assert text.count("\n") == 4  # caption, header, three parameters
    html = boot._repr_html_()
    assert html.count("<tr>") == 4
    assert "boot s.e." in html
    back = BootstrapResult.from_json(boot.to_json())
    assert back == boot
    assert back.to_json() == boot.to_json()


def test_broadcast_data_resamples_customers(synthetic: Any) -> None:
    """A scalar argument (e.g. every customer made 3 repeat purchases) is one value per
    customer: the customers are resampled, not the single scalar."""
    m = np.random.default_rng(0).gamma(6.0, 5.0, 300)
    with warnings.catch_warnings():  # equal frequencies identify p and gamma poorly
        warnings.simplefilter("ignore", ConvergenceWarning)
        scalar = bootstrap(GammaGamma, 3, m, n_resamples=3, rng=8)
        full = bootstrap(GammaGamma, np.full(300, 3), m, n_resamples=3, rng=8)
    assert scalar == full
    assert scalar.n_customers == 300
    assert not np.allclose(scalar.params[0], scalar.estimate)  # replicates really resample


@pytest.mark.parametrize("name", ["ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom"])
def test_every_purchase_model_of_the_registry_is_bootstrapped(cdnow: Any, name: str) -> None:
    """bootstrap takes any purchase model: replicates are refits of that class, and
    models() rebuilds instances of it from the replicate parameters."""
    import custvalue.clv
    from custvalue.datasets import load_donations

    cls = getattr(custvalue.clv, name)
    if name == "BetaGeoBetaBinom":
        d = load_donations()
        data, weights = (d.frequency, d.recency, d.periods), d.weights
    else:
        data, weights = (cdnow.frequency, cdnow.recency, cdnow.T), None
    boot = bootstrap(cls, *data, weights=weights, n_resamples=3, rng=4)
    assert boot.model == name
    np.testing.assert_array_equal(boot.estimate, cls.fit(*data, weights=weights).params.as_array())
    models = boot.models()
    assert len(models) == int(boot.converged.sum()) >= 2
    assert all(type(m) is cls for m in models)
    np.testing.assert_array_equal(models[0].params.as_array(), boot.params[boot.converged][0])
    assert boot.names == cls.PARAM_NAMES
