"""Every public answer is unchanged by refactoring: today's code on saved draws must give the
numbers recorded in ``tests/golden/expected.json`` (written once by ``make_golden.py``).

The draws are loaded with :meth:`MMM.from_posterior`, so nothing is sampled and the check is
exact up to floating-point reordering (``rtol`` 1e-6; the optimiser's plan 1e-4, since SLSQP
may stop a hair elsewhere when sums are reordered).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import xarray as xr

from golden.golden_cases import CASES, answers

HERE = pathlib.Path(__file__).parent / "golden"
EXPECTED = json.loads((HERE / "expected.json").read_text())


def _leaves(tree, path=""):
    if isinstance(tree, dict):
        for key in sorted(tree):
            yield from _leaves(tree[key], f"{path}/{key}")
    else:
        yield path, np.asarray(tree, dtype=float)


@pytest.mark.parametrize("name", sorted(CASES))
def test_answers_match_the_recorded_ones(name):
    df, model = CASES[name]()
    posterior = xr.load_dataset(HERE / f"{name}_posterior.nc")
    got = dict(_leaves(answers(model.from_posterior(df, posterior, seed=0), df)))
    want = dict(_leaves(EXPECTED[name]))
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        rtol = 1e-4 if key.startswith(("/plan", "/plan_lift")) else 1e-6
        # sums that should be 0 (a plan's total spend change) are 0 up to rounding of the
        # leaf's own magnitude (budgets of 1e6: 1e-9 apart)
        atol = 1e-9 * max(1.0, float(np.nanmax(np.abs(value), initial=0.0)))
        np.testing.assert_allclose(got[key], value, rtol=rtol, atol=atol, err_msg=key)
