"""mmmkit's carryover kernels against independent implementations of Robyn's and
PyMC-Marketing's (and Meridian's binomial), written out here in numpy from their sources.

Nothing here calls mmmkit to compute an expected value: mmmkit is only the code under test.
The references, with what each library does differently:

* Robyn (``R/R/transformation.R``, ``adstock_weibull`` and ``adstock_geometric``). Weibull
  ``CDF``: ``thetaVec = c(1, 1 - pweibull(head(1:L, -1), shape, scaleTrans))``,
  ``thetaVecCum = cumprod(thetaVec)``; ``PDF``: ``dweibull(1:L, shape, scaleTrans)``
  rescaled to ``[0, 1]`` by its minimum and maximum. The scale is a quantile of the window,
  ``scaleTrans = round(quantile(1:L, scale))`` (R's default type 7), the window is the whole
  series (``L = length(x)``) and the kernel is not normalised: ``x_decayed[t] = sum_s
  x[s] thetaVecCum[t - s]``. Geometric: ``x_decayed[t] = x[t] + theta x_decayed[t - 1]``.
* PyMC-Marketing (``pymc_marketing/mmm/transformers.py``): ``weibull_adstock`` with
  ``t = arange(l_max) + 1``; ``CDF``: ``cumprod`` of ``[1, 1 - WeibullCDF(t)]``, a kernel of
  ``l_max + 1`` taps; ``PDF``: ``WeibullPDF(t)`` rescaled by minimum and maximum;
  ``binomial_adstock``: ``(1 - l / (l_max + 1)) ** (1 / alpha - 1)`` for ``l < l_max``;
  ``normalize=True`` (its adstock classes' default) divides by the sum;
  ``batched_convolution(mode=After)`` is ``y[t] = sum_l w[l] x[t - l]``, zeros before.
* Meridian (``adstock_decay_spec="binomial"``): ``w(s) = (1 - s / (1 + L)) ** (1 / alpha - 1)``
  for ``s = 0 .. L``, normalised, ``L`` its ``max_lag``.

mmmkit normalises every kernel to sum 1, and its ``max_lag`` counts the taps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmmkit.adstock import BinomialAdstock, GeometricAdstock, WeibullAdstock

SETTINGS = settings(max_examples=40, deadline=None)
RTOL = 1e-12  # the same double-precision formula in another order of operations
# The references' survival ``1 - WeibullCDF = 1 - (1 - exp(-z**k))`` cancels: its error is
# ~1e-16 absolute, so a tap of 1e-20 is off by 100% there, while mmmkit's log-space kernel
# keeps it to the last bits. Weights sum to 1, so the kernels are compared to 1e-13 absolute
# besides the relative RTOL.
ATOL = 1e-13


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# -- the references ----------------------------------------------------------------------------
def weibull_cdf(x, shape, scale):
    """R's ``pweibull(x, shape, scale)``, PyMC's ``Weibull.logcdf`` exponentiated."""
    return 1.0 - np.exp(-((np.asarray(x, dtype=float) / scale) ** shape))


def weibull_pdf(x, shape, scale):
    """R's ``dweibull(x, shape, scale)``."""
    z = np.asarray(x, dtype=float) / scale
    return shape / scale * z ** (shape - 1.0) * np.exp(-(z**shape))


def min_max(w):
    """Robyn's ``normalize`` in ``adstock_weibull`` (and PyMC-Marketing's PDF rescaling)."""
    if np.ptp(w) == 0:
        return np.concatenate([[1.0], np.zeros(len(w) - 1)])
    return (w - w.min()) / (w.max() - w.min())


def robyn_scale(scale: float, windlen: int) -> float:
    """``round(quantile(1:windlen, scale))``: R's type-7 quantile, rounded half to even."""
    return float(np.round(1.0 + scale * (windlen - 1)))


def robyn_weibull_theta(shape, scale, windlen, kind):
    """Robyn's ``thetaVecCum`` (unnormalised kernel) for ``type = kind``."""
    x_bin = np.arange(1, windlen + 1, dtype=float)
    scale_trans = robyn_scale(scale, windlen)
    if kind == "CDF":
        theta = np.concatenate([[1.0], 1.0 - weibull_cdf(x_bin[:-1], shape, scale_trans)])
        return np.cumprod(theta)
    return min_max(weibull_pdf(x_bin, shape, scale_trans))


def robyn_decayed(x, theta_cum):
    """``x_decayed``: each week's spend times the kernel shifted to start at that week."""
    n = len(x)
    out = np.zeros(n)
    for pos in range(n):
        out[pos:] += x[pos] * theta_cum[: n - pos]
    return out


def robyn_geometric(x, theta):
    out = np.zeros(len(x))
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = x[t] + theta * out[t - 1]
    return out


def pmm_weibull_weights(lam, k, l_max, kind, normalize=True):
    """PyMC-Marketing's ``weibull_adstock`` kernel (``l_max + 1`` taps for the CDF)."""
    t = np.arange(l_max, dtype=float) + 1.0
    if kind == "CDF":
        w = np.cumprod(np.concatenate([[1.0], 1.0 - weibull_cdf(t, k, lam)]))
    else:
        w = min_max(weibull_pdf(t, k, lam))
    return w / w.sum() if normalize else w


def pmm_binomial_weights(alpha, l_max, normalize=True):
    lags = np.arange(l_max, dtype=float)
    w = (1.0 - lags / (l_max + 1)) ** (1.0 / alpha - 1.0)
    return w / w.sum() if normalize else w


def meridian_binomial_weights(alpha, max_lag):
    s = np.arange(max_lag + 1, dtype=float)
    w = (1.0 - s / (1.0 + max_lag)) ** (1.0 / alpha - 1.0)
    return w / w.sum()


def pmm_convolution_after(x, w):
    """``batched_convolution(x, w, mode=ConvMode.After)`` on one series."""
    y = np.zeros(len(x))
    for t in range(len(x)):
        for lag in range(len(w)):
            if t - lag >= 0:
                y[t] += w[lag] * x[t - lag]
    return y


def spend_series(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.gamma(1.0, 10.0, n)
    x[rng.random(n) < 0.3] = 0.0  # weeks off air
    return x


# -- Weibull "cdf": the cumulative product of survival values -------------------------------
@SETTINGS
@given(lam=floats(0.3, 12.0), k=floats(0.2, 6.0), max_lag=st.integers(3, 20),
       seed=st.integers(0, 1000))
def test_weibull_cdf_is_pymc_marketings_cdf(lam, k, max_lag, seed):
    """max_lag > 2, where the cumulative and the plain survival kernels part; PyMC-Marketing's
    ``l_max = max_lag - 1`` has ``max_lag`` taps."""
    expected = pmm_weibull_weights(lam, k, max_lag - 1, "CDF")
    ours = WeibullAdstock(max_lag, kind="cdf")
    np.testing.assert_allclose(ours.weights(lam=lam, k=k), expected, rtol=RTOL, atol=ATOL)
    x = spend_series(seed, 30)
    np.testing.assert_allclose(ours.apply(x, lam=lam, k=k), pmm_convolution_after(x, expected),
                               rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("lam", [0.5, 2.0, 7.0])
@pytest.mark.parametrize("max_lag", [3, 8, 13])
def test_weibull_cdf_with_shape_one_is_exp_of_a_triangular_number(lam, max_lag):
    """With ``k = 1`` the cumulative kernel is ``exp(-l (l + 1) / (2 lam))`` (Robyn's and
    PyMC-Marketing's), the survival curve ``exp(-l / lam)`` (mmmkit's former "cdf")."""
    lags = np.arange(max_lag)
    triangular = np.exp(-lags * (lags + 1) / (2.0 * lam))
    np.testing.assert_allclose(pmm_weibull_weights(lam, 1.0, max_lag - 1, "CDF"),
                               triangular / triangular.sum(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(WeibullAdstock(max_lag, kind="cdf").weights(lam=lam, k=1.0),
                               triangular / triangular.sum(), rtol=RTOL)
    plain = np.exp(-lags / lam)
    survival = WeibullAdstock(max_lag, kind="survival").weights(lam=lam, k=1.0)
    np.testing.assert_allclose(survival, plain / plain.sum(), rtol=RTOL)
    assert not np.allclose(survival, triangular / triangular.sum(), rtol=1e-3)


@pytest.mark.parametrize("max_lag", [1, 2])
def test_the_survival_curve_agrees_with_the_cdf_only_up_to_two_lags(max_lag):
    lam, k = 1.7, 2.3
    np.testing.assert_allclose(
        WeibullAdstock(max_lag, kind="survival").weights(lam=lam, k=k),
        pmm_weibull_weights(lam, k, max_lag - 1, "CDF"), rtol=RTOL)


@pytest.mark.parametrize(("shape", "scale"), [(0.5, 0.5), (1.0, 0.1), (2.0, 0.25), (1.3, 0.0),
                                              (0.0001, 0.3), (4.0, 0.9)])
def test_weibull_cdf_adstock_is_robyns(shape, scale):
    """Robyn's whole-window adstock of a series is mmmkit's with ``max_lag`` the series'
    length and ``lam`` Robyn's quantile scale, times the kernel's sum (Robyn does not
    normalise)."""
    x = spend_series(7, 26)
    theta = robyn_weibull_theta(shape, scale, len(x), "CDF")
    lam = robyn_scale(scale, len(x))
    ours = WeibullAdstock(len(x), kind="cdf")
    np.testing.assert_allclose(ours.weights(lam=lam, k=shape), theta / theta.sum(),
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.apply(x, lam=lam, k=shape) * theta.sum(),
                               robyn_decayed(x, theta), rtol=1e-10, atol=1e-9)


# -- Weibull "pdf": the same density, rescaled differently ----------------------------------
@SETTINGS
@given(lam=floats(0.5, 10.0), k=floats(0.3, 6.0), max_lag=st.integers(3, 20))
def test_weibull_pdf_is_the_density_that_pymc_marketing_and_robyn_rescale(lam, k, max_lag):
    """mmmkit's pdf kernel is ``WeibullPDF(l + 1)`` normalised to sum 1; PyMC-Marketing and
    Robyn take the same density at ``1 .. L`` and rescale it by its minimum and maximum
    (their smallest tap is 0). Rescaling mmmkit's weights the same way gives theirs."""
    ours = WeibullAdstock(max_lag, kind="pdf").weights(lam=lam, k=k)
    density = weibull_pdf(np.arange(1, max_lag + 1), k, lam)
    np.testing.assert_allclose(ours, density / density.sum(), rtol=1e-11, atol=1e-300)
    theirs = pmm_weibull_weights(lam, k, max_lag, "PDF", normalize=False)
    if np.ptp(density) > 1e-12 * density.max():  # not flat to rounding (then both are 1, 0..)
        np.testing.assert_allclose(min_max(ours), theirs, rtol=1e-9, atol=1e-12)


def test_weibull_pdf_differs_from_the_rescaled_kernels_by_the_smallest_tap():
    lam, k, max_lag = 3.0, 1.5, 8
    ours = WeibullAdstock(max_lag, kind="pdf").weights(lam=lam, k=k)
    theirs = pmm_weibull_weights(lam, k, max_lag, "PDF")
    assert theirs.min() == 0.0 and ours.min() > 0.01
    # Robyn: the same rescaled density, with its scale a quantile of the window
    robyn = robyn_weibull_theta(k, (lam - 1.0) / (max_lag - 1), max_lag, "PDF")
    np.testing.assert_allclose(robyn, pmm_weibull_weights(lam, k, max_lag, "PDF", False),
                               rtol=RTOL)


# -- binomial -----------------------------------------------------------------------------------
@SETTINGS
@given(alpha=floats(0.02, 0.999), max_lag=st.integers(1, 20), seed=st.integers(0, 1000))
def test_binomial_is_pymc_marketings_binomial(alpha, max_lag, seed):
    expected = pmm_binomial_weights(alpha, max_lag)
    ours = BinomialAdstock(max_lag)
    np.testing.assert_allclose(ours.weights(alpha=alpha), expected, rtol=1e-11, atol=1e-300)
    x = spend_series(seed, 25)
    np.testing.assert_allclose(ours.apply(x, alpha=alpha), pmm_convolution_after(x, expected),
                               rtol=1e-10, atol=1e-9)
    # PyMC-Marketing's own unnormalised check: y[1] = x[1] + w1 x[0], w1 = (1 - 1/(L+1))**a*
    if max_lag >= 2:
        raw = ours.weights(alpha=alpha) / ours.weights(alpha=alpha)[0]
        assert raw[1] == pytest.approx((1 - 1 / (max_lag + 1)) ** (1 / alpha - 1), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.1, 0.4, 0.8])
@pytest.mark.parametrize("max_lag", [3, 8])
def test_binomial_is_meridians_without_its_last_tap(alpha, max_lag):
    meridian = meridian_binomial_weights(alpha, max_lag)  # max_lag + 1 taps
    first = meridian[:max_lag] / meridian[:max_lag].sum()
    np.testing.assert_allclose(BinomialAdstock(max_lag).weights(alpha=alpha), first,
                               rtol=RTOL)


# -- geometric ----------------------------------------------------------------------------------
@pytest.mark.parametrize("theta", [0.1, 0.5, 0.9])
def test_geometric_is_robyns_over_the_whole_window(theta):
    x = spend_series(3, 30)
    ours = GeometricAdstock(max_lag=len(x)).apply(x, alpha=theta)
    total = sum(theta**lag for lag in range(len(x)))
    np.testing.assert_allclose(ours * total, robyn_geometric(x, theta), rtol=1e-10, atol=1e-9)
    assert math.isclose(total, (1 - theta ** len(x)) / (1 - theta), rel_tol=1e-12)
