"""mmmkit.planner: the offline scenario planner page and the numbers behind it.

Three kinds of check:

* the arithmetic (no browser): the lift of a plan is the sum of the channels' response curves
  (exactly :func:`mmmkit.scenarios.shift` on the same draws at grid points), and the page's
  interpolation between grid points stays within :data:`TOL` of it;
* the file: self-contained, a Content-Security-Policy that loads nothing, curves that decode;
* a real browser (Debian's ``chromium`` driven by ``chromium-driver`` through Selenium;
  ``.ci/run`` installs both): the page is loaded from disk with the network off, plans are set
  through its controls, and its displayed results are compared with the library's. The test
  skips, saying why, where no browser or driver can be had.

Models: the session fit ``national_fit`` (a real posterior) and cheap known-truth models with
jittered draws (``tests/truth.py``) for 10 channels and a geo panel.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import planner, scenarios
from mmmkit.planner_page import decode_curves
from mmmkit.response import stats_frame
from truth import model_from_truth

#: the stated precision: between grid points, each channel's lift (and every summary of it)
#: is within TOL times the channel's mean lift at the actual spend, per draw
TOL = 1e-3
#: ... and within TOL_LOW below the first positive grid point (2% of the actual spend)
TOL_LOW = 5e-3
#: marginal ROAS between grid points: within this share of its value at the actual spend
TOL_MROAS = 2e-2


@pytest.fixture(scope="module")
def ten_channels():
    """10 channels, 156 weeks, 400 draws scattered around the simulator's truth."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=156, n_channels=10, seed=0)
    return model_from_truth(sim, chains=2, draws=200, jitter=0.15, seed=1)


@pytest.fixture(scope="module")
def panel_truth():
    sim = mk.simulate.simulate(n_geos=4, n_weeks=60, n_channels=3, seed=12)
    return model_from_truth(sim, chains=2, draws=60, jitter=0.1, seed=2)


@pytest.fixture(scope="module")
def national_data(national_fit):
    return planner.planner_data(national_fit, budgets=())


def _library(model, data: planner.PlannerData, multipliers: np.ndarray):
    """``shift`` of the plan ``multipliers`` over the page's period, on the page's draws:
    ``(lift (S, C), LiftResult)``."""
    changes = {ch: m - 1.0 for ch, m in zip(data.channels, multipliers, strict=True) if m != 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scenarios.ScenarioWarning)
        result = scenarios.shift(model, changes, start=data.dates[0], end=data.dates[-1],
                                 geos=None if model.geo is None else data.geos)
    draws = result.draws.values.reshape(-1, len(data.channels))
    return draws[data.draw_index], result


def _page_lift(data: planner.PlannerData, multipliers: np.ndarray) -> np.ndarray:
    value, _ = data.at(dict(zip(data.channels, multipliers * data.spend.to_numpy(),
                                strict=True)))
    return value - data.lift[:, :, list(data.multipliers).index(1.0)]


def _scale(data: planner.PlannerData) -> np.ndarray:
    """Each channel's mean lift at the actual spend ``(C,)``: the unit of :data:`TOL`."""
    return data.lift[:, :, list(data.multipliers).index(1.0)].mean(axis=0)


# -- the arithmetic -----------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["national_fit", "panel_truth", "ten_channels"])
def test_lift_of_a_plan_is_the_sum_of_the_channels_curves(which, request):
    """At grid points the page's lift is shift's, draw by draw and channel by channel."""
    model = request.getfixturevalue(which)
    data = planner.planner_data(model, budgets=())
    grid = data.multipliers
    rng = np.random.default_rng(0)
    for _ in range(3):
        m = rng.choice(grid, size=len(data.channels))
        lib, result = _library(model, data, m)
        np.testing.assert_allclose(_page_lift(data, m), lib, rtol=1e-9,
                                   atol=1e-9 * _scale(data).max())
        page = data.summary(dict(zip(data.channels, m * data.spend.to_numpy(), strict=True)))
        expected = stats_frame(np.column_stack([lib, lib.sum(axis=1)]), page.index,
                               positive=True)
        np.testing.assert_allclose(page[["mean", "lower", "upper"]],
                                   expected[["mean", "lower", "upper"]], rtol=1e-9,
                                   atol=1e-9 * _scale(data).sum())
        np.testing.assert_allclose(page["spend_change"], result.summary()["spend_change"],
                                   rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("which", ["national_fit", "ten_channels"])
def test_interpolation_between_grid_points_is_within_the_stated_precision(which, request):
    model = request.getfixturevalue(which)
    data = planner.planner_data(model, budgets=())
    scale = _scale(data)
    low = data.multipliers[1]
    rng = np.random.default_rng(1)
    plans = rng.uniform(low, data.multipliers[-1], (6, len(data.channels)))
    plans[0, 0], plans[1, -1] = 0.5 * low, 0.1 * low  # below the first positive grid point
    worst = {True: 0.0, False: 0.0}
    for m in plans:
        lib, _ = _library(model, data, m)
        err = np.abs(_page_lift(data, m) - lib) / scale
        tol = np.where(m < low, TOL_LOW, TOL)
        for below in (True, False):
            if (below == (m < low)).any():
                worst[below] = max(worst[below], float(err[:, below == (m < low)].max()))
        summary = data.summary(dict(zip(data.channels, m * data.spend.to_numpy(), strict=True)))
        expected = stats_frame(np.column_stack([lib, lib.sum(axis=1)]), summary.index,
                               positive=True)
        diff = (summary[["mean", "lower", "upper"]] - expected[["mean", "lower", "upper"]]).abs()
        limit = np.append(tol * scale, (tol * scale).sum())
        assert (diff.max(axis=1).to_numpy() <= limit).all(), diff
    assert worst[False] <= TOL and worst[True] <= TOL_LOW, worst
    print(f"\n{which}: largest per-draw interpolation error x E[L_c(1)]: {worst[False]:.1e} "
          f"from {low:.0%} of the actual spend up, {worst[True]:.1e} below")


def test_marginal_roas_between_grid_points(national_fit, national_data):
    """The page's marginal ROAS (the interpolant's slope) against the exact one of
    response_curves at the same multipliers."""
    data = national_data
    m = np.array([0.37, 1.13, 2.41])
    exact = scenarios.response_curves(national_fit, multipliers=m, start=data.dates[0],
                                      end=data.dates[-1]).marginal_roas
    exact = exact.transpose("chain", "draw", "channel", "multiplier").values.reshape(
        -1, len(data.channels), len(m))[data.draw_index]
    _, mroas = data.at(dict(zip(data.channels, m * data.spend.to_numpy(), strict=True)))
    at_one = data.slope[:, :, list(data.multipliers).index(1.0)] / data.spend.to_numpy()
    for c in range(len(data.channels)):
        err = np.abs(mroas[:, c] - exact[:, c, c]) / np.abs(at_one[:, c]).mean()
        assert err.max() <= TOL_MROAS, (data.channels[c], err.max())


def test_the_optimisers_splits_and_their_lift(national_fit):
    total = float(planner.planner_data(national_fit, budgets=()).spend.sum())
    data = planner.planner_data(national_fit, budgets=[1.1 * total, 0.9 * total])
    assert [p.budget for p in data.plans] == pytest.approx([0.9 * total, 1.1 * total])
    for plan in data.plans:
        assert plan.allocation.sum() == pytest.approx(plan.budget, rel=1e-6)
        page = data.summary(plan.allocation)
        lib = plan.lift.total.values.ravel()[data.draw_index]
        scale = _scale(data).sum()
        assert abs(page.loc["total", "mean"] - lib.mean()) <= TOL * scale
        assert page.loc["total", "spend_change"] == pytest.approx(plan.budget - total)
    default = planner.planner_data(national_fit)
    assert [p.budget for p in default.plans] == pytest.approx(
        [round(total * s, 2) for s in planner.BUDGET_STEPS])


def test_beyond_the_data_is_the_librarys_extrapolation(national_fit, national_data):
    data = national_data
    m = np.ones(len(data.channels))
    c = int(np.argmin(data.observed_multiplier.to_numpy()))
    m[c] = min(1.05 * data.observed_multiplier.iloc[c], data.multipliers[-1])
    m[(c + 1) % len(m)] = 0.5
    _, result = _library(national_fit, data, m)
    page = data.summary(dict(zip(data.channels, m * data.spend.to_numpy(), strict=True)))
    assert page.attrs["beyond"] == result.extrapolates == [data.channels[c]]
    assert np.isnan(page.loc[data.channels[(c + 2) % len(m)], "prob_positive"])


def test_period_draws_and_grid(national_fit, national_data):
    dates = national_fit.fitted_data().dates
    data = national_data
    assert list(data.dates) == list(dates[-planner.DEFAULT_WEEKS:])
    assert len(data.draw_index) == planner.DEFAULT_DRAWS < data.n_model_draws
    assert data.draw_index[0] == 0 and data.draw_index[-1] == data.n_model_draws - 1
    assert data.multipliers[0] == 0 and 1.0 in data.multipliers
    assert data.lift.shape == data.slope.shape == (
        planner.DEFAULT_DRAWS, len(data.channels), len(data.multipliers))
    assert np.all(data.lift[:, :, 0] == 0)
    spend = national_fit.fitted_data().spend[0, -planner.DEFAULT_WEEKS:].sum(axis=0)
    np.testing.assert_allclose(data.spend.to_numpy(), spend)
    window = planner.planner_data(national_fit, end=dates[-14], draws=None,
                                  multipliers=[0.5, 2.0], budgets=())
    assert list(window.dates) == list(dates[-26:-13])
    assert len(window.draw_index) == window.n_model_draws
    assert list(window.multipliers) == [0.0, 0.5, 1.0, 2.0]
    same = planner.planner_data(national_fit, start=dates[10], end=dates[20], budgets=())
    assert list(same.dates) == list(dates[10:21])


def test_arguments_are_checked(national_fit, national_data):
    data = national_data
    ch = data.channels[0]
    with pytest.raises(ValueError, match="reach 3x"):
        data.summary({ch: 3.5 * data.spend[ch]})
    with pytest.raises(ValueError, match="finite amounts >= 0"):
        data.summary({ch: -1.0})
    with pytest.raises(ValueError, match="not a channel"):
        data.summary({"radio": 1.0})
    with pytest.raises(ValueError, match="multipliers"):
        planner.planner_data(national_fit, multipliers=[-1.0], budgets=())
    with pytest.raises(ValueError, match="draws"):
        planner.planner_data(national_fit, draws=1, budgets=())
    with pytest.raises(ValueError, match="prob"):
        planner.write_planner(national_fit, "unused.html", prob=1.5)


def test_the_planner_is_exported():
    assert mk.planner is planner
    assert "planner" in mk.__all__


# -- the file ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def national_page(national_fit, tmp_path_factory):
    path = tmp_path_factory.mktemp("planner") / "sub" / "planner.html"
    return planner.write_planner(national_fit, path, currency="EUR", title="Q1 planner")


def _payload(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    block = re.search(r"<script type='application/json' id='planner-data'>(.*?)</script>",
                      page, re.S)
    return json.loads(block.group(1))


def test_the_file_is_self_contained(national_page):
    page = national_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>Q1 planner</title>" in page
    csp = re.search(r"http-equiv='Content-Security-Policy' content=\"([^\"]*)\"", page).group(1)
    assert csp.startswith("default-src 'none';") and "unsafe" not in csp
    assert not re.search(r"\b(src|href)\s*=", page, re.I), "the page refers to a resource"
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "@import" not in page and "url(" not in page
    assert page.count("<script") == 2 and page.count("<style") == 1


def test_the_file_holds_the_curves(national_fit, national_page, national_data):
    payload = _payload(national_page)
    data = national_data
    assert payload["draws"] == len(data.draw_index)
    assert payload["multipliers"] == pytest.approx(list(data.multipliers[1:]))
    assert [p["budget"] for p in payload["plans"]] == pytest.approx(
        [round(float(data.spend.sum()) * s, 2) for s in planner.BUDGET_STEPS])
    for c, entry in enumerate(payload["channels"]):
        assert entry["name"] == data.channels[c]
        assert entry["spend"] == pytest.approx(data.spend.iloc[c])
        lift, slope, slope0 = decode_curves(entry, payload["draws"])
        scale = np.abs(data.lift[:, c, 1:]).max(axis=1, keepdims=True)
        assert np.abs(lift - data.lift[:, c, 1:]).max() <= (scale / 32767).max()
        np.testing.assert_allclose(slope0, data.slope[:, c, 0], rtol=1e-6)
        du = data.slope[:, c, 1:] * data.multipliers[1:]
        assert np.abs(slope - du).max() <= np.abs(du).max() / 32767
    words = payload["words"]
    assert words["change"] == "Change in sales" and words["roasUnit"] == "sales per EUR"
    terms = [t for t, _ in payload["glossary"]]
    assert "Marginal ROAS" in terms and "Cost per sale" in terms  # sales are not revenue


def test_a_revenue_kpi_gets_break_even_words(revenue_fit, tmp_path):
    path = planner.write_planner(revenue_fit, tmp_path / "revenue.html", budgets=())
    payload = _payload(path)
    words, terms = payload["words"], [t for t, _ in payload["glossary"]]
    assert words["revenue"] and "break-even" in words["breakEven"]
    assert words["roasUnit"] == "EUR per EUR" and payload["currency"] == "EUR"
    assert "Break-even" in terms and not any(t.startswith("Cost per") for t in terms)
    assert payload["plans"] == [] and "Optimiser's split" in path.read_text(encoding="utf-8")


def test_ten_channels_fit_in_under_a_megabyte(ten_channels, tmp_path):
    path = planner.write_planner(ten_channels, tmp_path / "ten.html")
    size = path.stat().st_size
    assert size < 1_000_000, f"{size:,} bytes"
    assert len(_payload(path)["channels"]) == 10


# -- a real browser -----------------------------------------------------------------------------
def _browser():
    """A headless Chromium driven by chromium-driver, or ``pytest.skip`` with the reason."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]'); the planner's "
                    "browser test needs it")
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    missing = [name for name, p in (("chromium", binary), ("chromium-driver", driver))
               if not Path(p).exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install chromium "
                    "chromium-driver; .ci/run installs them): the planner's browser test "
                    "needs a real browser")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,768",
                 # the network off: every host name fails to resolve, no proxy, no QUIC
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
                 "--no-proxy-server", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(driver), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not be started through chromium-driver: {exc.msg}")


class Page:
    """The planner page in the browser, used through its controls only."""

    def __init__(self, browser, data: planner.PlannerData):
        self.browser, self.data = browser, data
        self.worst = 0.0  # largest |page - library| seen, in units of E[L_c(1)]

    def find(self, id_: str):
        return self.browser.find_element("id", id_)

    def type_into(self, id_: str, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.find(id_)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.BACKSPACE, text, Keys.TAB)

    def press(self, id_: str, key: str, times: int = 1) -> None:
        from selenium.webdriver.common.keys import Keys

        self.find(id_).send_keys(*[getattr(Keys, key)] * times)

    def click(self, id_: str) -> None:
        self.find(id_).click()

    def results(self) -> pd.DataFrame:
        """The displayed results: the numbers in the cells (``data-*``) and their text."""
        rows = {}
        for key in [*range(len(self.data.channels)), "total"]:
            lift, prob = self.find(f"lift-{key}"), self.find(f"prob-{key}")
            name = "total" if key == "total" else self.data.channels[key]
            value = prob.get_attribute("data-value")
            rows[name] = {k: float(lift.get_attribute(f"data-{k}"))
                          for k in ("mean", "lower", "upper")}
            rows[name].update(prob_positive=float(value) if value else np.nan,
                              text=lift.text, prob_text=prob.text)
        return pd.DataFrame.from_dict(rows, orient="index")


def _number(text: str) -> float:
    """The first displayed number of ``text`` ("+1,234", "-12.50", "±0")."""
    token = re.search(r"±0|[+-]?[\d,]+(?:\.\d+)?", text).group(0)
    return 0.0 if token == "±0" else float(token.replace(",", ""))


def _check_against_library(page: Page, model, multipliers: np.ndarray) -> pd.DataFrame:
    """The page's displayed results against shift's on the same draws (to :data:`TOL`)."""
    data = page.data
    lib, result = _library(model, data, multipliers)
    expected = stats_frame(np.column_stack([lib, lib.sum(axis=1)]),
                           [*data.channels, "total"], positive=True)
    shown = page.results()
    scale = _scale(data)
    limits = np.append(scale, scale.sum()) * TOL
    for col in ("mean", "lower", "upper"):
        err = (shown[col] - expected[col]).abs().to_numpy()
        assert (err <= limits).all(), (col, shown[col], expected[col])
        page.worst = max(page.worst, float((err / np.append(scale, scale.sum())).max()))
    n = len(data.draw_index)
    changed = [ch for ch, m in zip(data.channels, multipliers, strict=True) if m != 1]
    for ch in [*changed, "total"]:
        assert abs(shown.loc[ch, "prob_positive"] - expected.loc[ch, "prob_positive"]) <= 2 / n
        assert shown.loc[ch, "prob_text"] == f"{100 * shown.loc[ch, 'prob_positive']:.0f}%"
        mean = shown.loc[ch, "mean"]
        # the bold number is the mean as shown: whole units from 100 up, else 2 decimals
        assert _number(shown.loc[ch, "text"]) == pytest.approx(
            mean, abs=0.5 if abs(mean) >= 100 else 0.005)
    for ch in set(data.channels) - set(changed):
        assert shown.loc[ch, "prob_text"] == "—" and shown.loc[ch, "text"].startswith("±0")
    beyond = [r.get_attribute("id") for r in page.browser.find_elements(
        "css selector", "tr[data-beyond='1']")]
    assert beyond == [f"row-{data.channels.index(ch)}" for ch in result.extrapolates]
    return shown


def test_the_page_in_a_real_browser(national_fit, national_data, national_page, tmp_path,
                                    monkeypatch):
    from PIL import Image

    # the driver is given, so Selenium Manager has nothing to fetch; it must not try
    monkeypatch.setenv("SE_OFFLINE", "true")
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    browser = _browser()
    data = national_data
    spend = data.spend.to_numpy()
    try:
        browser.get(national_page.resolve().as_uri())
        assert browser.find_element("tag name", "body").get_attribute("data-ready") == "1"
        page = Page(browser, data)
        # nothing was fetched and nothing failed
        assert browser.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        # plan 1: tv -20% (percent box), search +30% (amount box), social +7% (slider keys)
        page.type_into("pct-0", "80")
        amount = round(1.3 * spend[1], 2)
        page.type_into("spend-1", f"{amount:.2f}")
        page.press("slider-2", "ARROW_RIGHT", 7)
        m = np.array([0.8, amount / spend[1], 1.07])
        _check_against_library(page, national_fit, m)
        planned = float((m * spend).sum())
        state = "raises" if planned > spend.sum() else "cuts"
        line = page.find("budget-line")
        assert line.get_attribute("data-state") == state
        assert f"EUR {planned:,.0f}" in line.text
        # plan 2: switch tv off (Home on its slider), search to 2.5x: beyond the data?
        page.press("slider-0", "HOME")
        page.type_into("pct-1", "250")
        _check_against_library(page, national_fit, np.array([0.0, 2.5, 1.07]))
        # plan 3: reset, then the optimiser's split for 90% of the actual total
        page.click("reset")
        shown = page.results()
        assert (shown["mean"] == 0).all() and (shown["prob_text"] == "—").all()
        assert page.find("budget-line").get_attribute("data-state") == "keeps"
        from selenium.webdriver.support.ui import Select

        Select(page.find("budget-choice")).select_by_index(1)
        page.click("fill")
        split = scenarios.optimize_budget(national_fit, round(0.9 * spend.sum(), 2),
                                          start=data.dates[0], end=data.dates[-1],
                                          n_uncertainty=0)
        assert "Filled in the optimiser's split" in page.find("plan-status").text
        _check_against_library(page, national_fit, split.allocation.to_numpy() / spend)
        assert page.find("budget-line").get_attribute("data-state") == "cuts"
        # the screenshot shows the page: not blank, the curves painted in the accent colour
        shot = tmp_path / "planner.png"
        assert browser.save_screenshot(str(shot))
        pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        assert pixels.shape[1] >= 1000
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100, "the screenshot is blank"
        ink = float(np.mean((pixels < 245).any(axis=-1)))
        assert 0.03 < ink < 0.9, f"{ink:.1%} of the page is not white"
        accent = (np.abs(pixels - np.array([31, 95, 168])) <= 10).all(axis=-1).sum()
        assert accent > 100, "the response curves were not painted"
        # the print view lists the plan as text and hides the controls
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not page.find("slider-0").is_displayed()
        assert not page.find("reset").is_displayed()
        assert page.find("print-0").text.startswith("EUR ")
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
        print(f"\nbrowser: largest |page - shift| {page.worst:.1e} x E[L_c(1)]")
    finally:
        browser.quit()
