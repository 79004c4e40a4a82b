"""The drifting base level (:mod:`mmmkit.drift`): its knots, its basis and its options.

The graph's drift term equals the numpy engine's (``test_posterior.py``, national and panel);
a drift model fits and answers through every reading method, scenarios and a save/load
(``test_configurations.py``). Here: the rule for the knots, what the basis must be (a
piecewise-linear path through the knots, with the intercept's and the trend's parts taken
out, held at the ends), and the errors for bad options.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit.drift import Drift, resolve_drift
from mmmkit.inference import prior_parameters

DATES = pd.date_range("2022-01-03", periods=156, freq="7D")


@pytest.mark.parametrize(("weeks", "knot_weeks", "knots"), [
    (156, 26, 7), (104, 26, 5), (52, 26, 3), (20, 26, 2), (157, 26, 7), (158, 26, 8),
    (156, 13, 13)])
def test_knots_follow_the_documented_rule(weeks, knot_weeks, knots):
    drift = Drift(knot_weeks=knot_weeks)
    assert drift.n_knots(weeks) == knots  # ceil((T - 1) / knot_weeks) + 1, at least 2
    positions = drift.knot_positions(weeks)
    assert positions[0] == 0 and positions[-1] == weeks - 1
    assert np.diff(positions).max() <= knot_weeks + 1e-12
    np.testing.assert_allclose(drift.step_years(weeks).sum(), (weeks - 1) / (365.25 / 7))


@pytest.mark.parametrize("trend", [True, False])
def test_basis_is_a_path_through_the_knots_less_what_intercept_and_trend_hold(trend):
    drift = Drift()
    basis = drift.basis(DATES, trend=trend)  # (T, K)
    weeks = np.arange(len(DATES), dtype=float)
    # orthogonal to the constant, and to time when the model has a trend
    np.testing.assert_allclose(basis.sum(axis=0), 0.0, atol=1e-10)
    assert (abs(weeks @ basis).max() < 1e-8) == trend
    # a path given at the knots comes back as its linear interpolation, less that part
    rng = np.random.default_rng(3)
    knots = rng.normal(size=drift.n_knots(len(DATES)))
    path = np.interp(weeks, drift.knot_positions(len(DATES)), knots)
    x = np.column_stack([np.ones_like(weeks), weeks] if trend else [np.ones_like(weeks)])
    expected = path - x @ np.linalg.lstsq(x, path, rcond=None)[0]
    np.testing.assert_allclose(basis @ knots, expected, atol=1e-12)


def test_weeks_outside_the_fit_hold_the_nearest_end():
    drift = Drift()
    later = pd.date_range(DATES[-1] + pd.Timedelta(weeks=1), periods=30, freq="7D")
    earlier = pd.date_range(DATES[0] - pd.Timedelta(weeks=5), periods=5, freq="7D")
    fitted = drift.basis(DATES, trend=True)
    np.testing.assert_allclose(drift.basis(DATES, later, trend=True), fitted[[-1] * 30])
    np.testing.assert_allclose(drift.basis(DATES, earlier, trend=True), fitted[[0] * 5])
    # and the fitted weeks, asked for by date, are the fitted rows
    np.testing.assert_allclose(drift.basis(DATES, DATES[40:50], trend=True), fitted[40:50])


def test_a_knot_is_labelled_by_its_nearest_date():
    labels = Drift().knot_dates(DATES)
    assert labels[0] == "2022-01-03" and labels[-1] == str(DATES[-1].date())
    assert len(set(labels)) == len(labels) == 7


@pytest.mark.parametrize("bad", [3, 0, -26, 26.0, True, "26"])
def test_bad_knot_spacing_says_what_to_give(bad):
    with pytest.raises(ValueError, match="knot_weeks"):
        Drift(knot_weeks=bad)


def test_drift_option_values():
    assert resolve_drift(False) is None and resolve_drift(None) is None
    assert resolve_drift(True) == Drift()
    assert resolve_drift(Drift(knot_weeks=13)).knot_weeks == 13
    with pytest.raises(ValueError, match="drift must be True, False or a mmmkit"):
        mk.MMM(date="date", target="y", channels=["tv"], drift="yes")


def test_drift_priors_exist_only_with_a_drift():
    plain = mk.MMM(date="date", target="y", channels=["tv"])
    assert not [name for name in plain.priors if name.startswith("drift")]
    with pytest.raises(ValueError, match="pass drift=True"):
        mk.MMM(date="date", target="y", channels=["tv"],
               priors={"drift_sigma": mk.Prior("HalfNormal", sigma=0.05)})
    model = mk.MMM(date="date", target="y", channels=["tv"], drift=True,
                   priors={"drift_sigma": mk.Prior("HalfNormal", sigma=0.05)})
    assert model.priors["drift_sigma"] == mk.Prior("HalfNormal", sigma=0.05)
    assert model.priors["drift_geo_sigma"] == mk.Prior("HalfNormal", sigma=0.05)


def test_the_prior_drift_moves_as_stated(national_sim):
    """``drift_sigma`` is the typical change per year: the prior paths' yearly steps have
    the spread of a HalfNormal(0.1)-scaled random walk (share of the mean target)."""
    model = mk.MMM(**national_sim.model_kwargs(), drift=True, trend=False)
    data = model.prepare(national_sim.data)
    prior = prior_parameters(model.build_model(data), 4000, seed=5)
    knots = prior["drift"].values[0, :, 0, :]  # (draw, K)
    years = model.drift.step_years(data.n_weeks)
    per_year = np.diff(knots, axis=1) / np.sqrt(years)  # steps scaled to one year
    # sd of sigma * z with sigma ~ HalfNormal(0.1), z ~ N(0, 1): 0.1 exactly
    assert per_year.std() == pytest.approx(0.1, rel=0.06)
    np.testing.assert_array_equal(knots[:, 0], 0.0)


def test_compile_key_follows_the_knots_not_the_weeks(national_sim):
    model = mk.MMM(**national_sim.model_kwargs(), drift=True)
    data = model.prepare(national_sim.data)
    n = data.n_weeks
    same = model.prepare(national_sim.data.iloc[: n - 1])  # one week fewer
    fewer = model.prepare(national_sim.data.iloc[: n - 27])  # a knot fewer
    assert model.drift.n_knots(n - 1) == model.drift.n_knots(n) != model.drift.n_knots(n - 27)
    assert model.compile_key(same) == model.compile_key(data)
    assert model.compile_key(fewer) != model.compile_key(data)
    assert mk.MMM(**national_sim.model_kwargs()).compile_key(data) != model.compile_key(data)
