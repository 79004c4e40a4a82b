"""mmmkit.report_text: the report's glossary and style sheet (plain data)."""

from __future__ import annotations

from mmmkit.report_text import CSS, GLOSSARY


def test_glossary_entries_name_the_target():
    terms = [term for term, _ in GLOSSARY]
    assert len(terms) == len(set(terms))
    for term in ("ROAS (return on ad spend)", "Marginal ROAS", "Credible interval"):
        assert term in terms
    for _, text in GLOSSARY:
        assert "{" not in text.format(t="sales")  # only the {t} placeholder


def test_style_sheet_loads_nothing():
    assert "url(" not in CSS and "@import" not in CSS
    assert ".badge.green" in CSS and "@media print" in CSS
