"""Known-truth recovery on a process mmmkit did not write (benchmarks/recovery/dgps.py).

Its own file so that the suite's two workers share the recovery fits (a file runs on one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mmmkit import scenarios

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "recovery"))
import dgps  # the processes, written without mmmkit
import run_zoo

pytestmark = pytest.mark.slow


def _zoo_fit(ds):
    """Fit a zoo data set as an analyst would, from its plain-data model arguments."""
    model = run_zoo.build_model(ds.model_kwargs)
    model.fit(ds.data, seed=1, progress=False)
    table = model.roas(prob=0.9)
    table["truth"] = [ds.truth["channels"][ch]["roas"] for ch in table.index]
    table["error"] = table["mean"] / table["truth"] - 1
    table["covered"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
    print(table.round(3))
    return model, table


def test_process_mmmkit_did_not_write_is_recovered():
    """PyMC-Marketing's published example process (logistic curves, two event controls, trend
    and seasonality; benchmarks/recovery/dgps.py, no mmmkit code): both ROAS within 10% and
    covered, the stated reallocation's true lift inside its 90% interval (zoo run: +1% and
    +4%, lift covered)."""
    ds = dgps.pymc_marketing_example(seed=0)
    model, table = _zoo_fit(ds)
    assert model.diagnostics()["divergences"] == 0
    assert (table["error"].abs() < 0.10).all() and table["covered"].all(), table
    move = ds.truth["reallocation"]
    lift = scenarios.move(model, move["amount"], move["from"], move["to"]).summary(0.9)
    assert lift.loc["total", "lower"] <= move["lift"] <= lift.loc["total", "upper"], lift
