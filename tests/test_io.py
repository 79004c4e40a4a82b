"""Model files (:mod:`mmmkit.io`): atomic saves, closed loads, one clear error for bad files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mmmkit as mk
from model_files import read_groups, write_groups


@pytest.fixture
def saved(national_fit, tmp_path) -> Path:
    path = tmp_path / "model.mmm"
    national_fit.save(path)
    return path


def _open_paths() -> list[str]:
    fd_dir = "/proc/self/fd"
    out = []
    for fd in os.listdir(fd_dir):
        try:
            out.append(os.readlink(f"{fd_dir}/{fd}"))
        except OSError:  # closed between listing and reading
            pass
    return out


# -- saving --------------------------------------------------------------------------------------
@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_leaves_the_previous_file_as_it_was(national_fit, saved, monkeypatch,
                                                          failure):
    before = mk.MMM.load(saved).roas()

    def half_write(self, filename, *args, **kwargs):
        with open(filename, "wb") as f:  # a netCDF header and some data, then the failure
            f.write(b"\x89HDF\r\n\x1a\n" + bytes(4096))
        raise failure

    monkeypatch.setattr(az.InferenceData, "to_netcdf", half_write)
    with pytest.raises(type(failure)):
        national_fit.save(saved)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(mk.MMM.load(saved).roas(), before)
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]  # no temporary left


def test_save_replaces_an_existing_file(national_fit, panel_fit, saved):
    panel_fit.save(saved)
    pd.testing.assert_frame_equal(mk.MMM.load(saved).roas(), panel_fit.roas())
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]


# -- loading -------------------------------------------------------------------------------------
def test_load_closes_the_file_so_the_model_saves_back_to_the_same_path(national_fit, saved):
    loaded = mk.MMM.load(saved)
    if os.path.isdir("/proc/self/fd"):
        assert str(saved) not in _open_paths()
    loaded.save(saved)
    again = mk.MMM.load(saved)
    xr.testing.assert_identical(again.idata.posterior, national_fit.idata.posterior)
    pd.testing.assert_frame_equal(again.roas(), national_fit.roas())
    assert again.config() == national_fit.config()


def _bytes_file(content: bytes):
    def make(saved: Path, tmp_path: Path) -> Path:
        path = tmp_path / "bad.mmm"
        path.write_bytes(content)
        return path
    return make


def _csv(saved: Path, tmp_path: Path) -> Path:
    path = tmp_path / "data.mmm"
    pd.DataFrame({"date": ["2024-01-01"], "sales": [1.0]}).to_csv(path, index=False)
    return path


def _truncated(saved: Path, tmp_path: Path) -> Path:
    path = tmp_path / "truncated.mmm"
    path.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    return path


def _other_netcdf(saved: Path, tmp_path: Path) -> Path:
    path = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(path, engine="h5netcdf")
    return path


def _edited(edit):
    """A saved file with ``edit(groups)`` applied: the arrays or the metadata JSON."""
    def make(saved: Path, tmp_path: Path) -> Path:
        groups = read_groups(saved)
        edit(groups)
        return write_groups(groups, tmp_path / "edited.mmm")
    return make


def _without(group: str):
    return _edited(lambda groups: groups.pop(group))


def _meta(edit):
    """A saved file whose specification JSON went through ``edit(meta)``."""
    def change(groups):
        attrs = groups["posterior"].attrs
        meta = json.loads(attrs["mmmkit"])
        edit(meta)
        attrs["mmmkit"] = json.dumps(meta)
    return _edited(change)


def _spec(field, value):
    return _meta(lambda meta: meta["config"].__setitem__(field, value))


def _prior(meta):
    meta["config"]["priors"]["sigma"]["sigma"] = "0.2; import os"


def _adstock_class(meta):
    for spec in meta["config"]["adstock"].values():
        spec["class"] = "Pickle"


def _max_lag(meta):
    for spec in meta["config"]["adstock"].values():
        spec["max_lag"] = True


def _renamed_channel(meta):
    # consistent within the specification, but not the channel the arrays hold
    config = meta["config"]
    config["channels"] = ["radio" if ch == "social" else ch for ch in config["channels"]]
    for part in ("adstock", "saturation"):
        config[part] = {"radio" if ch == "social" else ch: v for ch, v in config[part].items()}


def _nan_draws(groups):
    # how a trace cut short by Ctrl-C pads its unfinished chain
    groups["posterior"]["sigma"][-1, -10:] = np.nan


CORRUPT = {
    "random bytes": _bytes_file(np.random.default_rng(0).bytes(5000)),
    "empty file": _bytes_file(b""),
    "CSV renamed": _csv,
    "truncated": _truncated,
    "other netCDF": _other_netcdf,
    "no sample_stats group": _without("sample_stats"),
    "no constant_data group": _without("constant_data"),
    "no posterior variable": _edited(lambda g: g.__setitem__(
        "posterior", g["posterior"].drop_vars("sigma"))),
    "no spend array": _edited(lambda g: g.__setitem__(
        "constant_data", g["constant_data"].drop_vars("spend"))),
    "NaN draws": _edited(_nan_draws),
    "metadata not JSON": _edited(lambda g: g["posterior"].attrs.__setitem__("mmmkit", "{conf")),
    "no metadata": _edited(lambda g: g["posterior"].attrs.pop("mmmkit")),
    "newer format": _meta(lambda meta: meta.__setitem__("format_version", 99)),
    "no config": _meta(lambda meta: meta.pop("config")),
    "trend a string": _spec("trend", "no"),
    "drift a number": _spec("drift", 26),
    "drift knots too close": _spec("drift", {"knot_weeks": 2}),
    "drift on without its draws": _spec("drift", {"knot_weeks": 26}),
    "seasonality a bool": _spec("seasonality", True),
    "seasonality fractional": _spec("seasonality", 2.5),
    "seasonality negative": _spec("seasonality", -1),
    "channels a string": _spec("channels", "tv"),
    "channels not those of the transforms": _spec("channels", ["tv", "search", "radio"]),
    "channels not those of the arrays": _meta(_renamed_channel),
    "channels not strings": _spec("channels", [1, 2, 3]),
    "controls not those of the arrays": _spec("controls", []),
    "date not a string": _spec("date", 5),
    "geo not a string": _spec("geo", ["region"]),
    "likelihood unknown": _spec("likelihood", "poisson"),
    "field missing": _meta(lambda meta: meta["config"].pop("trend")),
    "field unknown": _spec("trendd", True),
    "transform unknown": _meta(_adstock_class),
    "max_lag a bool": _meta(_max_lag),
    "prior parameter text": _meta(_prior),
    "lift tests not records": _spec("lift_tests", "calibrated"),
    "provenance not an object": _meta(lambda meta: meta.__setitem__("provenance", "fit")),
    "provenance rows text": _meta(lambda meta: meta["provenance"]["data"].__setitem__(
        "rows", "many")),
    "provenance fit value an object": _meta(lambda meta: meta["provenance"]["fit"].__setitem__(
        "draws", {"run": "os.system"})),
    "provenance of other data": _meta(lambda meta: meta["provenance"]["data"].__setitem__(
        "weeks", 999)),
    "lift test of no channel": _spec("lift_tests", [{
        "channel": "radio", "start": "2021-03-01", "end": "2021-03-22", "spend_change": -1.0,
        "lift": 1.0, "lift_se": 1.0, "measure_end": "2021-03-22"}]),
}


@pytest.mark.parametrize("corrupt", list(CORRUPT.values()), ids=list(CORRUPT))
def test_an_unreadable_file_raises_one_clear_error_naming_it(saved, tmp_path, corrupt):
    path = corrupt(saved, tmp_path)
    with pytest.raises(mk.ModelFileError,
                       match="^" + re.escape(f"not a readable mmmkit model file: {path}: ")):
        mk.MMM.load(path)


def test_the_error_is_a_data_error_and_a_missing_file_is_not_found(tmp_path):
    assert issubclass(mk.ModelFileError, mk.DataError)
    assert issubclass(mk.ModelFileError, ValueError)
    with pytest.raises(FileNotFoundError):
        mk.MMM.load(tmp_path / "missing.mmm")


def test_save_load_round_trip(national_fit, national_sim, tmp_path):
    path = tmp_path / "model.mmm"
    national_fit.save(path)
    loaded = mk.MMM.load(path)
    assert loaded.config() == national_fit.config()
    xr.testing.assert_identical(loaded.idata.posterior, national_fit.idata.posterior)
    pd.testing.assert_frame_equal(loaded.roas(), national_fit.roas())
    pd.testing.assert_frame_equal(loaded.roas(marginal=True), national_fit.roas(marginal=True))
    xr.testing.assert_identical(loaded.contributions(), national_fit.contributions())
    tail = national_sim.data.iloc[-5:]
    xr.testing.assert_identical(loaded.predict(tail, seed=0), national_fit.predict(tail, seed=0))



def test_load_refuses_other_files(tmp_path):
    bad = tmp_path / "x.nc"
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(bad, engine="h5netcdf")
    with pytest.raises((ValueError, OSError)):
        mk.MMM.load(bad)
    with pytest.raises(FileNotFoundError):
        mk.MMM.load(tmp_path / "missing.mmm")



def test_panel_save_load(panel_fit, tmp_path):
    panel_fit.save(tmp_path / "panel.mmm")
    loaded = mk.MMM.load(tmp_path / "panel.mmm")
    pd.testing.assert_frame_equal(loaded.roas(by_geo=True), panel_fit.roas(by_geo=True))


def test_date_reading_options_travel_with_the_model(national_fit, national_sim, tmp_path):
    """A model told dayfirst=True reads day-first text dates everywhere it takes a frame
    (plans, holdouts) and keeps the option through save and load."""
    text = national_sim.data.assign(date=national_sim.data["date"].dt.strftime("%d/%m/%Y"))
    model = mk.MMM(**national_sim.model_kwargs(), dayfirst=True).from_posterior(
        text, national_fit.idata.posterior)
    assert model.fitted_data().dates.equals(national_fit.fitted_data().dates)
    plan = text[["date", *national_sim.channels]].iloc[-20:].copy()
    plan["tv"] *= 1.2
    by_text = mk.scenarios.incremental_lift(model, plan)
    as_dates = plan.assign(date=national_sim.data["date"].iloc[-20:].to_numpy())
    by_date = mk.scenarios.incremental_lift(national_fit, as_dates)
    np.testing.assert_allclose(by_text.total.values, by_date.total.values, rtol=1e-12)
    model.save(tmp_path / "dayfirst.mmm")
    loaded = mk.MMM.load(tmp_path / "dayfirst.mmm")
    assert loaded.dayfirst is True and loaded.date_format is None
    assert loaded.config() == model.config()


def test_files_written_before_the_date_options_still_load(saved, national_fit, tmp_path):
    """Files from before dayfirst/date_format (and drift) were saved have neither field: they
    mean None (and no drift)."""
    def drop(meta):
        assert "dayfirst" in meta["config"] and "date_format" in meta["config"]
        del meta["config"]["dayfirst"], meta["config"]["date_format"], meta["config"]["drift"]

    old = _meta(drop)(saved, tmp_path)
    model = mk.MMM.load(old)
    assert model.dayfirst is None and model.date_format is None
    assert model.drift is None
    pd.testing.assert_frame_equal(model.roas(), national_fit.roas())
    bad = _spec("dayfirst", "yes")(saved, tmp_path)
    with pytest.raises(mk.ModelFileError, match="dayfirst"):
        mk.MMM.load(bad)
