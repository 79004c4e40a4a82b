"""The notebooks in notebooks/ are their example scripts, and they run without error.

Each story lives once, as ``examples/<name>.py`` in the percent cell format;
``scripts/build_notebooks.py`` turns it into ``notebooks/<name>.ipynb``. So:

* a notebook whose cells differ from its script's is stale, and fails here (rebuild it with
  ``python scripts/build_notebooks.py``); equal cells make running the scripts separately
  redundant;
* every notebook is executed in a real Jupyter kernel on reduced draws (``MMMKIT_FAST=1``)
  and must raise no error and display its figures.

The notebooks run one after another in one kernel, its namespace cleared between them: a
model specification already compiled by an earlier notebook (stories 01 and 03 share one) is
then reused, as in one Jupyter session, which saves a numba compile of 25-90 s.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks",
                                                  ROOT / "scripts" / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _builder()
STORIES = builder.story_scripts()
IDS = [p.stem for p in STORIES]


def test_every_story_has_its_notebook_and_no_notebook_is_orphaned():
    assert STORIES, "no story scripts found in examples/"
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks == IDS, "every notebook needs its script in examples/ and vice versa"


@pytest.mark.parametrize("script", STORIES, ids=IDS)
def test_notebook_is_its_script(script):
    committed = nbformat.read(builder.notebook_path(script), as_version=4)
    nbformat.validate(committed)
    assert builder.cell_sources(committed) == builder.cell_sources(builder.build(script)), (
        f"{builder.notebook_path(script).name} is stale: run python scripts/build_notebooks.py")


def test_parse_cells_keeps_code_and_narrative_apart():
    text = "# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n\n# %%\n# a comment\ny = x\n"
    assert builder.parse_cells(text) == [
        ("markdown", "# Title\n\ntext"), ("code", "x = 1"), ("code", "# a comment\ny = x")]
    with pytest.raises(ValueError, match="before the first"):
        builder.parse_cells("import os\n# %%\nx = 1\n")
    with pytest.raises(ValueError, match="comment lines only"):
        builder.parse_cells("# %% [markdown]\nnot a comment\n")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel running this interpreter (the venv's), shared by the notebooks."""
    km = builder.kernel_manager(tmp_path_factory.mktemp("kernelspec"))
    yield km
    if km.has_kernel:
        km.shutdown_kernel(now=True)


def _texts(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


def test_kernel_is_this_interpreter(kernel, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys\nprint(sys.executable)\nprint(os.environ.get('MMMKIT_FAST'))")])
    builder.execute(nb, kernel, cwd=tmp_path, fast=True, timeout=120)
    assert _texts(nb).split() == [sys.executable, "1"]


@pytest.mark.slow
@pytest.mark.parametrize("script", STORIES, ids=IDS)
def test_notebook_runs(script, kernel, tmp_path):
    nb = builder.build(script)
    # raises nbclient's CellExecutionError, with the cell and traceback, on any error
    builder.execute(nb, kernel, cwd=tmp_path, fast=True, timeout=900)
    kinds = [o.get("output_type") for cell in nb.cells for o in cell.get("outputs", [])]
    assert "error" not in kinds
    images = [o for cell in nb.cells for o in cell.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, "the notebook's figures were not displayed as images"
    assert "ROAS" in _texts(nb)
