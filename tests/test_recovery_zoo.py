"""The recovery zoo's generators (benchmarks/recovery/dgps.py): independence from mmmkit,
determinism, well-formed data and a self-consistent truth. No fits: these run in seconds."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DGPS = ROOT / "benchmarks" / "recovery" / "dgps.py"
PYMC_CSV = ROOT / "src" / "mmmkit" / "datasets" / "data" / "pymc_marketing" / "mmm_example.csv"
ADSTOCKS = {"geometric", "delayed", "weibull"}
SATURATIONS = {"hill", "logistic", "michaelis_menten"}


def _load_dgps():
    spec = importlib.util.spec_from_file_location("zoo_dgps", DGPS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["zoo_dgps"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


dgps = _load_dgps()


@pytest.fixture(scope="module")
def zoo():
    return dgps.build_all(seed=0)


@pytest.fixture(scope="module", params=sorted(dgps.ZOO))
def ds(request, zoo):
    return zoo[request.param]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


# -- independence ------------------------------------------------------------------------------
def test_dgps_imports_no_mmmkit():
    tree = ast.parse(DGPS.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    assert names, "parsed no imports at all"
    assert not [n for n in names if n == "mmmkit" or n.startswith("mmmkit.")]
    allowed = {"__future__", "functools", "zlib", "collections", "dataclasses", "typing",
               "numpy", "pandas", "scipy"}
    assert {n.split(".")[0] for n in names} <= allowed


# -- determinism -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(dgps.ZOO))
def test_deterministic_given_seed(name, zoo):
    again = dgps.ZOO[name](seed=0)
    pd.testing.assert_frame_equal(again.data, zoo[name].data)
    assert json.dumps(again.truth, sort_keys=True) == json.dumps(zoo[name].truth, sort_keys=True)
    other = dgps.ZOO[name](seed=1)
    assert not np.allclose(other.data["y"].to_numpy(), again.data["y"].to_numpy())


# -- the data ----------------------------------------------------------------------------------
def test_data_well_formed(ds):
    kw = ds.model_kwargs
    df = ds.data
    cols = ["date", *(["geo"] if kw["geo"] else []), "y", *kw["channels"], *(kw["controls"] or [])]
    assert list(df.columns) == cols
    assert not df.isna().any().any()
    assert (df[kw["channels"]] >= 0).all().all()
    assert (df[kw["channels"]] > 0).any().all()  # every channel spends
    groups = df.groupby("geo") if kw["geo"] else [("all", df)]
    week_sets = set()
    for _, part in groups:
        dates = pd.DatetimeIndex(part["date"])
        assert dates.is_monotonic_increasing
        assert (dates.day_of_week == 0).all()  # Mondays
        assert (np.diff(dates.values).astype("timedelta64[D]") == np.timedelta64(7, "D")).all()
        week_sets.add(tuple(dates))
    assert len(week_sets) == 1  # a balanced panel
    for control in kw["controls"] or []:
        assert df[control].nunique() > 1


def test_model_kwargs_are_plain_data(ds):
    kw = ds.model_kwargs
    json.dumps(kw)  # strings, numbers, lists, dicts only
    assert set(kw) == {"date", "target", "channels", "geo", "controls", "adstock",
                       "saturation", "seasonality", "trend"}
    assert kw["adstock"][0] in ADSTOCKS and kw["saturation"][0] in SATURATIONS
    assert kw["channels"] == ds.channels


def test_magnitudes_are_realistic(ds):
    truth = ds.truth
    assert 0.04 <= truth["media_share"] <= 0.45
    assert 0.03 <= truth["noise_cv"] <= 0.10
    # the noise in y is what the truth says it is
    resid = ds.data.sort_values(["geo", "date"] if ds.is_panel else ["date"])["y"].to_numpy()
    resid = resid.reshape(ds.baseline.shape) - ds.expected_kpi()[:, : ds.baseline.shape[1]]
    cv = (resid.std(axis=1) / ds.expected_kpi()[:, : ds.baseline.shape[1]].mean(axis=1)).mean()
    assert 0.7 * truth["noise_cv"] < cv < 1.3 * truth["noise_cv"]
    if ds.name != "pymc_marketing_example":  # its source's spend is max-scaled (0..1)
        # weekly spend of a channel (per geo) in thousands to hundreds of thousands
        active = ds.spend[ds.spend > 0]
        assert np.median(active) >= 1e3 and active.max() <= 1e6


def test_zoo_covers_the_brief(zoo):
    with_controls = [n for n, d in zoo.items() if d.model_kwargs["controls"]]
    without = [n for n, d in zoo.items() if not d.model_kwargs["controls"]]
    assert len(with_controls) >= 3 and without
    assert any(d.truth["media_share"] <= 0.10 for d in zoo.values())
    assert len(zoo["jin2017_104"].data) == 104 and len(zoo["jin2017_156"].data) == 156
    assert len(zoo["always_on_104"].data) == 104 and len(zoo["always_on"].data) == 156
    assert zoo["jin2017_104"].model_kwargs["adstock"] == ("delayed", {"max_lag": 13})
    for name in ("out_of_family_carryover", "out_of_family_curve"):
        assert zoo[name].model_kwargs["adstock"][0] == "geometric"
        assert zoo[name].model_kwargs["saturation"][0] == "hill"


def test_geo_panel_population_spread(zoo):
    ds = zoo["geo_pop_spread"]
    pop = np.array(list(ds.truth["params"]["population"].values()))
    assert pop.max() / pop.min() == pytest.approx(20.0)
    assert len(pop) >= 20 and ds.baseline.shape[1] >= 104
    # spend and KPI scale with population
    spend = ds.spend.sum(axis=(1, 2))
    kpi = ds.data.groupby("geo")["y"].sum().to_numpy()
    assert np.corrcoef(np.log(pop), np.log(spend))[0, 1] > 0.9
    assert np.corrcoef(np.log(pop), np.log(kpi))[0, 1] > 0.9


def test_always_on_and_lockstep_patterns(zoo):
    ds = zoo["always_on"]
    never_off = [ch for c, ch in enumerate(ds.channels) if (ds.spend[0, :, c] > 0).all()]
    assert len(never_off) >= 2 and "search" in never_off
    flighted = [ch for c, ch in enumerate(ds.channels) if (ds.spend[0, :, c] == 0).any()]
    assert flighted
    # search follows the yearly season: its spend correlates with the baseline's season
    season = dgps.seasonal_index(pd.DatetimeIndex(ds.data["date"]))
    assert np.corrcoef(ds.spend[0, :, ds.channels.index("search")], season)[0, 1] > 0.5
    lock = zoo["lockstep"]
    fb, ig = (lock.spend[0, :, lock.channels.index(c)] for c in ("facebook", "instagram"))
    assert np.corrcoef(fb, ig)[0, 1] > 0.9


def test_pymc_marketing_example_reproduces_published_csv(zoo):
    if not PYMC_CSV.exists():
        pytest.skip("the bundled copy of PyMC-Marketing's CSV is not in this checkout")
    csv = pd.read_csv(PYMC_CSV, parse_dates=["date_week"])
    ds = zoo["pymc_marketing_example"]
    assert (csv["date_week"].to_numpy() == ds.data["date"].to_numpy()).all()
    for col in ("x1", "x2", "event_1", "event_2"):
        np.testing.assert_allclose(ds.data[col], csv[col], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.data["y"], csv["y"], rtol=1e-12, atol=1e-9)


# -- the truth ---------------------------------------------------------------------------------
def test_roas_mroas_contribution_are_counterfactuals(ds):
    spend = ds.spend_of(ds.data)  # from the frame, not the stored array
    np.testing.assert_array_equal(spend, ds.spend)
    actual = ds.expected_kpi(spend).sum()
    T = ds.baseline.shape[1]
    media_in_period = ds.expected_kpi(spend)[:, :T].sum() - ds.baseline.sum()
    contributions = 0.0
    for c, ch in enumerate(ds.channels):
        t = ds.truth["channels"][ch]
        assert t["spend"] == pytest.approx(spend[..., c].sum(), rel=1e-12)
        off = spend.copy()
        off[..., c] = 0.0
        assert _rel(t["roas"] * t["spend"], actual - ds.expected_kpi(off).sum()) < 1e-9
        up = spend.copy()
        up[..., c] *= 1.01
        assert _rel(t["mroas"] * 0.01 * t["spend"], ds.expected_kpi(up).sum() - actual) < 1e-8
        assert t["roas"] > 0 and t["mroas"] > 0
        # without the carryover tail the counterfactual is the channel's in-period term
        in_period = ds.expected_kpi(spend)[:, :T].sum() - ds.expected_kpi(off)[:, :T].sum()
        assert _rel(t["contribution"], in_period) < 1e-9
        assert t["contribution"] <= t["roas"] * t["spend"] * (1 + 1e-12)
        contributions += t["contribution"]
    assert _rel(contributions, media_in_period) < 1e-9  # additive: the terms add up


def test_reallocation_lift_is_recomputed_kpi_difference(ds):
    move = ds.truth["reallocation"]
    assert move["from"] != move["to"] and 0 < move["share"] < 1
    moved = ds.data.copy()
    src_total = moved[move["from"]].sum()
    amount = move["share"] * src_total
    assert move["amount"] == pytest.approx(amount, rel=1e-12)
    dst_total = moved[move["to"]].sum()
    moved[move["from"]] *= 1 - amount / src_total
    moved[move["to"]] *= 1 + amount / dst_total
    assert moved[ds.channels].to_numpy().sum() == pytest.approx(
        ds.data[ds.channels].to_numpy().sum(), rel=1e-12)  # budget-neutral
    lift = ds.expected_kpi(ds.spend_of(moved)).sum() - ds.expected_kpi().sum()
    assert abs(move["lift"] - lift) <= 1e-9 * ds.expected_kpi().sum()
    alloc = {ch: moved[ch].sum() for ch in ds.channels}
    assert abs(ds.true_lift(alloc) - lift) <= 1e-9 * ds.expected_kpi().sum()


def test_optimum_beats_history_and_random_splits(ds):
    opt = ds.truth["optimum"]
    budget = ds.truth["budget"]
    assert set(opt) == set(ds.channels)
    assert min(opt.values()) >= 0 and sum(opt.values()) == pytest.approx(budget, rel=1e-9)
    assert ds.true_lift(opt) == pytest.approx(ds.truth["optimum_lift"], rel=1e-9)
    assert ds.truth["optimum_lift"] >= 0.0  # history itself is a feasible split (lift 0)
    assert ds.true_lift(ds.truth["historical"]) == pytest.approx(0.0, abs=1e-6 * budget)
    assert ds.truth["optimum_lift"] >= ds.truth["reallocation"]["lift"]
    rng = np.random.default_rng(11)
    tol = 1e-6 * ds.expected_kpi().sum()
    for shares in rng.dirichlet(np.ones(len(opt)), size=100):
        split = dict(zip(ds.channels, shares * budget, strict=True))
        assert ds.true_lift(split) <= ds.truth["optimum_lift"] + tol
    # corners: everything in one channel
    for ch in ds.channels:
        corner = {c: (budget if c == ch else 0.0) for c in ds.channels}
        assert ds.true_lift(corner) <= ds.truth["optimum_lift"] + tol


def test_true_lift_rejects_incomplete_allocation(zoo):
    ds = zoo["always_on"]
    with pytest.raises(KeyError):
        ds.true_lift({"tv": 1.0})
