"""Parameter and sampler charts (:mod:`mmmkit.parameter_plots`, shown as ``mk.plots.<name>``):
carryover weights, priors against posteriors, rank and trace plots."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from mmmkit import plots
from plot_fixtures import legend_texts, n_elements, visible_axes

pytestmark = pytest.mark.usefixtures("no_open_figures")


def test_adstock(model):
    fig = plots.adstock(model)
    axes = visible_axes(fig)
    assert len(axes) == len(model.channels)
    for ax in axes:
        assert "weeks" in ax.get_xlabel() and "share" in ax.get_ylabel()
        assert len(ax.collections) == 1 and len(ax.lines) == 1
    weights = plots.adstock_weights(model)
    np.testing.assert_allclose(weights.sum("lag"), 1.0)
    assert "90% credible interval" in legend_texts(fig)



def test_prior_posterior(model):
    fig = plots.prior_posterior(model)
    axes = visible_axes(fig)
    assert len(axes) == n_elements(model, plots.key_parameters(model))
    assert {"prior", "posterior"} <= set(legend_texts(fig))
    assert all(ax.get_ylabel().startswith("density") and ax.get_xlabel() for ax in axes)
    sigma_ax = next(ax for ax in axes if ax.get_title() == "sigma")
    assert model.target in sigma_ax.get_xlabel()
    fig = plots.prior_posterior(model, var_names=["sigma"])
    assert len(visible_axes(fig)) == 1
    with pytest.raises(ValueError, match="No prior and posterior"):
        plots.prior_posterior(model, var_names=["not_a_parameter"])


@pytest.mark.parametrize("kind", ["rank", "trace"])
def test_diagnostics(national_fit, kind):
    fig = plots.diagnostics(national_fit, kind=kind)
    assert isinstance(fig, Figure)
    assert "divergences" in fig._suptitle.get_text()
    axes = visible_axes(fig)
    if kind == "rank":
        assert len(axes) == n_elements(national_fit, plots.key_parameters(national_fit))
        assert all("rank" in ax.get_xlabel() for ax in axes)
    else:
        assert len(axes) == 2 * len(plots.key_parameters(national_fit))
    with pytest.raises(ValueError, match="kind"):
        plots.diagnostics(national_fit, kind="pairs")



def test_diagnostics_panel(panel_fit):
    fig = plots.diagnostics(panel_fit, var_names=["channel_effect_sigma", "sigma"])
    assert len(visible_axes(fig)) == len(panel_fit.channels) + 1
