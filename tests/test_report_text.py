"""mmmkit.report_text: the report's fixed sentences, glossary and style sheet (plain data)."""

from __future__ import annotations

from mmmkit.report_text import (
    CSS,
    DIVERGENCE_TEXT,
    ESS_TEXT,
    FIT_TEXT,
    GLOSSARY,
    GLOSSARY_NOT_REVENUE,
    GLOSSARY_REVENUE,
    R_HAT_TEXT,
    SUMMARY_HEALTH,
)


def test_glossary_entries_name_the_units():
    terms = [term for term, _ in GLOSSARY]
    assert len(terms) == len(set(terms))
    for term in ("ROAS (return on ad spend)", "Marginal ROAS", "Credible interval"):
        assert term in terms
    words = {"t": "conversions", "c": "EUR", "one": "conversion"}
    for term, text in GLOSSARY + GLOSSARY_REVENUE + GLOSSARY_NOT_REVENUE:
        # only the {t}, {c} and {one} placeholders
        assert "{" not in term.format(**words) and "{" not in text.format(**words)


def test_break_even_is_only_in_the_revenue_entries():
    """ROAS 1 is break-even only for a revenue KPI: the shared entries never say it is."""
    shared = " ".join(text for _, text in GLOSSARY)
    assert "break-even" not in shared.lower() and "above 1" not in shared.lower()
    assert [term for term, _ in GLOSSARY_REVENUE] == ["Break-even"]
    assert "ROAS of 1" in GLOSSARY_REVENUE[0][1]
    assert [term.format(one="conversion") for term, _ in GLOSSARY_NOT_REVENUE] == [
        "Cost per conversion"]


def test_health_sentences():
    assert set(SUMMARY_HEALTH) == {"green", "amber", "red"}
    for table in (R_HAT_TEXT, FIT_TEXT, ESS_TEXT):
        assert table[True][1] == "Nothing to do." and table[False][1] != "Nothing to do."
    assert "{" not in ESS_TEXT[False][0].format(where="centre")
    assert DIVERGENCE_TEXT["green"][1] == "Nothing to do."
    assert DIVERGENCE_TEXT["red"][1].startswith(DIVERGENCE_TEXT["amber"][1])
    assert "Do not use the numbers" in DIVERGENCE_TEXT["red"][1]


def test_style_sheet_loads_nothing():
    assert "url(" not in CSS and "@import" not in CSS
    assert ".badge.green" in CSS and "@media print" in CSS
