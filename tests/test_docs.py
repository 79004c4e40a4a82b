"""The API reference in the repository is complete: the contract and every addition."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rows(text: str, heading: str) -> list[str]:
    part = text[text.index(heading):]
    part = part[: part.find("\n## ", 5) if "\n## " in part[5:] else len(part)]
    return [line.split("|")[1].strip() for line in part.splitlines()
            if line.startswith("| `")]


def test_every_readme_addition_is_in_the_api_reference():
    readme = (ROOT / "README.md").read_text()
    api = (ROOT / "docs" / "api.md").read_text()
    rows = _rows(readme, "## Additions to the API contract")
    assert len(rows) > 20
    missing = [r for r in rows if r not in api]
    assert not missing, f"add these to docs/api.md: {missing}"


def test_every_public_name_is_documented():
    import mmmkit as mk

    api = (ROOT / "docs" / "api.md").read_text()
    undocumented = [n for n in mk.__all__ if not re.search(rf"\b{re.escape(n)}\b", api)]
    assert not undocumented, f"document these in docs/api.md: {undocumented}"


def test_the_layout_table_lists_every_module():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    modules = sorted(p.name for p in (ROOT / "src" / "mmmkit").glob("*.py")
                     if p.name != "__init__.py")
    missing = [m for m in modules if f"`{m}`" not in layout]
    assert not missing, f"add these modules to the README's Layout table: {missing}"


def test_every_module_has_its_test_file():
    """Tests mirror the package: tests/test_<module>.py for every module (the two private
    helpers _xp and _threads are tested through the transforms and the samplers)."""
    exempt = {"__init__", "_xp", "_threads"}
    modules = [p.stem for p in (ROOT / "src" / "mmmkit").glob("*.py") if p.stem not in exempt]
    missing = sorted(m for m in modules if not (ROOT / "tests" / f"test_{m}.py").exists())
    assert not missing, f"write tests/test_<module>.py for: {missing}"
