"""Sampler health in numbers and in words (:mod:`mmmkit.diagnostics`)."""

from __future__ import annotations

import pandas as pd

from mmmkit.diagnostics import convergence_warnings, summarize_diagnostics


def test_convergence_warnings_are_plain_words():
    bad = pd.Series({"divergences": 12, "max_r_hat": 1.08, "min_ess_bulk": 95.0,
                     "min_ess_tail": 80.0, "draws": 4000})
    messages = convergence_warnings(bad)
    assert len(messages) == 3
    assert "12 of 4000" in messages[0] and "target_accept" in messages[0]
    assert "r-hat 1.080" in messages[1] and "longer" in messages[1]
    assert "ESS 95" in messages[2]
    good = pd.Series({"divergences": 0, "max_r_hat": 1.002, "min_ess_bulk": 900.0,
                      "min_ess_tail": 800.0, "draws": 4000})
    assert convergence_warnings(good) == []


def _idata(posterior: dict, diverging):
    import arviz as az
    import numpy as np
    import xarray as xr

    chains, draws = np.shape(diverging)
    coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
    post = xr.Dataset({k: (("chain", "draw"), v) for k, v in posterior.items()}, coords=coords)
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.asarray(diverging))}, coords=coords)
    return az.InferenceData(posterior=post, sample_stats=stats)


def test_summary_counts_divergences_and_finds_the_worst_variable():
    import numpy as np

    rng = np.random.default_rng(0)
    good = rng.normal(size=(4, 500))
    stuck = good + np.array([0.0, 0.0, 0.0, 3.0])[:, None]  # one chain elsewhere
    diverging = np.zeros((4, 500), dtype=bool)
    diverging[1, :7] = True
    diag = summarize_diagnostics(_idata({"a": good, "b": stuck}, diverging))
    assert diag["divergences"] == 7 and diag["draws"] == 2000
    assert diag["max_r_hat"] > 1.3  # from b
    assert 1000 < summarize_diagnostics(_idata({"a": good}, diverging))["min_ess_bulk"] < 3000
    # one chain: r-hat cannot be computed and is NaN, not a pass
    assert np.isnan(summarize_diagnostics(_idata({"a": good[:1]}, diverging[:1]))["max_r_hat"])
    words = convergence_warnings(diag)
    assert any("7 of 2000" in w for w in words) and any("r-hat" in w for w in words)
