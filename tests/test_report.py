"""mmmkit.report: one self-contained HTML file with the headline numbers, charts and checks.

Uses the session-fitted models of conftest.py; each report is written once per module.
The browser test renders the page with headless Chromium when it is installed (Debian package
``chromium``; CI installs it) and skips otherwise.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import plots, scenarios
from mmmkit.report import headline_table, health_checks, write_report
from mmmkit.review import Review

IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=['\"]([^'\"]*)['\"]", re.IGNORECASE)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


#: a review as mmmkit.review.review returns it, with one hand-written finding
REVIEW = Review(
    flags=pd.DataFrame({"severity": ["warning"], "topic": ["collinearity"],
                        "channel": ["tv, search"], "message": ["tv and search move together"],
                        "what_to_do": ["vary one of them on its own"], "value": [0.9]}),
    checks=pd.DataFrame(index=pd.Index(["tv", "search"], name="channel")))


def _plan_and_scenario(model):
    """A budget plan and a scenario from mmmkit.scenarios."""
    spend = plots.actual_spend(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = scenarios.optimize_budget(model, budget=float(spend.sum()))
        shifted = scenarios.shift(model, {"search": -0.10, "social": +0.10})
    return plan, {"search -10%": shifted}


@pytest.fixture(scope="module")
def national_report(national_fit, tmp_path_factory):
    model = national_fit
    plan, scenario = _plan_and_scenario(model)
    path = tmp_path_factory.mktemp("report") / "sub" / "national.html"
    # a Review computed beforehand is shown as it is (not computed again)
    return write_report(model, path, title="Q4 media review", plan=plan, scenario=scenario,
                        currency="EUR", review=REVIEW)


@pytest.fixture(scope="module")
def panel_report(panel_fit, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "panel.html"
    return write_report(panel_fit, path, prob=0.8)  # runs mmmkit.review.review itself


def _row(page: str, name: str) -> str:
    """The HTML of the headline table row of ``name``."""
    start = page.index(f"<th scope='row'>{name}</th>", page.index("id='headline'"))
    return page[start: page.index("</tr>", start)]


# -- content ---------------------------------------------------------------------------------
def test_report_is_written(national_report):
    assert isinstance(national_report, Path) and national_report.is_file()
    page = national_report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page
    assert "<title>Q4 media review</title>" in page
    for anchor in ("summary", "headline", "health", "charts", "plan", "scenario", "review",
                   "appendix", "glossary"):
        assert f"id='{anchor}'" in page
    for term in ("ROAS (return on ad spend)", "Marginal ROAS", "Adstock", "Saturation",
                 "Credible interval", "Contribution", "Baseline"):
        assert f"<dt>{term}" in page


def test_appendix_states_the_provenance(national_fit, national_report):
    """Which data (its fingerprint), settings and versions the numbers came from."""
    page = national_report.read_text(encoding="utf-8")
    assert "<h3>Provenance</h3>" in page
    fingerprint = national_fit.provenance_["data"]["fingerprint"]
    assert fingerprint[:12] in page and html.escape(national_fit.card()) in page


def test_headline_numbers_match_the_model(national_fit, national_report):
    page = national_report.read_text(encoding="utf-8")
    roas = national_fit.roas(prob=0.9)
    mroas = national_fit.roas(prob=0.9, marginal=True)
    contrib = national_fit.contributions().sum("date").mean(("chain", "draw"))
    spend = plots.actual_spend(national_fit)
    for ch in national_fit.channels:
        row = _row(page, ch)
        for table in (roas, mroas):
            assert f"<b>{table.loc[ch, 'mean']:,.2f}</b>" in row
            assert f"{table.loc[ch, 'lower']:,.2f} to {table.loc[ch, 'upper']:,.2f}" in row
        assert f"<b>{float(contrib.sel(channel=ch)):,.0f}</b>" in row
        assert f"EUR {spend[ch]:,.0f}" in row
    assert "," in f"{spend.sum():,.0f}" and f"EUR {spend.sum():,.0f}" in _row(page, "all media")
    assert "90%:" in _row(page, "baseline")
    # sales are not revenue in EUR: ROAS reads "sales per EUR", and the cost per sale is
    # MMM.cpa's, with its interval
    headline = page[page.index("id='headline'"):page.index("id='health'")]
    assert "sales per EUR" in headline and "Cost per sale (EUR)" in headline
    cpa = national_fit.cpa(prob=0.9)
    for ch in national_fit.channels:
        row = _row(page, ch)
        assert f"<b>{cpa.loc[ch, 'mean']:,.2f}</b>" in row
        assert f"{cpa.loc[ch, 'lower']:,.2f} to {cpa.loc[ch, 'upper']:,.2f}" in row


def test_headline_table_numbers(panel_fit):
    table = headline_table(panel_fit, prob=0.8)
    roas = panel_fit.roas(prob=0.8)
    for col in ("mean", "lower", "upper"):
        np.testing.assert_allclose(table.loc[panel_fit.channels, f"roas_{col}"], roas[col])
    contrib = panel_fit.contributions().sum(("date", "geo")).mean(("chain", "draw"))
    np.testing.assert_allclose(table.loc[panel_fit.channels, "contribution_mean"],
                               contrib.sel(channel=panel_fit.channels))
    # ROAS counts carryover after the period, so it is never below contribution / spend
    ch = table.loc[panel_fit.channels]
    assert (ch["roas_mean"] * ch["spend"] >= ch["contribution_mean"] * (1 - 1e-9)).all()
    total = float(panel_fit.data_.target.sum())
    assert table.loc["all media", "share_mean"] + table.loc["baseline", "share_mean"] == (
        pytest.approx((table.loc["all media", "contribution_mean"]
                       + table.loc["baseline", "contribution_mean"]) / total))
    assert table.loc["all media", "spend"] == pytest.approx(ch["spend"].sum())
    assert np.isnan(table.loc["baseline", "roas_mean"])
    # cost per KPI unit: the channels' MMM.cpa; all media's is the inverse of its ROAS per draw
    cpa = panel_fit.cpa(prob=0.8)
    for col in ("mean", "lower", "upper"):
        np.testing.assert_allclose(table.loc[panel_fit.channels, f"cpa_{col}"], cpa[col])
    roas_all = table.loc["all media", ["roas_lower", "roas_upper"]].to_numpy()
    np.testing.assert_allclose(table.loc["all media", ["cpa_upper", "cpa_lower"]].to_numpy(),
                               1 / roas_all, rtol=1e-6)
    assert np.isnan(table.loc["baseline", "cpa_mean"])


def test_optional_sections(national_report, panel_report):
    page = national_report.read_text(encoding="utf-8")
    assert "tv and search move together" in page  # the Review passed in
    assert "search -10%" in page and "Expected change in sales with this plan" in page
    panel = panel_report.read_text(encoding="utf-8")
    assert "id='plan'" not in panel and "id='scenario'" not in panel
    assert "80%:" in panel and "90%:" not in panel  # the chosen interval level throughout
    assert "currency units" in panel
    assert "id='review'" in panel  # mmmkit.review.review(model), run by the report


def test_report_tables_use_words(national_fit, national_report):
    """Headers are words, not the DataFrames' identifiers; the split's reading is shown."""
    page = national_report.read_text(encoding="utf-8")
    plan = page[page.index("id='plan'"):page.index("id='scenario'")]
    for header in ("Actual spend", "Share (actual)", "Planned spend", "Spend change", "Mean",
                   "Median", "90% interval, low", "90% interval, high", "Chance of an increase",
                   "At lower bound (share of draws)", "At upper bound (share of draws)",
                   "Reading"):
        assert f"<th>{header}</th>" in plan, header
    scenario = page[page.index("id='scenario'"):page.index("id='review'")]
    assert "<th>Chance of an increase</th>" in scenario and "<th>Spend change</th>" in scenario
    for name in ("prob_positive", "spend_change", "at_lower_bound", "at_upper_bound",
                 ">lower<", ">upper<", ">mean<"):
        assert name not in plan + scenario, name


def test_decomposition_is_against_its_reference(national_fit, national_report):
    page = national_report.read_text(encoding="utf-8")
    figure = page[page.index("id='fig-waterfall'"):]
    figure = figure[:figure.index("</figcaption>")]
    assert national_fit.baseline("min").attrs["reference"] in figure
    media = page[page.index("id='fig-media'"):]
    assert media.index("<img") < media.index("</figure>")  # the media-only chart is there
    assert page.index("id='fig-contributions'") < page.index("id='fig-media'")


@pytest.fixture(scope="module")
def unit_reports(revenue_fit, conversions_fit, tmp_path_factory):
    """Two reports of the same draws: revenue in EUR, and conversions bought with EUR (no
    currency= passed: the model's own is used)."""
    folder = tmp_path_factory.mktemp("units")
    return {name: write_report(model, folder / f"{name}.html", review=False).read_text(
        encoding="utf-8") for name, model in (("revenue", revenue_fit),
                                              ("conversions", conversions_fit))}


def test_break_even_only_for_a_revenue_kpi(unit_reports, revenue_fit):
    revenue, conversions = unit_reports["revenue"], unit_reports["conversions"]
    assert "<dt>Break-even</dt>" in revenue and "Cost per" not in revenue
    assert "the dashed line marks break-even" in revenue
    assert "The dashed red line marks break-even" in revenue
    assert "EUR per EUR" in revenue and "returns less than it costs" in revenue
    for words in ("<dt>Break-even</dt>", "marks break-even", "returns less than it costs",
                  "more than it costs", "pay for itself"):
        assert words not in conversions, words
    assert "a ROAS of 1 is no break-even" in conversions
    assert "<dt>Cost per conversion</dt>" in conversions
    headline = conversions[conversions.index("id='headline'"):conversions.index("id='health'")]
    assert "Cost per conversion (EUR)" in headline and "conversions per EUR" in headline
    assert "conversions in the period" in headline
    assert f"EUR {plots.actual_spend(revenue_fit)['tv']:,.0f}" in headline  # model.currency
    assert "Media cost <b>" in conversions and "EUR per conversion" in conversions


def test_health_verdicts(national_fit, monkeypatch):
    checks = health_checks(national_fit)
    assert list(checks.index) == ["divergences", "r_hat", "ess_bulk", "ess_tail", "fit"]
    assert set(checks["verdict"]) <= {"green", "amber", "red"}
    bad = pd.Series({"divergences": 40, "max_r_hat": 1.2, "min_ess_bulk": 50.0,
                     "min_ess_tail": 150.0, "draws": 600})
    monkeypatch.setattr(national_fit, "diagnostics", lambda: bad)
    checks = health_checks(national_fit)
    assert checks.loc["divergences", "verdict"] == "red"
    assert checks.loc["r_hat", "verdict"] == "red"
    assert checks.loc["ess_bulk", "verdict"] == "red"
    assert checks.loc["ess_tail", "verdict"] == "amber"
    assert "target_accept" in checks.loc["divergences", "action"]
    good = pd.Series({"divergences": 0, "max_r_hat": 1.002, "min_ess_bulk": 900.0,
                      "min_ess_tail": 800.0, "draws": 4000})
    monkeypatch.setattr(national_fit, "diagnostics", lambda: good)
    checks = health_checks(national_fit)
    assert (checks.loc[["divergences", "r_hat", "ess_bulk", "ess_tail"], "verdict"]
            == "green").all()


def test_prob_is_keyword_only_and_review_is_a_review(national_fit, tmp_path):
    with pytest.raises(TypeError):
        headline_table(national_fit, 0.8)
    with pytest.raises(TypeError):
        health_checks(national_fit, 0.8)
    with pytest.raises(TypeError):
        write_report(national_fit, tmp_path / "r.html", None, None, None, 0.8)
    with pytest.raises(TypeError, match=r"mmmkit\.review\.Review"):
        write_report(national_fit, tmp_path / "r.html", review=REVIEW.flags)
    assert not (tmp_path / "r.html").exists()


def test_unfitted_model_raises(national_sim, tmp_path):
    with pytest.raises(mk.NotFittedError):
        write_report(mk.MMM(**national_sim.model_kwargs()), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# -- self-contained --------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["national_report", "panel_report"])
def test_no_network_and_no_script(request, which):
    page = request.getfixturevalue(which).read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    for attr, value in re.findall(r"\b(src|href)\s*=\s*['\"]([^'\"]*)['\"]", page):
        if attr == "src":
            assert value.startswith("data:image/png;base64,")
        else:
            assert value.startswith("#"), value  # in-page links only
            assert f"id='{value[1:]}'" in page


@pytest.mark.parametrize("which, n_images", [("national_report", 10), ("panel_report", 10)])
def test_images_are_inline_pngs(request, which, n_images):
    page = request.getfixturevalue(which).read_text(encoding="utf-8")
    sources = IMG_SRC.findall(page)
    assert len(sources) == page.lower().count("<img") == n_images
    for src in sources:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        png = base64.b64decode(src[len(prefix):], validate=True)
        assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 300 and height > 150


# -- a real browser --------------------------------------------------------------------------
def _chromium() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=180,
                          check=False)


def test_renders_in_headless_chromium(national_report, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); the "
                    "headless-browser check of the report needs it")
    from PIL import Image

    url = national_report.resolve().as_uri()
    shot = tmp_path / "report.png"
    run = _run_chromium(binary, tmp_path / "profile1", f"--screenshot={shot}",
                        "--window-size=1280,4000", url)
    assert shot.is_file(), run.stderr[-2000:]
    dom = _run_chromium(binary, tmp_path / "profile2", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]

    # the parsed page keeps every chart as an inline PNG, and the text the readers need
    page = national_report.read_text(encoding="utf-8")
    dom_sources = IMG_SRC.findall(dom.stdout)
    assert len(dom_sources) == len(IMG_SRC.findall(page)) == 10
    assert all(s.startswith("data:image/png;base64,") for s in dom_sources)
    assert "Headline numbers by channel" in dom.stdout and "Glossary" in dom.stdout

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[:2] == (4000, 1280)
    n_colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert n_colours > 200, "the screenshot is (nearly) blank"
    ink = float(np.mean((pixels < 245).any(axis=-1)))
    assert 0.05 < ink < 0.9, f"{ink:.1%} of the page is not white"
    # chart colours (matplotlib's tab10 orange and green, used by no CSS rule) prove that
    # the images themselves were decoded and painted, not just the text around them
    for rgb in ((255, 127, 14), (44, 160, 44)):
        near = (np.abs(pixels - np.array(rgb)) <= 12).all(axis=-1).sum()
        assert near > 500, f"chart colour {rgb} not painted ({near} pixels)"


def test_report_says_where_plans_sit_at_limits_or_leave_the_data(national_fit, tmp_path):
    from mmmkit import scenarios

    hist = float(plots.actual_spend(national_fit)["tv"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = scenarios.optimize_budget(national_fit, bounds={"tv": (1.2 * hist, 1.2 * hist)},
                                         n_uncertainty=0)
        up = scenarios.shift(national_fit, {"tv": 0.5})
    assert "tv" in plan.binding and up.extrapolates == ["tv"]
    out = write_report(national_fit, tmp_path / "r.html", plan=plan, scenario={"tv +50%": up},
                       review=False)
    text = Path(out).read_text()
    assert "id='review'" not in text and "href='#review'" not in text
    assert "sits at limits: tv at its lower bound" in text
    assert "beyond the data" in text and "tv (highest week 1.50x the highest fitted week" in text
