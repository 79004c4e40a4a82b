"""Saved plans (:mod:`mmmkit.plan_files`): round trips of budget plans and lifts, atomic saves,
one clear error for every bad file, nothing executed on load."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mmmkit as mk
from mmmkit import scenarios
from mmmkit.plan_files import FORMAT, META_KEY, SavedPlan, load_plan, save_plan


# -- plans of known-truth models (no sampling) ---------------------------------------------------
@pytest.fixture(scope="module")
def geo_plan(geo_truth):
    start = geo_truth.fitted_data().dates[-13]
    return scenarios.optimize_budget(geo_truth, start=start, n_uncertainty=6, seed=1)


@pytest.fixture(scope="module")
def geo_lift(geo_truth):
    return scenarios.shift(geo_truth, {"tv": 0.2})


@pytest.fixture(scope="module")
def plan_source(geo_plan, geo_truth, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "plan.nc"
    save_plan(geo_plan, path, note="Q3 plan, agreed with finance", model=geo_truth)
    return path


@pytest.fixture
def plan_file(plan_source, tmp_path) -> Path:
    """A fresh copy of the saved plan (tests may replace or edit it)."""
    path = tmp_path / "plan.nc"
    shutil.copyfile(plan_source, path)
    return path


def _plan_tables_equal(saved: SavedPlan, plan) -> None:
    for prob in (0.9, 0.5):
        pd.testing.assert_frame_equal(saved.summary(prob), plan.summary(prob))
        assert saved.summary(prob).attrs == plan.summary(prob).attrs
    pd.testing.assert_series_equal(saved.allocation, plan.allocation)
    pd.testing.assert_series_equal(saved.historical, plan.historical)
    pd.testing.assert_frame_equal(saved.allocation_by_geo, plan.allocation_by_geo)
    pd.testing.assert_frame_equal(saved.uncertainty, plan.uncertainty)
    assert saved.uncertainty.attrs == plan.uncertainty.attrs
    pd.testing.assert_frame_equal(saved.bounds, plan.bounds)
    pd.testing.assert_frame_equal(saved.extrapolation, plan.extrapolation)
    xr.testing.assert_identical(saved.weekly_plan, plan.weekly_plan)
    xr.testing.assert_identical(saved.allocation_draws, plan.allocation_draws)
    xr.testing.assert_identical(saved.lift_draws, plan.lift.draws)
    xr.testing.assert_identical(saved.lift.by_week, plan.lift.by_week)
    pd.testing.assert_frame_equal(saved.lift.incremental_roas(), plan.lift.incremental_roas())
    pd.testing.assert_frame_equal(saved.to_frame(), plan.to_frame())
    assert saved.dates.equals(plan.lift.plan_dates)
    assert saved.binding == plan.binding
    for name in ("objective", "risk", "margin", "objective_value", "budget", "converged",
                 "message"):
        assert getattr(saved, name) == getattr(plan, name), name


# -- round trips ---------------------------------------------------------------------------------
def test_a_budget_plan_round_trips_with_the_same_numbers(geo_plan, geo_truth, plan_file):
    saved = load_plan(plan_file)
    assert saved.kind == "budget_plan"
    _plan_tables_equal(saved, geo_plan)
    assert saved.note == "Q3 plan, agreed with finance"
    assert saved.fingerprint == geo_truth.provenance_["data"]["fingerprint"]
    assert saved.model["weeks"] == geo_truth.fitted_data().n_weeks
    assert saved.specification == geo_truth.config()
    assert saved.mmmkit_version and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                                 saved.created_at)
    assert saved.fingerprint[:12] in saved.made_with()
    assert saved.units == geo_plan.lift.units and saved.path == plan_file


def test_a_plan_without_uncertainty_draws_or_model_round_trips(nat_truth, tmp_path):
    plan = scenarios.optimize_budget(nat_truth, fixed=["tv"], n_uncertainty=0)
    path = tmp_path / "national.nc"
    save_plan(plan, path)
    saved = load_plan(path)
    _plan_tables_equal(saved, plan)
    # the plan names its model (BudgetPlan.model), so the file records it without model=
    assert saved.fingerprint == nat_truth.provenance_["data"]["fingerprint"]
    assert saved.note is None and "not recorded" not in saved.made_with()
    assert list(saved.to_frame().columns) == ["date", "tv", "search", "social"]


def test_a_scenario_lift_round_trips(geo_lift, geo_truth, tmp_path):
    path = tmp_path / "lift.nc"
    save_plan(geo_lift, path, model=geo_truth)
    saved = load_plan(path)
    assert saved.kind == "lift" and saved.allocation is None and saved.weekly_plan is None
    for prob in (0.9, 0.8):
        pd.testing.assert_frame_equal(saved.summary(prob), geo_lift.summary(prob))
        assert saved.summary(prob).attrs == geo_lift.summary(prob).attrs
    xr.testing.assert_identical(saved.lift.by_geo, geo_lift.by_geo)
    xr.testing.assert_identical(saved.lift.by_week, geo_lift.by_week)
    pd.testing.assert_frame_equal(saved.lift.incremental_roas(), geo_lift.incremental_roas())
    assert saved.dates.equals(geo_lift.plan_dates)
    assert saved.fingerprint == geo_truth.provenance_["data"]["fingerprint"]
    with pytest.raises(ValueError, match="lift, not a spend plan"):
        saved.to_frame()


def test_saving_replaces_a_file_and_a_failed_save_leaves_it_as_it_was(geo_plan, geo_lift,
                                                                      plan_file, monkeypatch):
    save_plan(geo_lift, plan_file)
    assert load_plan(plan_file).kind == "lift"
    save_plan(geo_plan, plan_file)

    def half_write(self, filename, *args, **kwargs):
        Path(filename).write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(512))
        raise OSError("No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", half_write)
    with pytest.raises(OSError, match="No space"):
        save_plan(geo_lift, plan_file)
    monkeypatch.undo()
    assert load_plan(plan_file).kind == "budget_plan"
    assert [p.name for p in plan_file.parent.iterdir()] == [plan_file.name]  # no temporary


def test_loading_runs_no_pickle_and_the_file_holds_plain_arrays(plan_file, monkeypatch):
    import h5py

    def refuse(*args, **kwargs):
        raise AssertionError("load_plan unpickled something")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    load_plan(plan_file)
    kinds = set()
    with h5py.File(plan_file, "r") as f:
        f.visititems(lambda name, obj: kinds.add(obj.dtype.kind)
                     if isinstance(obj, h5py.Dataset) else None)
        meta = json.loads(f.attrs[META_KEY])
    assert kinds <= set("fiubO")  # numbers, flags and text (variable-length strings)
    assert meta["format"] == FORMAT
    assert b"pickle" not in plan_file.read_bytes()


def test_save_refuses_what_it_cannot_save(geo_plan, geo_sim, tmp_path):
    with pytest.raises(TypeError, match="BudgetPlan"):
        save_plan(geo_plan.allocation, tmp_path / "x.nc")
    with pytest.raises(TypeError, match="note"):
        save_plan(geo_plan, tmp_path / "x.nc", note=3)
    with pytest.raises(ValueError, match="channels"):
        save_plan(geo_plan, tmp_path / "x.nc",
                  model=mk.MMM(date="date", target="sales", channels=["tv"]))
    with pytest.raises(ValueError, match="not fitted"):
        save_plan(geo_plan, tmp_path / "x.nc", model=mk.MMM(**geo_sim.model_kwargs()))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_plan(geo_plan, tmp_path / "no" / "x.nc")
    with pytest.raises(FileNotFoundError):
        load_plan(tmp_path / "missing.nc")
    assert not list(tmp_path.iterdir())


# -- bad files -----------------------------------------------------------------------------------
def _bytes(data: bytes):
    def make(src: Path, tmp: Path) -> Path:
        out = tmp / "bad.nc"
        out.write_bytes(data)
        return out
    return make


def _truncated(src: Path, tmp: Path) -> Path:
    out = tmp / "truncated.nc"
    out.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return out


def _rewrite(edit_ds=None, edit_meta=None):
    """A copy of the plan file with its dataset and/or its JSON metadata edited."""
    def make(src: Path, tmp: Path) -> Path:
        with xr.open_dataset(src, engine="h5netcdf") as ds:
            ds = ds.load()
        meta = json.loads(ds.attrs[META_KEY])
        if edit_meta is not None:
            edit_meta(meta)
        ds.attrs[META_KEY] = json.dumps(meta)
        if edit_ds is not None:
            ds = edit_ds(ds)
        out = tmp / "edited.nc"
        ds.to_netcdf(out, engine="h5netcdf")
        return out
    return make


def _foreign(src: Path, tmp: Path) -> Path:
    out = tmp / "foreign.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(out, engine="h5netcdf")
    return out


def _set(key, value):
    def edit(meta):
        target = meta
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    return edit


def _scaled(name, factor):
    def edit(ds):
        ds[name] = ds[name] * factor
        return ds
    return edit


CORRUPT = {
    "random bytes": _bytes(np.random.default_rng(0).bytes(2048)),
    "empty file": _bytes(b""),
    "a CSV": _bytes(b"date,tv\n2024-01-01,5\n"),
    "truncated": _truncated,
    "a netCDF of something else": _foreign,
    "metadata not JSON": _rewrite(edit_ds=lambda ds: ds.assign_attrs({META_KEY: "{oops"})),
    "another format": _rewrite(edit_meta=_set("format", "mmmkit-model")),
    "a newer version": _rewrite(edit_meta=_set("format_version", 99)),
    "version a bool": _rewrite(edit_meta=_set("format_version", True)),
    "kind unknown": _rewrite(edit_meta=_set("kind", "forecast")),
    "field missing": _rewrite(edit_meta=lambda meta: meta.pop("units")),
    "field unknown": _rewrite(edit_meta=_set("code", "import os")),
    "budget text": _rewrite(edit_meta=_set("plan.budget", "lots")),
    "objective unknown": _rewrite(edit_meta=_set("plan.objective", "max")),
    "converged a number": _rewrite(edit_meta=_set("plan.converged", 1)),
    "note a list": _rewrite(edit_meta=_set("note", ["a"])),
    "fingerprint short": _rewrite(edit_meta=_set("model.fingerprint", "abc")),
    "model weeks text": _rewrite(edit_meta=_set("model.weeks", "many")),
    "array missing": _rewrite(edit_ds=lambda ds: ds.drop_vars("allocation")),
    "lift draws missing": _rewrite(edit_ds=lambda ds: ds.drop_vars("lift_by_geo")),
    "negative allocation": _rewrite(edit_ds=_scaled("allocation", -1.0)),
    "NaN lift draws": _rewrite(edit_ds=_scaled("lift_by_week", np.nan)),
    "array of text": _rewrite(edit_ds=lambda ds: ds.assign(
        historical=("channel", np.array(["a"] * ds.sizes["channel"], dtype=object)))),
    "wrong dimensions": _rewrite(edit_ds=lambda ds: ds.assign(
        allocation_by_geo=ds["allocation_by_geo"].transpose("channel", "geo"))),
}


@pytest.mark.parametrize("corrupt", list(CORRUPT.values()), ids=list(CORRUPT))
def test_a_bad_file_raises_one_clear_error_naming_it(plan_file, tmp_path, corrupt):
    path = corrupt(plan_file, tmp_path)
    with pytest.raises(mk.ModelFileError,
                       match="^" + re.escape(f"not a readable mmmkit plan file: {path}: ")):
        load_plan(path)


def test_the_errors_say_what_is_wrong(plan_file, geo_truth, tmp_path):
    cases = {
        "a newer version": r"version 99, newer than this mmmkit reads",
        "budget text": r"field 'plan.budget' must be a finite number, got 'lots'",
        "field missing": r"missing \['units'\]",
        "kind unknown": r"field 'kind' must be one of \('budget_plan', 'lift'\), got 'forecast'",
        "array missing": r"no 'allocation' array",
        "negative allocation": r"allocation has missing, infinite or negative amounts",
        "wrong dimensions": r"allocation_by_geo has dimensions \('channel', 'geo'\)",
    }
    for name, message in cases.items():
        with pytest.raises(mk.ModelFileError, match=message):
            load_plan(CORRUPT[name](plan_file, tmp_path))
    model_path = tmp_path / "model.mmm"
    geo_truth.save(model_path)
    with pytest.raises(mk.ModelFileError, match=re.escape(
            "model file, not a plan: load it with mmmkit.MMM.load")):
        load_plan(model_path)


def test_a_budget_plan_names_its_model_so_the_file_records_it_without_model_arg(
        national_fit, tmp_path):
    from mmmkit.optimize import optimize_budget

    plan = optimize_budget(national_fit, n_uncertainty=0, n_starts=1)
    assert plan.model is national_fit
    path = tmp_path / "plan.nc"
    save_plan(plan, path)
    assert load_plan(path).fingerprint == national_fit.provenance_["data"]["fingerprint"]
