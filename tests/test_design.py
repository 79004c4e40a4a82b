"""From arrays to the model's scales and features (:mod:`mmmkit.design`, :mod:`mmmkit.scaling`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmmkit.design import ModelData, fourier_features, fourier_labels, interleave_fourier


def _data(T: int = 10) -> ModelData:
    rng = np.random.default_rng(0)
    spend = rng.uniform(0, 100, (2, T, 3))
    spend[1, :, 2] = 0.0  # geo 1 never spends on channel 2
    spend[0, :4, 0] = 0.0  # flighted: four dark weeks
    return ModelData(dates=pd.date_range("2022-01-03", periods=T, freq="W-MON"),
                     geos=["a", "b"], channels=["x", "y", "z"], controls=["p"], spend=spend,
                     target=rng.uniform(50, 150, (2, T)),
                     control_values=rng.normal(size=(2, T, 1)))


def test_trend_is_centred_on_the_fitted_period_and_continues():
    data = _data(T=11)
    np.testing.assert_allclose(data.trend()[[0, 5, 10]], [-0.5, 0.0, 0.5])
    later = data.dates[-1] + pd.Timedelta(weeks=10)
    assert data.trend([later])[0] == pytest.approx(1.5)
    assert data.week_index([data.dates[0] - pd.Timedelta(weeks=2)])[0] == -2


def test_fourier_features_repeat_every_year():
    dates = pd.DatetimeIndex(["2021-03-01", "2022-03-01", "2021-09-01"])
    f = fourier_features(dates, 2)
    assert f.shape == (3, 4)
    np.testing.assert_allclose(f[0], f[1], atol=0.02)  # a year later: same season (365 vs 365.25)
    assert not np.allclose(f[0], f[2], atol=0.1)
    np.testing.assert_allclose(f[:, :2] ** 2 + f[:, 2:] ** 2, 1.0)  # sin_k^2 + cos_k^2
    assert fourier_labels(2) == ["sin_1", "sin_2", "cos_1", "cos_2"]
    np.testing.assert_array_equal(interleave_fourier(f), f[:, [0, 2, 1, 3]])
    assert fourier_features(dates, 0).shape == (3, 0)


def test_scaled_controls_are_standardised_with_the_fitted_moments():
    data = _data()
    scaled = data.scaled_controls(data.control_values)
    assert scaled[..., 0].mean() == pytest.approx(0.0, abs=1e-12)
    assert scaled[..., 0].std() == pytest.approx(1.0, rel=0.05)


def test_a_model_without_controls_has_empty_control_scales():
    """K = 0 (no controls) once broke on reshape(-1, 0): every model without controls."""
    import numpy as np
    import pandas as pd

    from mmmkit.design import ModelData

    target = np.arange(1.0, 11.0)[None]
    target[0, 3] = np.nan  # an uneven panel's unknown week: still no controls to scale
    data = ModelData(dates=pd.date_range("2024-01-01", periods=10, freq="7D"), geos=["all"],
                     channels=["tv"], controls=[], spend=np.ones((1, 10, 1)), target=target,
                     control_values=np.zeros((1, 10, 0)))
    assert data.control_mean.shape == (0,) and data.control_sd.shape == (0,)
    assert data.scaled_controls().shape == (1, 10, 0)
    assert data.target_scale[0] == np.nanmean(target)
