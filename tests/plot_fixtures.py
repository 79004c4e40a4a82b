"""Fixtures and helpers shared by the chart tests (test_plots, test_planning_plots,
test_parameter_plots)."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure

import mmmkit as mk

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture
def no_open_figures():
    """Plots build bare Figures: none may be left registered with pyplot (memory leaks)."""
    plt.close("all")
    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert leaked == [], "a plot function left a pyplot figure open"


@pytest.fixture(params=["national", "panel"])
def model(request):
    return request.getfixturevalue(f"{request.param}_fit")


@pytest.fixture(scope="module")
def grouped_model():
    """Three channels with three different adstock/saturation pairs; draws from the prior."""
    import pymc as pm

    sim = mk.simulate.simulate(n_geos=1, n_weeks=52, n_channels=3, seed=2)
    model = mk.MMM(
        **sim.model_kwargs(),
        adstock={"tv": mk.WeibullAdstock(max_lag=6), "search": mk.GeometricAdstock(max_lag=4),
                 "social": mk.DelayedAdstock(max_lag=5)},
        saturation={"tv": mk.HillSaturation(), "search": mk.LogisticSaturation(),
                    "social": mk.LogisticSaturation()},
    )
    data = model.prepare(sim.data)
    with model.build_model(data), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=40, random_seed=1).prior
    # 2 chains x 20 draws, as a fit would store them
    halves = [prior.isel(chain=0, draw=slice(i * 20, (i + 1) * 20)).assign_coords(
        draw=np.arange(20)) for i in range(2)]
    posterior = xr.concat(halves, dim="chain").assign_coords(chain=[0, 1])
    return model.from_posterior(sim.data, posterior, seed=0)


def legend_texts(fig: Figure) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legends += list(fig.legends)
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def n_elements(model, names) -> int:
    """Scalar parameters in ``names`` (one panel each in prior/rank plots)."""
    post = model.idata.posterior
    per_sample = post.sizes["chain"] * post.sizes["draw"]
    return sum(post[n].size // per_sample for n in names)


class FakeLift:
    """A lift result with only what budget_plan reads."""

    def __init__(self, draws: xr.DataArray):
        self.draws = draws

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        flat = self.draws.stack(s=("chain", "draw")).transpose("s", ...).values
        lo, hi = np.quantile(flat, [(1 - prob) / 2, 1 - (1 - prob) / 2], axis=0)
        return pd.DataFrame({"mean": flat.mean(0), "lower": lo, "upper": hi},
                            index=pd.Index(self.draws["channel"].values, name="channel"))


class FakePlan:
    """A budget plan with only what budget_plan reads."""

    def __init__(self, allocation: pd.Series, lift=None):
        self.allocation = allocation
        if lift is not None:
            self.lift = lift


def with_units(sim, fitted, **units):
    """The fitted model's draws under a model that names its units (``kpi_unit=``,
    ``currency=``): the numbers are the same, only the labels and the break-even wording
    differ."""
    model = mk.MMM(**sim.model_kwargs(), **units)
    return model.from_posterior(sim.data, fitted.idata.posterior)


@pytest.fixture(scope="session")
def revenue_fit(national_sim, national_fit):
    """The national fit with revenue as its KPI: kpi_unit equals the currency (EUR)."""
    return with_units(national_sim, national_fit, kpi_unit="EUR", currency="EUR")


@pytest.fixture(scope="session")
def conversions_fit(national_sim, national_fit):
    """The national fit with a KPI that is not money: conversions bought with EUR."""
    return with_units(national_sim, national_fit, kpi_unit="conversions", currency="EUR")
