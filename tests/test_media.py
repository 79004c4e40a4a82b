"""The media block computes one function: the curve its transform objects define.

A curve runs the fused kernel only when its own class declares it
(:attr:`mmmkit.saturation.Saturation.kernel`). A subclass of a built-in that overrides the
curve and declares nothing is computed with its own code everywhere: the PyMC graph, the numpy
evaluation on draws, and the answers built on it (ROAS, scenarios). Each is checked here against
the subclass's function applied by hand (adstock weights, the curve, times the effect).
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytest
import xarray as xr
from pytensor.graph.traversal import ancestors, apply_ancestors

import mmmkit as mk
from mmmkit import media_kernel
from mmmkit.adstock import BinomialAdstock
from mmmkit.graph import OBSERVED
from mmmkit.media import MediaBlock
from mmmkit.saturation import SATURATIONS

MAX_LAG = 3
RTOL = 1e-10  # the same double-precision function in a different order of operations


class Steeper(mk.HillSaturation):
    """Hill's parameters and priors, another curve: ``1 - exp(-slope x / half_saturation)``."""

    def _curve(self, xp, x, half_saturation, slope):
        return 1.0 - xp.exp(-slope * x / half_saturation)


class HillWithOtherPriors(mk.HillSaturation):
    """Keeps Hill's curve and says so: the kernel is declared again."""

    kernel = "hill"


def steeper(x, k, s):
    return 1.0 - np.exp(-s * x / k)


def hill(x, k, s):
    with np.errstate(divide="ignore"):
        return np.where(x > 0, x**s / (x**s + k**s), 0.0)


def media_by_hand(curve, x, alpha, k, s, effect):
    """Each channel's term ``(G, T, C)``: geometric adstock by an explicit loop over lags, the
    curve relative to its value at scaled spend 1, times ``effect`` ``(G, C)``."""
    _, n_weeks, n_channels = x.shape
    out = np.zeros(x.shape)
    for c in range(n_channels):
        w = alpha[c] ** np.arange(MAX_LAG)
        w = w / w.sum()
        for t in range(n_weeks):
            a = sum(w[lag] * x[:, t - lag, c] for lag in range(MAX_LAG) if t - lag >= 0)
            out[:, t, c] = effect[:, c] * curve(a, k[c], s[c]) / curve(1.0, k[c], s[c])
    return out


@pytest.fixture(scope="module")
def sim():
    return mk.simulate.simulate(n_geos=2, n_weeks=24, n_channels=2, n_controls=0, seed=3)


def _model(sim, saturation):
    return mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=MAX_LAG),
                  saturation=saturation, seasonality=0, trend=False)


def _draws(n_draws, n_geos, n_channels, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "adstock_alpha": rng.uniform(0.2, 0.7, (n_draws, n_channels)),
        "saturation_half_saturation": rng.lognormal(0.0, 0.4, (n_draws, n_channels)),
        "saturation_slope": rng.lognormal(0.3, 0.3, (n_draws, n_channels)),
        "channel_effect": rng.uniform(0.05, 0.3, (n_draws, n_geos, n_channels)),
    }


def _hand(curve, x, draws, d):
    return media_by_hand(curve, x, draws["adstock_alpha"][d],
                         draws["saturation_half_saturation"][d], draws["saturation_slope"][d],
                         draws["channel_effect"][d])


def _kernel_ops(outputs):
    return [node for node in apply_ancestors(outputs)
            if type(node.op).__name__.startswith("AdstockSaturation")]


def test_a_kernel_counts_only_for_the_class_declaring_it():
    assert mk.HillSaturation.kernel == "hill"
    assert mk.LogisticSaturation.kernel == "logistic"
    assert mk.MichaelisMentenSaturation.kernel == "michaelis_menten"
    assert Steeper.kernel is None and Steeper().kernel is None
    assert HillWithOtherPriors.kernel == "hill"
    # the kernels' parameter order is the declaring classes' own
    assert media_kernel.CURVES == {cls.kernel: cls.param_names for cls in SATURATIONS.values()}


def test_the_subclass_curve_and_slope_are_its_own_on_numpy():
    x = np.array([0.0, 0.3, 1.0, 2.5])
    k, s = np.array(0.8), np.array(1.7)
    curve = Steeper()
    np.testing.assert_allclose(curve.apply(x, half_saturation=k, slope=s), steeper(x, k, s),
                               rtol=1e-14)
    # the derivative of its own curve (a central difference), not Hill's closed form
    exact = s / k * np.exp(-s * x / k)
    np.testing.assert_allclose(curve.slope(x, half_saturation=k, slope=s), exact, rtol=1e-6)
    np.testing.assert_allclose(mk.HillSaturation().apply(x, half_saturation=k, slope=s),
                               hill(x, k, s), rtol=1e-14)


@pytest.mark.parametrize(("saturation", "curve", "fused"), [
    (Steeper(), steeper, False), (mk.HillSaturation(), hill, True),
    (HillWithOtherPriors(), hill, True)], ids=["subclass", "builtin", "redeclared"])
def test_graph_media_term_is_the_curve_by_hand(sim, saturation, curve, fused):
    """The PyMC model's expected media term (``mu - intercept``), evaluated at a parameter
    point with PyTensor (no sampling), is the transform's own curve applied by hand; only a
    curve whose class declares a kernel runs it."""
    model = _model(sim, saturation)
    data = model.prepare(sim.data)
    pm_model = model.build_model(data)
    obs = pm_model[OBSERVED]
    mu = obs.owner.op.dist_params(obs.owner)[0]
    media_term = mu - pm_model["intercept"][:, None]
    assert bool(_kernel_ops([media_term])) is fused

    draws = _draws(1, data.n_geos, len(model.channels), seed=1)
    point = {name: value[0] for name, value in draws.items()}
    point["level"] = np.array([1.1, 0.9])
    replace = {pm_model[name]: pytensor.tensor.constant(value) for name, value in point.items()}
    (evaluated,) = pytensor.clone_replace([media_term], replace=replace)
    free = set(pm_model.free_RVs)
    assert not [v for v in ancestors([evaluated]) if v in free]  # every input is fixed
    got = evaluated.eval()

    want = _hand(curve, data.scaled_spend(), draws, 0).sum(axis=-1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-14)
    other = hill if curve is steeper else steeper
    assert not np.allclose(want, _hand(other, data.scaled_spend(), draws, 0).sum(axis=-1),
                           rtol=1e-3)


def test_numpy_evaluation_on_draws_is_the_subclass_curve(sim):
    model = _model(sim, Steeper())
    data = model.prepare(sim.data)
    draws = _draws(3, data.n_geos, len(model.channels), seed=2)
    x = data.scaled_spend()
    got = model.media.evaluate(draws, x) * draws["channel_effect"][:, :, None, :]
    for d in range(3):
        np.testing.assert_allclose(got[d], _hand(steeper, x, draws, d), rtol=RTOL, atol=1e-14)


def _fitted(sim, saturation, draws):
    model = _model(sim, saturation)
    data = model.prepare(sim.data)
    n = len(draws["adstock_alpha"])

    def var(dims, values):
        return ("chain", "draw", *dims), np.asarray(values).reshape(1, n, *np.shape(values)[1:])

    posterior = xr.Dataset(
        {name: var(("channel",), draws[name]) for name in
         ("adstock_alpha", "saturation_half_saturation", "saturation_slope")}
        | {"channel_effect": var(("geo", "channel"), draws["channel_effect"]),
           "intercept": var(("geo",), np.full((n, data.n_geos), 0.7)),
           "sigma": var((), np.full(n, 0.05))},
        coords={"chain": [0], "draw": np.arange(n), "geo": data.geos,
                "channel": model.media.order})
    return model.from_posterior(sim.data, posterior, seed=0), data


def test_roas_and_scenarios_use_the_subclass_curve(sim):
    """ROAS (counterfactual, carryover tail included) and a shift scenario's lift on draws of
    a model with the subclass, against the same answers by hand."""
    n_draws = 3
    draws = _draws(n_draws, 2, 2, seed=4)
    model, data = _fitted(sim, Steeper(), draws)
    assert model.media.order == model.channels
    spend = data.spend  # (G, T, C) currency
    tail = np.zeros((data.n_geos, MAX_LAG - 1, spend.shape[2]))
    scale = data.spend_scale[:, None, :]

    def contributions(raw, d):  # (G, T + tail, C) target units
        x = np.concatenate([raw, tail], axis=1) / scale
        return _hand(steeper, x, draws, d) * data.target_scale[:, None, None]

    roas = np.array([contributions(spend, d).sum(axis=(0, 1)) / spend.sum(axis=(0, 1))
                     for d in range(n_draws)])
    np.testing.assert_allclose(model.roas_draws().values[0], roas, rtol=RTOL)
    np.testing.assert_allclose(model.roas()["mean"].values, roas.mean(axis=0), rtol=RTOL)

    channel = model.channels[0]
    lift = mk.scenarios.shift(model, {channel: 0.25})
    plan = spend.copy()
    plan[..., 0] *= 1.25
    want = [(contributions(plan, d) - contributions(spend, d)).sum() for d in range(n_draws)]
    np.testing.assert_allclose(lift.total.values[0], want, rtol=RTOL)
    # and not what the Hill kernel would have said
    hill_model, _ = _fitted(sim, mk.HillSaturation(), draws)
    assert not np.allclose(hill_model.roas_draws().values[0], roas, rtol=1e-3)


# -- transform order, the binomial kernel, NaN that must stay NaN -------------------------------
def geometric_weights(alpha, n_lags=MAX_LAG):
    """``alpha**l`` normalised, ``(C, L)`` for ``alpha`` ``(C,)``."""
    w = np.asarray(alpha, dtype=float)[:, None] ** np.arange(n_lags)
    return w / w.sum(axis=-1, keepdims=True)


def binomial_weights(alpha, n_lags=MAX_LAG):
    """``(1 - l / (L + 1)) ** (1 / alpha - 1)`` normalised (PyMC-Marketing's), ``(C, L)``."""
    base = 1.0 - np.arange(n_lags) / (n_lags + 1.0)
    w = base[None, :] ** (1.0 / np.asarray(alpha, dtype=float)[:, None] - 1.0)
    return w / w.sum(axis=-1, keepdims=True)


def by_hand(x, w, k, s, saturation_first):
    """Hill response relative to a typical week's, ``(G, T, C)``, by explicit loops:
    ``hill(sum_l w x[t - l])`` or, saturation first, ``sum_l w hill(x[t - l])``."""
    out = np.zeros(x.shape)
    for c in range(x.shape[2]):
        for t in range(x.shape[1]):
            taps = [(w[c, lag], x[:, t - lag, c]) for lag in range(w.shape[1]) if t - lag >= 0]
            if saturation_first:
                value = sum(wl * hill(xl, k[c], s[c]) for wl, xl in taps)
            else:
                value = hill(sum(wl * xl for wl, xl in taps), k[c], s[c])
            out[:, t, c] = value / hill(1.0, k[c], s[c])
    return out


def _spend(n_geos=2, n_weeks=12, n_channels=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.gamma(1.0, 1.0, (n_geos, n_weeks, n_channels))
    x[x < 0.3] = 0.0  # dark weeks: the curve's zero branch
    return x


def _point(media, seed=0):
    """One value ``(C_g,)`` per transform parameter of ``media``, by variable name."""
    rng = np.random.default_rng(seed)
    ranges = {"alpha": (0.2, 0.7), "half_saturation": (0.5, 2.0), "slope": (0.7, 2.5)}
    return {name: rng.uniform(*ranges[param], len(g.channels))
            for g in media.groups for name, (_, param) in g.variables().items()}


def _graph_values(media, x, point, effect, *, fused):
    """The block's PyMC graph at ``point``: (response ``(G, T, C)``, weighted ``(G, T)``),
    and whether the fused kernel is in it."""
    import pymc as pm

    with pm.Model(coords={"channel": media.order, **media.coords()}):
        graph, params = media.build(x, fused=fused)
        outputs = [graph.response(), graph.weighted(pytensor.tensor.constant(effect))]
    replace = {params[name]: pytensor.tensor.constant(v) for name, v in point.items()}
    evaluated = pytensor.clone_replace(outputs, replace=replace)
    return [o.eval() for o in evaluated], bool(_kernel_ops(evaluated))


@pytest.mark.parametrize("fused", [True, False])
def test_saturation_first_graph_and_draws_are_the_curve_of_each_week_then_its_carryover(fused):
    channels = ["tv", "radio", "search"]
    media = MediaBlock(channels, mk.GeometricAdstock(max_lag=MAX_LAG),
                                mk.HillSaturation(), transform_order="saturation_first")
    assert media.transform_order_of("tv") == "saturation_first"
    x = _spend()
    point = _point(media)
    effect = np.random.default_rng(1).uniform(0.1, 1.0, (x.shape[0], len(channels)))
    w = geometric_weights(point["adstock_alpha"])
    k, s = point["saturation_half_saturation"], point["saturation_slope"]
    want = by_hand(x, w, k, s, saturation_first=True)
    (response, weighted), has_kernel = _graph_values(media, x, point, effect, fused=fused)
    assert not has_kernel  # the fused kernel computes adstock first only
    np.testing.assert_allclose(response, want, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(weighted, np.einsum("gtc,gc->gt", want, effect), rtol=RTOL)
    # the numpy engine on draws (here one) is the graph's function
    draws = {name: v[None] for name, v in point.items()}
    np.testing.assert_allclose(media.evaluate(draws, x)[0], want, rtol=RTOL, atol=1e-14)
    # and not the adstock-first block's: a week's response saturates before carrying over
    assert not np.allclose(want, by_hand(x, w, k, s, saturation_first=False), rtol=1e-3)
    # a constant typical week has response 1 in both orders
    ones = np.ones((1, 10, 3))
    np.testing.assert_allclose(media.evaluate(draws, ones)[0, :, MAX_LAG:], 1.0, rtol=1e-12)


def test_mixed_transform_orders_form_groups_and_keep_the_kernel_where_it_can():
    channels = ["tv", "radio", "search"]
    orders = {"tv": "saturation_first", "radio": "adstock_first", "search": "saturation_first"}
    media = MediaBlock(channels, mk.GeometricAdstock(max_lag=MAX_LAG),
                                mk.HillSaturation(), transform_order=orders)
    assert [g.channels for g in media.groups] == [["tv", "search"], ["radio"]]
    assert [g.kernel for g in media.groups] == [None, "hill"]
    assert media.config()["transform_order"] == orders
    x = media.reorder(_spend(seed=3))
    point = _point(media, seed=4)
    effect = np.random.default_rng(5).uniform(0.1, 1.0, (x.shape[0], 3))
    want = []
    for g in media.groups:
        w = geometric_weights(point[g.var("adstock", "alpha")])
        sl = [media.order.index(ch) for ch in g.channels]
        want.append(by_hand(x[..., sl], w, point[g.var("saturation", "half_saturation")],
                            point[g.var("saturation", "slope")], g.saturation_first))
    want = np.concatenate(want, axis=-1)
    (response, weighted), has_kernel = _graph_values(media, x, point, effect, fused=True)
    assert has_kernel
    np.testing.assert_allclose(response, want, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(weighted, np.einsum("gtc,gc->gt", want, effect), rtol=RTOL)
    draws = {name: v[None] for name, v in point.items()}
    np.testing.assert_allclose(media.evaluate(draws, x)[0], want, rtol=RTOL, atol=1e-14)


def test_saturation_first_channel_response_is_the_lift_tests_curve():
    """:meth:`MediaBlock.channel_response` (the lift-test likelihood) in both orders."""
    from mmmkit.adstock import lag_stack

    x = _spend(n_channels=1, seed=6)
    for order in ("saturation_first", "adstock_first"):
        media = MediaBlock(["tv"], mk.GeometricAdstock(max_lag=MAX_LAG),
                                    mk.HillSaturation(), transform_order=order)
        point = _point(media, seed=7)
        params = {name: pytensor.tensor.constant(v) for name, v in point.items()}
        lags = lag_stack(x, MAX_LAG)[..., 0]  # (L, G, T)
        got = media.channel_response("tv", lags, params).eval()
        want = by_hand(x, geometric_weights(point["adstock_alpha"]),
                       point["saturation_half_saturation"], point["saturation_slope"],
                       order == "saturation_first")[..., 0]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-14)


def test_transform_order_config_and_errors():
    channels = ["tv", "search"]
    assert "transform_order" not in MediaBlock(channels).config()
    same = MediaBlock(channels, transform_order="saturation_first")
    assert same.config()["transform_order"] == "saturation_first"
    assert len(same.groups) == 1 and same.groups[0].dim == "channel"
    with pytest.raises(ValueError, match="transform_order"):
        MediaBlock(channels, transform_order="saturation-first")
    with pytest.raises(ValueError, match="transform_order mapping must name every channel"):
        MediaBlock(channels, transform_order={"tv": "saturation_first"})


@pytest.mark.parametrize("order", ["adstock_first", "saturation_first"])
def test_binomial_adstock_in_the_graph_and_on_draws(order):
    """The binomial kernel's weights reach the fused kernel (adstock first) and the generic
    path alike: graph, numpy draws and the formula by hand agree."""
    channels = ["tv", "radio"]
    media = MediaBlock(channels, BinomialAdstock(max_lag=MAX_LAG),
                                mk.HillSaturation(), transform_order=order)
    x = _spend(n_channels=2, seed=8)
    point = _point(media, seed=9)
    effect = np.random.default_rng(10).uniform(0.1, 1.0, (x.shape[0], 2))
    want = by_hand(x, binomial_weights(point["adstock_alpha"]),
                   point["saturation_half_saturation"], point["saturation_slope"],
                   order == "saturation_first")
    (response, weighted), has_kernel = _graph_values(media, x, point, effect, fused=True)
    assert has_kernel is (order == "adstock_first")
    np.testing.assert_allclose(response, want, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(weighted, np.einsum("gtc,gc->gt", want, effect), rtol=RTOL)
    draws = {name: v[None] for name, v in point.items()}
    np.testing.assert_allclose(media.evaluate(draws, x)[0], want, rtol=RTOL, atol=1e-14)


def test_the_fused_kernel_passes_nan_on_instead_of_a_silent_zero():
    """A NaN adstocked spend (NaN weights, or data) is NaN out of the Hill kernel, forward
    and gradient; it used to fail the kernel's ``a > 0`` test and come out as 0."""
    spend = np.abs(np.random.default_rng(11).normal(size=(2, 3, 10)))
    weights = np.full((2, MAX_LAG), 1.0 / MAX_LAG)
    weights[1] = np.nan
    params = (np.array([1.0, 1.2]), np.array([1.5, 0.8]))
    out = media_kernel.adstock_saturation("hill", spend, weights, *params)
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()
    draws = media_kernel.adstock_saturation_draws("hill", spend.transpose(1, 2, 0),
                                                  weights[None], *(p[None] for p in params))
    assert np.isnan(draws[0, ..., 1]).all() and np.isfinite(draws[0, ..., 0]).all()
    grads = media_kernel.adstock_saturation_grad("hill", spend, weights, *params,
                                                 upstream=np.ones(spend.shape))
    for g in grads:
        assert np.isfinite(g[0]).all() and np.isnan(g[1]).all()
    # zero spend is still exactly 0
    zero = media_kernel.adstock_saturation("hill", np.zeros((1, 2, 4)), weights[:1],
                                           *(p[:1] for p in params))
    assert np.all(zero == 0.0)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "NUMBA"])
def test_weibull_pdf_weights_with_underflowing_taps_through_the_fused_kernel(mode):
    """lam 0.2 with k 5 (every tap of the density underflows) and draws past overflow: the
    graph (PyTensor weights into the fused Op) has a finite value and gradient, equal to the
    numpy engine's; the gradient was NaN before the weights were normalised in log space."""
    import pytensor.tensor as pt

    lam_v = np.array([0.2, 1e-3, 0.19379, 2.0])
    k_v = np.array([5.0, 100.0, 5.10508, 1.5])
    ad = mk.WeibullAdstock(max_lag=MAX_LAG, kind="pdf")
    spend = np.abs(np.random.default_rng(12).normal(size=(4, 2, 9)))  # (C, G, T)
    coef = np.random.default_rng(13).uniform(0.5, 1.5, (2, 4))
    lam, k, half, slope = (pt.dvector(n) for n in ("lam", "k", "half", "slope"))
    out = media_kernel.adstock_saturation_op("hill", pt.constant(spend),
                                             ad.weights(lam=lam, k=k), half, slope,
                                             coef=pt.constant(coef))
    loss = pt.sum(out)
    fn = pytensor.function([lam, k, half, slope], [out, *pytensor.grad(loss, [lam, k, half,
                                                                              slope])],
                           mode=mode)
    half_v, slope_v = np.array([1.0, 0.8, 1.3, 1.1]), np.array([1.2, 2.0, 0.9, 1.5])
    value, *grads = fn(lam_v, k_v, half_v, slope_v)
    assert np.isfinite(value).all() and all(np.isfinite(g).all() for g in grads)
    media = MediaBlock([f"c{i}" for i in range(4)], ad, mk.HillSaturation())
    draws = {"adstock_lam": lam_v[None], "adstock_k": k_v[None],
             "saturation_half_saturation": half_v[None], "saturation_slope": slope_v[None]}
    engine = media.evaluate(draws, spend.transpose(1, 2, 0))[0]  # (G, T, C)
    np.testing.assert_allclose(value, np.einsum("gtc,gc->gt", engine, coef), rtol=1e-12)
    # the saturated draws carry everything in week 0: their kernel does not move with lam, k
    np.testing.assert_allclose(grads[0][:3], 0.0, atol=1e-12)
    np.testing.assert_allclose(grads[1][:3], 0.0, atol=1e-12)


def test_a_model_file_from_before_the_cdf_change_keeps_its_numbers(tmp_path, monkeypatch):
    """A model saved when ``WeibullAdstock(kind="cdf")`` was the survival curve (its config
    had no ``cdf_form``) loads as ``kind="survival"``, with the ROAS it was saved with."""
    from mmmkit.adstock import Adstock

    sim = mk.simulate.simulate(n_geos=2, n_weeks=24, n_channels=2, n_controls=1, seed=3)
    model = mk.MMM(**sim.model_kwargs(), seasonality=0, trend=False,
                   adstock=mk.WeibullAdstock(max_lag=MAX_LAG, kind="survival"))
    data = model.prepare(sim.data)
    n, n_channels = 3, len(model.channels)
    rng = np.random.default_rng(14)

    def var(dims, values):
        return ("chain", "draw", *dims), np.asarray(values).reshape(1, n, *np.shape(values)[1:])

    draws = {"adstock_lam": rng.uniform(0.8, 2.5, (n, n_channels)),
             "adstock_k": rng.uniform(0.7, 2.0, (n, n_channels)),
             "saturation_half_saturation": rng.lognormal(0.0, 0.4, (n, n_channels)),
             "saturation_slope": rng.lognormal(0.3, 0.3, (n, n_channels))}
    posterior = xr.Dataset(
        {name: var(("channel",), v) for name, v in draws.items()}
        | {"channel_effect": var(("geo", "channel"), rng.uniform(0.05, 0.3, (n, 2, n_channels))),
           "intercept": var(("geo",), np.full((n, data.n_geos), 0.7)),
           "control_coef": var(("control",), np.full((n, 1), 0.1)),
           "sigma": var((), np.full(n, 0.05))},
        coords={"chain": [0], "draw": np.arange(n), "geo": data.geos,
                "channel": model.media.order, "control": model.controls})
    model.from_posterior(sim.data, posterior, seed=0)
    roas = model.roas_draws().values

    def config_before_the_change(self):  # what WeibullAdstock.config wrote then
        out = Adstock.config(self)
        return {**out, "kind": "cdf"} if out.get("kind") == "survival" else out

    path = tmp_path / "old.nc"
    with monkeypatch.context() as patch:
        patch.setattr(mk.WeibullAdstock, "config", config_before_the_change)
        model.save(path)
    loaded = mk.MMM.load(path)
    assert loaded.media.adstock_of(model.channels[0]) == mk.WeibullAdstock(MAX_LAG, "survival")
    np.testing.assert_allclose(loaded.roas_draws().values, roas, rtol=1e-12)
    # today's "cdf" would have given other numbers
    cdf = MediaBlock(model.channels, mk.WeibullAdstock(max_lag=MAX_LAG, kind="cdf"))
    survival = MediaBlock(model.channels, mk.WeibullAdstock(max_lag=MAX_LAG, kind="survival"))
    x = data.scaled_spend()
    assert not np.allclose(cdf.evaluate(draws, x), survival.evaluate(draws, x), rtol=1e-3)
