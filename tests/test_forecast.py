"""The forecast layout (:mod:`mmmkit.forecast`): the spend timeline ``MMM.predict`` evaluates,
and its draws (``test_model.py`` checks predict end to end)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmmkit.forecast import forecast_draws, forecast_spend


def test_history_weeks_come_from_the_fitted_spend_and_gaps_are_named(national_fit):
    data = national_fit.fitted_data()
    C = len(data.channels)
    later = pd.date_range(data.dates[-1] + pd.Timedelta(weeks=3), periods=4, freq="7D")
    new = np.full((1, 4, C), 7.0)
    spend, gap = forecast_spend(data, new, later, [0], history=5)
    assert spend.shape == (1, 9, C)
    # weeks -5..-1 before the first new week: three fitted ones, then two uncovered
    np.testing.assert_array_equal(spend[0, :3], data.spend[0, -3:])
    np.testing.assert_array_equal(spend[0, 3:5], 0.0)
    assert gap == list(later[0] - pd.Timedelta(weeks=k) for k in (2, 1))
    np.testing.assert_array_equal(spend[0, 5:], 7.0)
    inside, gap = forecast_spend(data, data.spend[:, 10:14], data.dates[10:14], [0], history=5)
    np.testing.assert_array_equal(inside[0], data.spend[0, 5:14])
    assert not gap


def test_draws_without_noise_are_the_expected_target(national_fit):
    data = national_fit.fitted_data()
    engine = national_fit.posterior_engine()
    spend = national_fit.media.reorder(data.spend)
    dates, controls = data.dates[8:], data.control_values[:, 8:]
    ours = forecast_draws(engine, spend, dates, controls, [0], history=8,
                          include_noise=False, seed=0)
    theirs = engine.expected_target(spend, dates, controls, slice(None), history=8)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    noisy = forecast_draws(engine, spend, dates, controls, [0], history=8,
                           include_noise=True, seed=0)
    again = forecast_draws(engine, spend, dates, controls, [0], history=8,
                           include_noise=True, seed=0)
    np.testing.assert_array_equal(noisy, again)  # the seed fixes the noise
    assert np.std(noisy - ours) > 0
