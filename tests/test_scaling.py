"""The scale conventions (:mod:`mmmkit.scaling`): a typical active week is 1, a geo's mean KPI
is 1."""

from __future__ import annotations

import numpy as np
import pytest

from mmmkit.scaling import spend_scale, target_scale
from test_design import _data


def test_spend_scale_is_the_mean_of_active_weeks():
    data = _data()
    scale = spend_scale(data.spend)
    assert scale[0, 0] == pytest.approx(data.spend[0, 4:, 0].mean())  # dark weeks left out
    # a geo that never spends takes the channel's mean over all active geo-weeks
    assert scale[1, 2] == pytest.approx(data.spend[0, :, 2].mean())
    np.testing.assert_allclose(data.spend_scale, scale)
    np.testing.assert_allclose(target_scale(data.target), np.abs(data.target).mean(axis=1))
    assert target_scale(np.zeros((1, 4)))[0] == 1.0
