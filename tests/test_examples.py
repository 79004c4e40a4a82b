"""Every example script runs end to end (on reduced draws, MMMKIT_FAST=1), so none can rot.

Story scripts (those in the ``# %%`` cell format) are run as notebooks by
tests/test_notebooks.py, which also proves each notebook holds its script's code; running
them here as well would only fit the same models twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _is_story(path: Path) -> bool:
    with path.open(encoding="utf-8") as fh:
        return fh.readline().startswith("# %%")


EXAMPLES = [p for p in sorted((ROOT / "examples").glob("*.py")) if not _is_story(p)]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script):
    env = {**os.environ, "MMMKIT_FAST": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ROAS" in done.stdout or "roas" in done.stdout.lower()
