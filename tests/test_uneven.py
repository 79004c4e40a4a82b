"""Uneven panels (issue 14 item 3): a geo that joins late and a geo closed for some weeks fit
through a mask in the likelihood (``MMM(missing_weeks="mask")``); their unknown KPI weeks are
never read as zeros."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from conftest import FAST_FIT

LATE = 20  # the third geo joins after this many weeks
CLOSED = slice(30, 36)  # the first geo is closed for these weeks (rows kept, KPI unknown)


@pytest.fixture(scope="module")
def uneven(panel_sim):
    df = panel_sim.data
    geos = sorted(df["geo"].unique())
    dates = sorted(df["date"].unique())
    late = (df["geo"] == geos[2]) & (df["date"] < dates[LATE])
    closed = (df["geo"] == geos[0]) & df["date"].isin(dates[CLOSED])
    out = df[~late].copy()
    out.loc[closed[~late], "sales"] = np.nan
    return out.reset_index(drop=True), geos, dates


def _fit(df, sim):
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=4),
                   missing_weeks="mask")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        return model.fit(df, **FAST_FIT)


@pytest.fixture(scope="module")
def masked(uneven, panel_sim):
    return _fit(uneven[0], panel_sim)


def test_the_frame_is_filled_to_every_geo_and_week(uneven, panel_sim):
    df, geos, dates = uneven
    kw = panel_sim.model_kwargs()
    before = df.copy()
    clean = mk.validate_frame(df, date="date", target="sales", channels=kw["channels"],
                              geo="geo", controls=kw["controls"], missing_weeks="mask")
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is untouched
    assert len(clean) == len(geos) * len(dates)
    filled = clean[(clean["geo"] == geos[2]) & (clean["date"] < dates[LATE])]
    assert len(filled) == LATE and filled["sales"].isna().all()
    assert (filled[kw["channels"]] == 0).all().all()
    own = df.loc[df["geo"] == geos[2], kw["controls"]].mean()
    np.testing.assert_allclose(filled[kw["controls"]].iloc[0], own)
    closed = clean[(clean["geo"] == geos[0]) & clean["date"].isin(dates[CLOSED])]
    assert closed["sales"].isna().all() and (closed[kw["channels"]].sum().sum() > 0)
    # by default the same frame is refused, and the message says how to fit it
    with pytest.raises(mk.DataError, match='missing_weeks="mask"'):
        mk.validate_frame(df, date="date", target="sales", channels=kw["channels"],
                          geo="geo", controls=kw["controls"])


def test_bad_uneven_inputs_are_refused(uneven, panel_sim):
    df, geos, _ = uneven
    kw = dict(date="date", target="sales", channels=panel_sim.channels, geo="geo",
              controls=panel_sim.controls, missing_weeks="mask")
    empty = df.copy()
    empty.loc[empty["geo"] == geos[1], "sales"] = np.nan
    with pytest.raises(mk.DataError, match=f"missing .NaN. in every week of geo={geos[1]}"):
        mk.validate_frame(empty, **kw)
    infinite = df.copy()
    infinite.loc[3, "sales"] = np.inf
    with pytest.raises(mk.DataError, match="'sales' is infinite"):
        mk.validate_frame(infinite, **kw)
    nan_spend = df.copy()
    nan_spend.loc[4, panel_sim.channels[0]] = np.nan
    with pytest.raises(mk.DataError, match=r"is missing \(NaN\)"):
        mk.validate_frame(nan_spend, **kw)
    with pytest.raises(ValueError, match="missing_weeks must be one of"):
        mk.MMM(date="date", target="sales", channels=["tv"], missing_weeks="zero")


def test_the_likelihood_counts_only_observed_weeks(masked, uneven, panel_sim, panel_fit):
    """The unknown weeks are out of the likelihood: dropped rows and rows with a NaN KPI (and
    no spend) give the same posterior, and the answers agree with the fit on every week."""
    df, geos, dates = uneven
    data = masked.fitted_data()
    assert (~data.observed).sum() == LATE + (CLOSED.stop - CLOSED.start)
    assert masked.fit_info_["unobserved_cells"] == LATE + 6
    # the same weeks given as rows with an unknown KPI and no spend
    rows = panel_sim.data[(panel_sim.data["geo"] == geos[2])
                          & (panel_sim.data["date"] < dates[LATE])].copy()
    rows["sales"] = np.nan
    rows[panel_sim.channels] = 0.0
    rows[panel_sim.controls] = df.loc[df["geo"] == geos[2], panel_sim.controls].mean().values
    again = _fit(pd.concat([rows, df]).sample(frac=1.0, random_state=0), panel_sim)
    np.testing.assert_array_equal(again.idata.posterior["channel_effect"].values,
                                  masked.idata.posterior["channel_effect"].values)
    # ROAS close to the fit on every week (which saw 26 more geo-weeks) and to the truth
    full, mine = panel_fit.roas(), masked.roas()
    for ch in panel_sim.channels:
        assert full.loc[ch, "lower"] <= mine.loc[ch, "mean"] <= full.loc[ch, "upper"], ch
        assert mine.loc[ch, "mean"] == pytest.approx(panel_sim.roas[ch], rel=0.3), ch


def test_readings_of_an_uneven_fit_skip_the_unknown_weeks(masked, tmp_path):
    from mmmkit.report import headline_table

    fig = mk.plots.fit(masked, by_geo=True)
    assert "nan" not in " ".join(ax.get_title() for ax in fig.axes)
    table = headline_table(masked)
    assert table.attrs["actual_total"] == pytest.approx(np.nansum(masked.fitted_data().target))
    path = tmp_path / "uneven.nc"
    masked.save(path)
    back = mk.MMM.load(path)
    assert np.isnan(back.fitted_data().target).sum() == np.isnan(
        masked.fitted_data().target).sum()
    np.testing.assert_allclose(back.roas().to_numpy(), masked.roas().to_numpy())
    np.testing.assert_array_equal(back.fitted_data().target_scale,
                                  masked.fitted_data().target_scale)


def test_scores_and_loo_count_only_the_observed_weeks(masked):
    import arviz as az

    data = masked.fitted_data()
    ll = mk.evaluation.log_likelihood(masked)
    assert ll.dims == ("chain", "draw", "observation")
    assert ll.sizes["observation"] == int(data.observed.sum()) and np.isfinite(ll).all()
    loo = az.loo(az.InferenceData(posterior=masked.idata.posterior,
                                  log_likelihood=ll.to_dataset(name="target_obs")))
    assert np.isfinite(loo.elpd_loo)
    scores = mk.evaluation.score(np.ones((10, 4)), np.array([1.0, np.nan, 1.0, np.nan]))
    assert scores["n"] == 2 and scores["mape"] == 0.0
