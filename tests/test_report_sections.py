"""The report's optional sections, on hand-built results (the fitted path is covered by
tests/test_changes.py and tests/test_report.py)."""

from __future__ import annotations

import re

import pandas as pd

from mmmkit.changes import DataChanges, ModelChanges
from mmmkit.report_sections import changes_section


def _changes(revised_rows=()):
    channels = pd.DataFrame({
        "roas_old": [2.0, 0.5], "roas_old_lower": [1.5, 0.3], "roas_old_upper": [2.5, 0.7],
        "roas_new": [3.0, 0.52], "roas_new_lower": [2.6, 0.33], "roas_new_upper": [3.4, 0.71],
        "change": [1.0, 0.02], "change_lower": [0.4, -0.2], "change_upper": [1.6, 0.25],
        "prob_increase": [0.99, 0.55], "moved": ["up", "unclear"],
        "mroas_old": [1.2, 0.4], "mroas_old_lower": [1.0, 0.2], "mroas_old_upper": [1.4, 0.6],
        "mroas_new": [1.8, 0.41], "mroas_new_lower": [1.5, 0.2], "mroas_new_upper": [2.1, 0.6],
        "mroas_prob_increase": [0.98, 0.5]}, index=pd.Index(["tv", "search"], name="channel"))
    split = pd.DataFrame({"old": [600.0, 400.0], "new": [700.0, 300.0],
                          "change": [100.0, -100.0], "old_share": [0.6, 0.4],
                          "new_share": [0.7, 0.3], "historical": [500.0, 500.0]},
                         index=pd.Index(["tv", "search"], name="channel"))
    split.attrs.update(budget=1000.0, start=pd.Timestamp("2024-01-01"),
                       end=pd.Timestamp("2024-03-25"), weeks=13, converged=True,
                       binding_old=[], binding_new=["tv"])
    revised = pd.DataFrame(list(revised_rows), columns=["date", "geo", "column", "old", "new"])
    revised["date"] = pd.to_datetime(revised["date"])
    data = DataChanges(weeks_added=pd.date_range("2024-04-01", periods=13, freq="7D"),
                       weeks_removed=pd.DatetimeIndex([]), geos_added=[], geos_removed=[],
                       columns_added=[], columns_removed=[], revised=revised)
    return ModelChanges(channels=channels, split=split, data=data, old_plan=None,
                        new_plan=None, prob=0.9, kpi_label="EUR", spend_label="EUR")


def test_the_section_shows_each_channel_before_and_after_with_its_interval():
    html = changes_section(_changes(), prob=0.9, currency="EUR")
    tv = re.search(r"<th scope='row'>tv</th>(.*?)</tr>", html).group(1)
    assert "<b>2.00</b><br><span class='ci'>1.50 to 2.50</span>" in tv
    assert "<b>3.00</b><br><span class='ci'>2.60 to 3.40</span>" in tv
    assert "<b>+1.00</b>" in tv and "+0.40 to +1.60" in tv and "99%" in tv and ">up<" in tv
    search = re.search(r"<th scope='row'>search</th>(.*?)</tr>", html).group(1)
    assert "no clear move" in search and "-0.20 to +0.25" in search
    assert "ROAS in EUR per EUR" in html
    assert "EUR 1,000 over 13 weeks (2024-01-01 to 2024-03-25)" in html
    assert "At a bound of the optimiser" in html  # the summary sentences are there
    assert "Revised history" not in html


def test_revised_history_is_listed_when_there_is_some():
    rows = [("2023-05-01", "all", "sales", 100.0, 110.0)]
    html = changes_section(_changes(rows), prob=0.9, currency=None)
    assert "Revised history" in html and "1 value(s)" in html and "110" in html
