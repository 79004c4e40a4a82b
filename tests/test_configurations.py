"""Every configuration fits and answers.

A held-out matrix of 36 common configurations found 11 that failed: every model without
controls (a reshape error in the design layer) and a geo panel with Weibull carryover and
Michaelis-Menten curves. Here three draft fits cover, between them, national and geo, with and
without controls, trend, seasonality and a drifting level (:mod:`mmmkit.drift`), both
likelihoods, a geo panel without controls and with a Weibull + Michaelis-Menten channel, and
all nine adstock x saturation pairs (a Latin square of per-channel transforms, three channels a
model); each fitted model is taken through
every reading method, the scenarios, the optimiser and a save/load. (Three, not four: each
draft fit compiles its own sampler, the suite's largest cost.) Other files fit geo panels
with controls (``panel_fit``) and national models with both likelihoods.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from mmmkit import scenarios

ADSTOCKS = [mk.GeometricAdstock(max_lag=6), mk.DelayedAdstock(max_lag=6),
            mk.WeibullAdstock(max_lag=6)]
SATURATIONS = [mk.HillSaturation(), mk.LogisticSaturation(), mk.MichaelisMentenSaturation()]
CHANNELS = ["tv", "search", "social"]


def _square(row: int):
    """Row ``row`` of a Latin square: channel ``c`` gets adstock ``c`` and saturation
    ``(c + row) % 3``, so the three rows together hold all nine pairs."""
    adstock = {ch: ADSTOCKS[c] for c, ch in enumerate(CHANNELS)}
    saturation = {ch: SATURATIONS[(c + row) % 3] for c, ch in enumerate(CHANNELS)}
    return adstock, saturation


# (id, geo panel, controls, trend, seasonality, likelihood, drift, transforms): every option
# takes both values, and the three Latin-square rows hold all nine pairs (row 0 has the
# Weibull + Michaelis-Menten channel, on the geo panel without controls: the two held-out
# failures)
CASES = [
    ("national-row1-controls", False, True, False, 0, "normal", False, 1),
    ("national-row2-no-controls-drift", False, False, True, 2, "normal", True, 2),
    ("geo-row0-no-controls-studentt-drift13", True, False, True, 2, "studentt",
     mk.Drift(knot_weeks=13), 0),
]


@pytest.fixture(scope="module")
def sims():
    return {False: mk.simulate.simulate(n_geos=1, n_weeks=70, n_channels=3, seed=21),
            True: mk.simulate.simulate(n_geos=3, n_weeks=60, n_channels=3, seed=22)}


def _model(sim, controls, trend, seasonality, likelihood, drift, row) -> mk.MMM:
    kwargs = sim.model_kwargs()
    kwargs["controls"] = kwargs.get("controls") if controls else None
    adstock, saturation = _square(row)
    return mk.MMM(**kwargs, adstock=adstock, saturation=saturation, trend=trend,
                  seasonality=seasonality, likelihood=likelihood, drift=drift)


def test_the_cases_cover_every_option_and_pair():
    pairs = set()
    for row in {c[-1] for c in CASES} - {None}:
        adstock, saturation = _square(row)
        pairs |= {(type(adstock[ch]), type(saturation[ch])) for ch in CHANNELS}
    assert len(pairs) == 9
    for k in (1, 2, 3, 4, 5, 6):  # geo, controls, trend, seasonality, likelihood, drift
        assert len({c[k] if k == 5 else bool(c[k]) for c in CASES}) == 2, k
    geo_row = next(c[-1] for c in CASES if c[1] and not c[2])  # a geo panel without controls
    adstock, saturation = _square(geo_row)
    assert any(isinstance(adstock[ch], mk.WeibullAdstock)
               and isinstance(saturation[ch], mk.MichaelisMentenSaturation) for ch in CHANNELS)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_configuration_fits_and_answers(case, sims, tmp_path):
    _, geo, controls, trend, seasonality, likelihood, drift, row = case
    sim = sims[geo]
    model = _model(sim, controls, trend, seasonality, likelihood, drift, row)
    assert bool(model.controls) == controls
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(sim.data, method="advi", draws=200, seed=0, progress=False)

    roas = model.roas()
    assert list(roas.index) == CHANNELS
    assert np.isfinite(roas.to_numpy()).all() and (roas["lower"] > 0).all(), roas
    mroas = model.roas(marginal=True)
    assert np.isfinite(mroas.to_numpy()).all() and (mroas["lower"] >= 0).all(), mroas
    if geo:
        assert np.isfinite(model.roas(by_geo=True).to_numpy()).all()

    contributions = model.contributions()
    assert np.isfinite(contributions.values).all() and (contributions.values >= 0).all()
    baseline = model.baseline()
    assert np.isfinite(baseline.values).all()
    assert ("drift" in baseline.component.values) == bool(drift)
    # ROAS counts carryover after the period, so it is never below contribution / spend
    spend = sim.data[CHANNELS].sum()
    summed = contributions.mean(("chain", "draw")).sum(
        [d for d in contributions.dims if d not in ("chain", "draw", "channel")])
    assert (roas["mean"] >= summed.to_series()[CHANNELS] / spend * (1 - 1e-9)).all()

    last = sim.data[sim.data["date"] >= sim.data["date"].max() - np.timedelta64(7 * 7, "D")]
    predicted = model.predict(last)
    assert np.isfinite(predicted.values).all()
    assert isinstance(model.diagnostics(), type(roas["mean"]))
    mk.review.review(model)  # runs and returns its findings; its content is tested in test_review

    lift = scenarios.move(model, 0.1 * spend["tv"], "tv", "social")
    assert np.isfinite(lift.total.values).all()
    shifted = scenarios.shift(model, {"search": 0.2})
    assert np.isfinite(shifted.total.values).all() and float(shifted.total.mean()) > 0
    curves = scenarios.response_curves(model)
    assert np.isfinite(curves.lift.values).all()
    # a Hill curve with slope < 1 is vertical at zero spend: only positive spend is finite
    assert np.isfinite(curves.marginal_roas.sel(multiplier=slice(1e-9, None)).values).all()
    # inf is a stated answer there ("still above the threshold at the largest multiplier")
    point = curves.saturation_point()
    assert not point.drop(columns="mean").isna().to_numpy().any()
    assert (point["mean"].isna() == (point["share_beyond_grid"] > 0)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", scenarios.ScenarioWarning)
        plan = scenarios.optimize_budget(model, n_uncertainty=4)
    assert plan.converged, plan.message
    assert plan.allocation.sum() == pytest.approx(spend.sum(), rel=1e-6)
    assert float(plan.lift.total.mean()) >= -1e-9 * abs(float(spend.sum()))

    path = tmp_path / "model.mmm"
    model.save(path)
    again = mk.MMM.load(path)
    np.testing.assert_array_equal(again.roas().to_numpy(), roas.to_numpy())
