"""compare_models: ROAS moves against a known change of the truth, the same-budget split, and
the data changes (weeks added, revised cells) listed exactly.

Every second fit has the specification of ``national_fit`` (conftest), so it reuses the
compiled sampler and costs about a second.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from conftest import FAST_FIT
from mmmkit.changes import MOVE_PROB, PLAN_WEEKS, paired_draws, prob_greater

DOUBLED = "social"  # the channel whose true contribution is doubled
OLD_WEEKS = 143  # the "old" fit sees the first 143 of 156 weeks: 13 weeks added


def _fit(sim, df, **kwargs):
    model = mk.MMM(**sim.model_kwargs(), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(df, **FAST_FIT)
    return model


@pytest.fixture(scope="module")
def doubled(national_sim, national_fit):
    """The same weeks with DOUBLED's contribution to sales doubled: its true ROAS doubles."""
    df = national_sim.data.copy()
    df["sales"] += national_sim.contributions.sel(channel=DOUBLED, geo="all").values
    return mk.compare_models(national_fit, _fit(national_sim, df))


@pytest.fixture(scope="module")
def revisions(national_sim):
    """Cells of the old fit's data that differ from the current data: (row, column, value)."""
    df = national_sim.data
    tv_row = int(np.flatnonzero(df["tv"].to_numpy()[:OLD_WEEKS] > 0)[-5])
    return [(20, "search", df.loc[20, "search"] * 1.2),
            (60, "social", df.loc[60, "social"] + 1000.0),
            (tv_row, "tv", df.loc[tv_row, "tv"] * 0.5),
            (5, "sales", df.loc[5, "sales"] * 1.05)]


@pytest.fixture(scope="module")
def refreshed(national_sim, national_fit, revisions):
    """Old: the first 143 weeks as first reported (four cells since revised); new: all 156
    weeks of the current data (``national_fit``)."""
    df = national_sim.data.copy()
    for row, col, value in revisions:
        df.loc[row, col] = value
    old = _fit(national_sim, df.iloc[:OLD_WEEKS])
    return old, mk.compare_models(old, national_fit)


def test_prob_greater_matches_normal_theory():
    rng = np.random.default_rng(1)
    old = rng.normal(0.0, 1.0, size=(30_000, 2))
    new = rng.normal([1.0, 0.0], 1.0, size=(20_000, 2))  # unequal counts: cut to 20,000
    p = prob_greater(new, old, seed=0)
    # P(N(1,1) > N(0,1)) = Phi(1/sqrt 2) = 0.760; equal distributions 0.5 (sd ~0.004)
    assert p[0] == pytest.approx(0.5 * (1 + math.erf(0.5)), abs=0.015)
    assert p[1] == pytest.approx(0.5, abs=0.015)
    assert prob_greater(np.ones((5, 1)), np.ones((7, 1)))[0] == 0.5  # ties count half
    a, b = paired_draws(new, old, seed=0)
    assert a.shape == b.shape == (20_000, 2)
    np.testing.assert_array_equal(prob_greater(new, old, seed=0), p)  # seeded
    with pytest.raises(ValueError, match="different shapes"):
        prob_greater(np.zeros((5, 2)), np.zeros((5, 3)))


def test_doubled_contribution_moves_that_roas_up_and_no_other(doubled, national_sim):
    ch = doubled.channels
    truth = national_sim.roas
    row = ch.loc[DOUBLED]
    assert row["moved"] == "up" and row["prob_increase"] > 0.99
    # the truth doubled; the refit's ROAS roughly doubles and the change interval covers
    # the true change (2x truth - truth, up to the carryover tail of the last weeks)
    assert row["roas_new"] / row["roas_old"] == pytest.approx(2.0, rel=0.25)
    assert row["change_lower"] < truth[DOUBLED] * 1.1 and row["change_upper"] > truth[DOUBLED] * 0.9
    assert row["mroas_new"] > row["mroas_old"] and row["mroas_prob_increase"] > 0.99
    assert row["roas_new_lower"] <= row["roas_new"] <= row["roas_new_upper"]
    for other in set(national_sim.channels) - {DOUBLED}:
        r = ch.loc[other]
        assert r["moved"] == "unclear", (other, r["prob_increase"])
        assert 1 - MOVE_PROB < r["prob_increase"] < MOVE_PROB
        assert r["roas_new"] == pytest.approx(r["roas_old"], rel=0.15)
        assert r["change_lower"] < 0 < r["change_upper"]
    # a channel that now works twice as well gets more of the same budget
    split = doubled.split
    assert split.loc[DOUBLED, "change"] > 0
    assert split["old"].sum() == pytest.approx(split.attrs["budget"], rel=1e-6)
    assert split["new"].sum() == pytest.approx(split.attrs["budget"], rel=1e-6)
    # only the target was revised, in every week
    revised = doubled.data.revised
    assert set(revised["column"]) == {"sales"} and len(revised) == len(national_sim.dates)
    np.testing.assert_allclose(
        revised["new"] - revised["old"],
        national_sim.contributions.sel(channel=DOUBLED, geo="all").values)


def test_summary_words_follow_the_numbers(doubled):
    text = doubled.summary()
    lines = text.splitlines()
    assert len(lines) == 3 + 2  # one per channel, the split, the data
    up = next(line for line in lines if line.startswith(f"ROAS of {DOUBLED}"))
    assert "moved up (probability above 0.99)" in up and "sales per unit of spend" in up
    assert "90% intervals" in up
    others = [line for line in lines[:3] if line is not up]
    assert all("shows no clear move (probability of an increase 0." in x for x in others)
    assert "improved" not in text and "better" not in text
    assert "For the same budget of" in text and "13 weeks" in text
    assert "156 values of the shared history revised (sales (156))" in text


def test_weeks_added_and_revised_cells_are_listed_exactly(refreshed, national_sim, revisions):
    result = refreshed[1]
    data = result.data
    dates = national_sim.dates
    assert list(data.weeks_added) == list(dates[OLD_WEEKS:])
    assert len(data.weeks_removed) == 0
    assert data.geos_added == data.geos_removed == []
    assert data.columns_added == data.columns_removed == []
    expected = pd.DataFrame(
        [(dates[row], "all", col, value, national_sim.data.loc[row, col])
         for row, col, value in revisions], columns=["date", "geo", "column", "old", "new"],
    ).sort_values(["column", "geo", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(data.revised, expected, check_dtype=False)
    assert not data.unchanged
    text = result.summary()
    assert (f"13 weeks added ({dates[OLD_WEEKS]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}); "
            "no week removed") in text
    assert "4 values of the shared history revised (sales (1), search (1), social (1), tv (1))" \
        in text


def test_split_is_for_the_same_budget_over_the_last_shared_weeks(refreshed, national_sim,
                                                                  national_fit):
    old, result = refreshed
    split = result.split
    weeks = national_sim.dates[OLD_WEEKS - PLAN_WEEKS:OLD_WEEKS]  # last 13 weeks in both
    assert (split.attrs["start"], split.attrs["end"]) == (weeks[0], weeks[-1])
    assert split.attrs["weeks"] == PLAN_WEEKS
    actual = national_sim.data.set_index("date").loc[weeks, national_sim.channels].sum()
    np.testing.assert_allclose(split["historical"], actual[split.index])
    assert split.attrs["budget"] == pytest.approx(actual.sum())
    for side in ("old", "new"):
        assert split[side].sum() == pytest.approx(actual.sum(), rel=1e-6)
        assert split[f"{side}_share"].sum() == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(split["change"], split["new"] - split["old"])
    np.testing.assert_allclose(result.new_plan.allocation[split.index], split["new"])
    # nearly the same data: no ROAS moved clearly
    assert (result.channels["moved"] == "unclear").all(), result.channels["prob_increase"]
    # a given budget is split under both models
    given = mk.compare_models(old, national_fit, budget=1e6)
    assert given.split["old"].sum() == pytest.approx(1e6, rel=1e-6)
    assert given.split["new"].sum() == pytest.approx(1e6, rel=1e-6)


def test_a_model_against_itself(national_fit):
    result = mk.compare_models(national_fit, national_fit, prob=0.8, seed=4)
    assert result.data.unchanged and result.data.revised.empty
    np.testing.assert_allclose(result.split["change"], 0.0, atol=1e-6)
    # independent shuffles of the same posterior: P(increase) about 0.5 (600 pairs)
    assert result.channels["prob_increase"].between(0.4, 0.6).all()
    assert (result.channels["moved"] == "unclear").all()
    assert result.channels.attrs["prob"] == 0.8
    assert "Both models were fitted on the same data." in result.summary()
    assert "80% intervals" in result.summary()
    again = mk.compare_models(national_fit, national_fit, prob=0.8, seed=4)
    pd.testing.assert_frame_equal(again.channels, result.channels)


def test_errors_name_what_to_change(national_sim, national_fit):
    kwargs = national_sim.model_kwargs()
    fewer = mk.MMM(**{**kwargs, "channels": kwargs["channels"][:2]})
    with pytest.raises(ValueError, match=r"same channels: only in old \['social'\]"):
        mk.compare_models(national_fit, fewer)
    with pytest.raises(ValueError, match=r"new model is not fitted: call new\.fit\(df\)"):
        mk.compare_models(national_fit, mk.MMM(**kwargs))
    with pytest.raises(TypeError, match=r"two fitted mmmkit\.MMM"):
        mk.compare_models(national_fit, national_sim.data)
    with pytest.raises(ValueError, match="prob must be between 0 and 1"):
        mk.compare_models(national_fit, national_fit, prob=90)
    with pytest.raises(ValueError, match="budget is a total spend"):
        mk.compare_models(national_fit, national_fit, budget=-5.0)
    orders = _fit(national_sim, national_sim.data, kpi_unit="orders")
    with pytest.raises(ValueError, match="kpi_label 'sales' vs 'orders'"):
        mk.compare_models(national_fit, orders)


def test_the_report_shows_what_changed(refreshed, national_fit, tmp_path):
    """The report's "What changed" section carries the comparison's own numbers."""
    import re

    from mmmkit.report import write_report

    result = refreshed[1]
    path = write_report(national_fit, tmp_path / "report.html", review=False, changes=result)
    page = path.read_text()
    section = page[page.index("<h2 id='changes'>"):page.index("<h2 id='appendix'>")]
    assert "href='#changes'" in page
    for line in result.summary().splitlines():
        assert html_escape(line) in section
    for ch, r in result.channels.iterrows():
        row = re.search(rf"<th scope='row'>{ch}</th>(.*?)</tr>", section).group(1)
        assert f"<b>{r['roas_old']:.2f}</b>" in row and f"<b>{r['roas_new']:.2f}</b>" in row
        assert f"{100 * r['prob_increase']:.0f}%" in row
    assert "Revised history" in section and "4 value(s)" in section
    assert "Recommended split for the same budget" in section


def html_escape(text: str) -> str:
    import html

    return html.escape(text)
