"""Prior: numpy samples have the right moments and PyMC's parameterisation; create() in a model."""

from __future__ import annotations

import json
import math

import numpy as np
import pymc as pm
import pytest
from scipy import stats
from scipy.special import gammaln

from mmmkit.adstock import GeometricAdstock, WeibullAdstock
from mmmkit.priors import SUPPORTED, Prior
from mmmkit.saturation import HillSaturation

N = 200_000


def _truncnorm_moments(mu, sigma, lower=-np.inf, upper=np.inf):
    """Mean and sd of a truncated normal, from the closed form (not scipy's truncnorm)."""
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    phi_a, phi_b = stats.norm.pdf(a), stats.norm.pdf(b)
    z = stats.norm.cdf(b) - stats.norm.cdf(a)
    a_phi_a = a * phi_a if np.isfinite(a) else 0.0
    b_phi_b = b * phi_b if np.isfinite(b) else 0.0
    mean = mu + sigma * (phi_a - phi_b) / z
    var = sigma**2 * (1 + (a_phi_a - b_phi_b) / z - ((phi_a - phi_b) / z) ** 2)
    return mean, math.sqrt(var)


def _half_student_t_moments(nu, sigma):
    mean = (
        2
        * sigma
        * math.sqrt(nu / math.pi)
        * math.exp(gammaln((nu + 1) / 2) - gammaln(nu / 2))
        / (nu - 1)
    )
    return mean, math.sqrt(sigma**2 * nu / (nu - 2) - mean**2)


def _lognormal_moments(mu, sigma):
    mean = math.exp(mu + sigma**2 / 2)
    return mean, mean * math.sqrt(math.exp(sigma**2) - 1)


# (prior, expected mean, expected sd), moments by hand
CASES = [
    (Prior("Normal", mu=1.0, sigma=2.0), 1.0, 2.0),
    (
        Prior("HalfNormal", sigma=2.0),
        2.0 * math.sqrt(2 / math.pi),
        2.0 * math.sqrt(1 - 2 / math.pi),
    ),
    (Prior("LogNormal", mu=0.1, sigma=0.5), *_lognormal_moments(0.1, 0.5)),
    (Prior("Gamma", alpha=3.0, beta=2.0), 1.5, math.sqrt(3.0) / 2.0),
    (Prior("Gamma", mu=1.5, sigma=0.75), 1.5, 0.75),
    (Prior("Beta", alpha=2.0, beta=3.0), 0.4, 0.2),
    (Prior("Uniform", lower=-1.0, upper=3.0), 1.0, 4.0 / math.sqrt(12.0)),
    (
        Prior("TruncatedNormal", mu=0.0, sigma=2.0, lower=0.0, upper=3.0),
        *_truncnorm_moments(0.0, 2.0, 0.0, 3.0),
    ),
    (Prior("TruncatedNormal", mu=1.0, sigma=1.0, lower=0.0), *_truncnorm_moments(1.0, 1.0, 0.0)),
    (Prior("Exponential", lam=2.0), 0.5, 0.5),
    (Prior("StudentT", nu=5.0, mu=1.0, sigma=2.0), 1.0, 2.0 * math.sqrt(5.0 / 3.0)),
    (Prior("HalfStudentT", nu=5.0, sigma=2.0), *_half_student_t_moments(5.0, 2.0)),
    (Prior("Laplace", mu=1.0, b=2.0), 1.0, 2.0 * math.sqrt(2.0)),
]
IDS = [repr(p) for p, _, _ in CASES]


def test_every_supported_family_is_covered():
    assert {p.dist for p, _, _ in CASES} == SUPPORTED


def _check_moments(draws, mean, sd):
    assert draws.shape == (N,)
    assert np.all(np.isfinite(draws))
    # 6 standard errors of the mean; 3% on the sd (StudentT's heavy tails need the slack)
    assert abs(draws.mean() - mean) < 6 * sd / math.sqrt(N), (draws.mean(), mean)
    assert draws.std() == pytest.approx(sd, rel=0.03)


@pytest.mark.parametrize(("prior", "mean", "sd"), CASES, ids=IDS)
def test_sample_moments(prior, mean, sd):
    draws = prior.sample(np.random.default_rng(20240501), N)
    _check_moments(draws, mean, sd)


def test_sample_support():
    rng = np.random.default_rng(1)
    assert np.all(Prior("HalfNormal", sigma=1.0).sample(rng, 10_000) >= 0)
    assert np.all(Prior("HalfStudentT", nu=3.0, sigma=1.0).sample(rng, 10_000) >= 0)
    b = Prior("Beta", alpha=0.5, beta=0.5).sample(rng, 10_000)
    assert np.all((b >= 0) & (b <= 1))
    t = Prior("TruncatedNormal", mu=5.0, sigma=3.0, lower=1.0, upper=2.0).sample(rng, 10_000)
    assert np.all((t >= 1.0) & (t <= 2.0))
    u = Prior("Uniform", lower=2.0, upper=2.5).sample(rng, 10_000)
    assert np.all((u >= 2.0) & (u <= 2.5))


@pytest.fixture(scope="module")
def pymc_draws():
    """N draws of each case from PyMC itself."""
    return [
        pm.draw(getattr(pm, p.dist).dist(**p.params, size=N), random_seed=7 + i)
        for i, (p, _, _) in enumerate(CASES)
    ]


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_sample_uses_pymc_parameterisation(pymc_draws, i):
    """Prior.sample (numpy) and Prior.create (PyMC) describe the same distribution."""
    prior, mean, sd = CASES[i]
    _check_moments(np.asarray(pymc_draws[i]), mean, sd)
    ours = prior.sample(np.random.default_rng(3), N)
    # two-sample KS test: same distribution (fixed seeds, so not flaky)
    assert stats.ks_2samp(ours, np.asarray(pymc_draws[i])).pvalue > 1e-4


def test_sample_shapes_and_vector_params():
    rng = np.random.default_rng(5)
    assert Prior("Normal", mu=0.0, sigma=1.0).sample(rng, (3, 4)).shape == (3, 4)
    assert Prior("Beta", alpha=2.0, beta=2.0).sample(rng, 7).shape == (7,)
    p = Prior("Normal", mu=[0.0, 10.0], sigma=[1.0, 2.0])
    draws = p.sample(rng, (N, 2))
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(draws.std(axis=0), [1.0, 2.0], rtol=0.02)


def test_sample_is_reproducible():
    p = Prior("Gamma", mu=1.0, sigma=0.5)
    a = p.sample(np.random.default_rng(11), 100)
    b = p.sample(np.random.default_rng(11), 100)
    np.testing.assert_array_equal(a, b)


# --- Prior.create -----------------------------------------------------------------------------


def test_create_in_model_with_dims():
    coords = {"channel": ["tv", "radio", "search"], "geo": ["north", "south"]}
    with pm.Model(coords=coords) as model:
        alpha = Prior("Beta", alpha=2.0, beta=3.0).create("alpha", dims="channel")
        sigma = Prior("HalfNormal", sigma=[1.0, 2.0, 3.0]).create("sigma", dims="channel")
        beta = Prior("Normal", mu=0.0, sigma=1.0).create("beta", dims=("geo", "channel"))
        theta = Prior("TruncatedNormal", mu=0.0, sigma=2.0, lower=0.0, upper=7.0).create("theta")
        lam = Prior("Gamma", mu=1.5, sigma=0.75).create("lam")

    assert model.named_vars_to_dims["alpha"] == ("channel",)
    assert model.named_vars_to_dims["sigma"] == ("channel",)
    assert model.named_vars_to_dims["beta"] == ("geo", "channel")
    assert "theta" not in model.named_vars_to_dims
    assert {v.name for v in model.free_RVs} == {"alpha", "sigma", "beta", "theta", "lam"}

    assert pm.draw(alpha, random_seed=1).shape == (3,)
    assert pm.draw(sigma, random_seed=1).shape == (3,)
    assert pm.draw(beta, random_seed=1).shape == (2, 3)
    assert pm.draw(theta, random_seed=1).shape == ()

    # the parameters reached PyMC: log densities match scipy's
    np.testing.assert_allclose(
        pm.logp(alpha, np.array([0.2, 0.4, 0.6])).eval(),
        stats.beta.logpdf([0.2, 0.4, 0.6], 2.0, 3.0),
        rtol=1e-6,  # PyMC's log-beta function is accurate to ~1e-7
    )
    np.testing.assert_allclose(
        pm.logp(sigma, np.ones(3)).eval(),
        stats.halfnorm.logpdf(1.0, scale=[1.0, 2.0, 3.0]),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        pm.logp(theta, 1.0).eval(),
        stats.truncnorm.logpdf(1.0, 0.0, 3.5, loc=0.0, scale=2.0),
        rtol=1e-6,
    )
    # Gamma(mu, sigma) = Gamma(shape (mu/sigma)^2, rate mu/sigma^2) = Gamma(4, rate 8/3)
    np.testing.assert_allclose(
        pm.logp(lam, 1.0).eval(), stats.gamma.logpdf(1.0, 4.0, scale=3.0 / 8.0), rtol=1e-6
    )


def test_create_passes_kwargs_and_needs_a_model():
    with pm.Model(coords={"channel": ["a", "b"]}) as model:
        Prior("Normal", mu=0.0, sigma=1.0).create("x", dims="channel", initval=np.array([1.0, 2.0]))
    np.testing.assert_allclose(model.initial_point()["x"], [1.0, 2.0])
    with pytest.raises(TypeError, match="context"):
        Prior("Normal", mu=0.0, sigma=1.0).create("y")


# -- parameters are checked when the Prior is made (issue 12) ----------------------------------
@pytest.mark.parametrize("dist, params, match", [
    ("Normal", {"mu": 0.0, "sigma": -1.0}, r"Prior\('Normal', mu=0.0, sigma=-1.0\): sigma must "
                                           r"be a finite number > 0"),
    ("Normal", {"mean": 0.0, "sigma": 1.0}, r"Normal has no parameter 'mean' \(did you mean "
                                            r"mu=\?\); its parameters are mu, sigma"),
    ("LogNormal", {"mu": 0.0, "sd": 0.5}, r"did you mean sigma=\?"),
    ("Beta", {"alpha": 2.0, "betta": 3.0}, r"no parameter 'betta' \(did you mean beta=\?\)"),
    ("Normal", {"mu": 0.0, "tau": 2.0}, r"no parameter 'tau'"),
    ("HalfNormal", {"sigma": [1.0, 0.0]}, r"sigma must be a finite number > 0"),
    ("Normal", {"mu": np.nan}, r"mu must be a finite number"),
    ("Normal", {"mu": "zero"}, r"mu must be a number or one number per channel"),
    ("Gamma", {"alpha": 2.0}, r"either alpha and beta .* or mu and sigma"),
    ("Gamma", {"alpha": 2.0, "sigma": 1.0}, r"either alpha and beta"),
    ("Beta", {"alpha": 2.0}, r"Beta needs beta"),
    ("StudentT", {"mu": 0.0, "sigma": 1.0}, r"StudentT needs nu"),
    ("Uniform", {"lower": 2.0}, r"lower must be below upper .*lower=2.0, upper=1.0"),
    ("TruncatedNormal", {"sigma": 1.0, "lower": 1.0, "upper": 0.0}, r"lower must be below"),
])
def test_invalid_parameters_are_refused_at_construction(dist, params, match):
    with pytest.raises(ValueError, match=match):
        Prior(dist, **params)


def test_valid_edge_parameters_are_accepted():
    assert Prior("TruncatedNormal", mu=0.0, sigma=1.0, lower=-np.inf, upper=0.0).params
    assert Prior("HalfNormal", sigma=[0.5, 2.0]).params == {"sigma": [0.5, 2.0]}
    assert Prior("Normal").params == {}
    assert Prior.from_dict(Prior("Gamma", mu=1.5, sigma=0.75).to_dict()) == Prior(
        "Gamma", mu=1.5, sigma=0.75)


@pytest.mark.parametrize(
    "p",
    [
        Prior("Normal", mu=0.0, sigma=1.0),
        Prior("Beta", alpha=2, beta=3),
        Prior("TruncatedNormal", mu=0.0, sigma=2.0, lower=0.0, upper=7.0),
        Prior("HalfNormal", sigma=[1.0, 2.0, 3.0]),
        Prior("LogNormal", mu=np.array([0.0, 1.0]), sigma=np.float64(0.5)),
        Prior("StudentT", nu=4, mu=0, sigma=1),
    ],
    ids=repr,
)
def test_prior_dict_round_trip(p):
    assert Prior.from_dict(p.to_dict()) == p
    assert Prior.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert hash(Prior.from_dict(p.to_dict())) == hash(p)


def test_unknown_prior_parameter_names_raise():
    with pytest.raises(ValueError, match="alpha") as info:
        GeometricAdstock(priors={"decay": Prior("Beta", alpha=1, beta=1)})
    assert "decay" in str(info.value)
    with pytest.raises(ValueError, match=r"half_saturation.*slope"):
        HillSaturation(priors={"K": Prior("LogNormal", mu=0, sigma=1)})
    with pytest.raises(ValueError, match=r"k.*lam"):
        WeibullAdstock(priors={"scale": Prior("LogNormal", mu=0, sigma=1)})
    with pytest.raises(TypeError):
        GeometricAdstock(priors={"alpha": {"dist": "Beta", "alpha": 1, "beta": 1}})


def test_unknown_distribution_raises():
    with pytest.raises(ValueError, match="Nope") as info:
        Prior("Nope")
    assert "Normal" in str(info.value) and "Beta" in str(info.value)
    with pytest.raises(ValueError):
        Prior.from_dict({"dist": "Cauchy", "alpha": 0, "beta": 1})
