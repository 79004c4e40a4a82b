"""Provenance (:mod:`mmmkit.provenance`): the data fingerprint, the record every fitted model
carries and every model file keeps, and the plain-words card."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mmmkit as mk
from mmmkit import provenance
from mmmkit.design import ModelData
from model_files import read_groups, write_groups

OLDER = "not recorded (file written by an older mmmkit)"


@pytest.fixture
def given(national_fit, national_sim) -> mk.MMM:
    """A cheap fitted model of its own (the session fit's draws), free to annotate."""
    return mk.MMM(**national_sim.model_kwargs()).from_posterior(
        national_sim.data, national_fit.idata.posterior)


def _dump(record: dict) -> str:
    return json.dumps(record, sort_keys=True, allow_nan=False)


def _file_meta(path: Path) -> dict:
    with xr.open_dataset(path, group="posterior", engine="h5netcdf") as ds:
        return json.loads(ds.attrs["mmmkit"])


def _rewrite_meta(path: Path, edit, out: Path) -> Path:
    """A copy of the model file at ``path`` whose metadata JSON went through ``edit(meta)``."""
    groups = read_groups(path)
    meta = json.loads(groups["posterior"].attrs["mmmkit"])
    edit(meta)
    groups["posterior"].attrs["mmmkit"] = json.dumps(meta)
    return write_groups(groups, out)


# -- the fingerprint -----------------------------------------------------------------------------
def _tiny(**changes) -> ModelData:
    values = dict(
        dates=pd.date_range("2024-01-01", periods=3, freq="7D"), geos=["north", "süd"],
        channels=["tv", "search"], controls=["price"],
        spend=np.arange(12, dtype=float).reshape(2, 3, 2),
        target=np.array([[10.0, 11.0, -0.0], [20.0, 21.5, 22.0]]),
        control_values=np.ones((2, 3, 1)))
    values.update(changes)
    return ModelData(**values)


def _by_the_docstring(data: ModelData) -> str:
    """Layout 1 as :func:`mmmkit.provenance.fingerprint` documents it, written out again."""
    h = hashlib.sha256(b"mmmkit-data-fingerprint 1\n")

    def part(name: str, kind: str, shape: tuple, payload: bytes) -> None:
        h.update(f"{name} {kind} {','.join(map(str, shape))} {len(payload)}\n".encode())
        h.update(payload)

    ns = np.array([d.value for d in data.dates], dtype="<i8")  # ns since 1970-01-01
    part("dates", "<i8", ns.shape, ns.tobytes())
    for name in ("geos", "channels", "controls"):
        names = getattr(data, name)
        text = "[" + ",".join('"' + n + '"' for n in names) + "]"
        part(name, "json", (len(names),), text.encode("utf-8"))
    for name in ("spend", "target", "control_values"):
        values = np.where(getattr(data, name) == 0, 0.0, getattr(data, name)).astype("<f8")
        part(name, "<f8", values.shape, values.tobytes(order="C"))
    return h.hexdigest()


def test_the_fingerprint_follows_its_documented_layout():
    data = _tiny()
    assert provenance.fingerprint(data) == _by_the_docstring(data)
    assert len(provenance.fingerprint(data)) == 64
    # -0.0 and 0.0 are the same number, so the same data
    assert provenance.fingerprint(_tiny(target=np.abs(data.target))) \
        == provenance.fingerprint(data)


def test_the_fingerprint_is_stable_for_the_same_data(national_fit, national_sim):
    data = national_fit.fitted_data()
    again = national_fit.prepare(national_sim.data.copy())
    copied = dataclasses.replace(data, spend=data.spend.copy(), target=data.target.copy())
    fingerprints = {provenance.fingerprint(d) for d in (data, again, copied)}
    assert fingerprints == {national_fit.provenance_["data"]["fingerprint"]}
    # the dates' unit (seconds, ns) is how pandas stores them, not data
    as_seconds = dataclasses.replace(data, dates=pd.DatetimeIndex(data.dates).as_unit("s"))
    assert provenance.fingerprint(as_seconds) == provenance.fingerprint(data)


def test_the_fingerprint_changes_with_one_spend_cell_or_one_date(national_fit, national_sim):
    base = provenance.fingerprint(national_fit.fitted_data())
    df = national_sim.data.copy()
    df.loc[df.index[10], "tv"] += 0.01
    assert provenance.fingerprint(national_fit.prepare(df)) != base
    data = national_fit.fitted_data()
    dates = pd.DatetimeIndex(data.dates).to_numpy().copy()
    dates[5] += np.timedelta64(1, "D")
    assert provenance.fingerprint(dataclasses.replace(data, dates=pd.DatetimeIndex(dates))) \
        != base
    later = national_sim.data.assign(date=national_sim.data["date"] + pd.Timedelta(weeks=1))
    assert provenance.fingerprint(national_fit.prepare(later)) != base
    shorter = national_fit.prepare(national_sim.data.iloc[:-1])
    assert provenance.fingerprint(shorter) != base


def test_the_fingerprint_ignores_row_order_and_unused_columns(national_sim, panel_sim):
    for sim in (national_sim, panel_sim):
        model = mk.MMM(**sim.model_kwargs())
        base = provenance.fingerprint(model.prepare(sim.data))
        shuffled = sim.data.sample(frac=1.0, random_state=0)
        assert not shuffled.index.equals(sim.data.index)
        assert provenance.fingerprint(model.prepare(shuffled)) == base
        extra = sim.data.assign(comment="not a model column")
        assert provenance.fingerprint(model.prepare(extra)) == base


# -- the record ----------------------------------------------------------------------------------
def test_a_fit_records_its_data_settings_statistics_versions_and_time(national_fit):
    rec = national_fit.provenance_
    assert list(rec) == list(provenance.FIELDS)
    _dump(rec)  # plain JSON: no NaN, no numpy scalars
    assert rec["provenance_version"] == 1 and rec["source"] == "fit"
    data = national_fit.fitted_data()
    assert rec["data"] == {
        "fingerprint": provenance.fingerprint(data), "fingerprint_layout": 1,
        "rows": data.n_weeks, "geos": 1, "weeks": data.n_weeks,
        "first_date": data.dates[0].strftime("%Y-%m-%d"),
        "last_date": data.dates[-1].strftime("%Y-%m-%d")}
    fit = rec["fit"]
    assert {k: fit[k] for k in ("method", "sampler", "draws", "tune", "chains", "seed",
                                "target_accept")} == {
        "method": "nuts", "sampler": "nutpie", "draws": 300, "tune": 300, "chains": 2,
        "seed": 3, "target_accept": 0.9}
    assert isinstance(fit["compile_seconds"], float) and fit["sampling_seconds"] >= 0
    diag = national_fit.diagnostics()
    assert rec["diagnostics"]["divergences"] == int(diag["divergences"])
    assert isinstance(rec["diagnostics"]["divergences"], int)
    for name in ("max_r_hat", "min_ess_bulk", "min_ess_tail"):
        assert rec["diagnostics"][name] == pytest.approx(float(diag[name]))
    assert rec["diagnostics"]["draws"] == 600
    versions = rec["versions"]
    assert versions["mmmkit"] == mk.__version__ and versions["numpy"] == np.__version__
    import pymc

    assert versions["pymc"] == pymc.__version__ and versions["pandas"] == pd.__version__
    assert {"pytensor", "arviz", "nutpie", "xarray", "scipy"} <= set(versions)
    fitted = dt.datetime.fromisoformat(rec["fitted_at"].replace("Z", "+00:00"))
    assert fitted.tzinfo == dt.UTC and fitted <= dt.datetime.now(dt.UTC)
    assert rec["python"] == platform.python_version() and rec["platform"]
    assert rec["note"] is None and rec["author"] is None
    assert provenance.check_record(rec) is rec


def test_given_draws_are_recorded_as_given_on_the_same_data(given, national_fit):
    rec = given.provenance_
    assert rec["source"] == "given" and rec["fit"]["method"] == "given"
    assert rec["data"] == national_fit.provenance_["data"]
    assert rec["diagnostics"]["divergences"] == 0


def test_a_single_chain_records_no_r_hat_rather_than_nan(national_sim):
    from truth import model_from_truth

    model = model_from_truth(national_sim, chains=1, draws=3)
    assert model.provenance_["diagnostics"]["max_r_hat"] is None
    _dump(model.provenance_)
    assert "largest r-hat n/a" in model.card()


def test_a_failed_call_leaves_the_record_as_it_was(given, national_sim, national_fit):
    before = given.provenance_
    with pytest.raises(ValueError, match="posterior lacks"):
        given.from_posterior(national_sim.data, national_fit.idata.posterior.drop_vars("sigma"))
    assert given.provenance_ is before


def test_annotate_sets_only_what_it_is_given(given):
    before = dict(given.provenance_)
    rec = provenance.annotate(given, note="Q3 refresh, new TV flight", author="Ana")
    assert given.provenance_ is rec and before["note"] is None
    assert (rec["note"], rec["author"]) == ("Q3 refresh, new TV flight", "Ana")
    provenance.annotate(given, author="Ben")
    assert (given.provenance_["note"], given.provenance_["author"]) \
        == ("Q3 refresh, new TV flight", "Ben")
    provenance.annotate(given, note=None)
    assert given.provenance_["note"] is None
    assert {k: v for k, v in given.provenance_.items() if k not in ("note", "author")} \
        == {k: v for k, v in before.items() if k not in ("note", "author")}
    with pytest.raises(TypeError, match="note"):
        provenance.annotate(given, note=42)
    with pytest.raises(mk.NotFittedError):
        provenance.annotate(mk.MMM(date="date", target="sales", channels=["tv"]), note="x")


# -- the card ------------------------------------------------------------------------------------
def test_the_card_names_the_data_range_sampler_and_versions(national_fit):
    text = national_fit.card()
    rec = national_fit.provenance_
    assert text == provenance.card(national_fit)
    assert f"{rec['data']['first_date']} to {rec['data']['last_date']}" in text
    assert rec["data"]["fingerprint"][:12] in text
    assert rec["data"]["fingerprint"] not in text  # the short form only
    assert f"{rec['data']['weeks']} weeks" in text and "national" in text
    assert "NUTS with nutpie, 2 chains x 300 draws after 300 tuning" in text
    assert "divergences" in text and "r-hat" in text and "ESS" in text
    assert f"mmmkit {mk.__version__}" in text and f"numpy {np.__version__}" in text
    assert rec["fitted_at"] in text
    assert "Note:" not in text
    assert 5 <= len(text.splitlines()) <= 8


def test_the_card_shows_note_and_author(given):
    provenance.annotate(given, note="after the price change", author="Ana")
    assert "Note: after the price change (author: Ana)." in given.card()
    assert "from_posterior" in given.card()


def test_the_card_of_an_unfitted_model_says_so():
    with pytest.raises(mk.NotFittedError):
        mk.MMM(date="date", target="sales", channels=["tv"]).card()


# -- files ---------------------------------------------------------------------------------------
def test_save_and_load_keep_the_record_byte_identical(given, tmp_path):
    provenance.annotate(given, note="für das Q3-Budget", author="Zoë")
    path = tmp_path / "model.mmm"
    given.save(path)
    assert _dump(_file_meta(path)["provenance"]) == _dump(given.provenance_)
    loaded = mk.MMM.load(path)
    assert _dump(loaded.provenance_) == _dump(given.provenance_)
    assert loaded.card() == given.card()
    loaded.save(tmp_path / "again.mmm")  # not re-recorded: loading is not fitting
    assert _dump(mk.MMM.load(tmp_path / "again.mmm").provenance_) == _dump(given.provenance_)


def test_a_file_written_before_provenance_still_loads(given, tmp_path):
    given.save(tmp_path / "model.mmm")
    old = _rewrite_meta(tmp_path / "model.mmm", lambda meta: meta.pop("provenance"),
                        tmp_path / "old.mmm")
    model = mk.MMM.load(old)
    rec = model.provenance_
    assert rec["source"] == "older file"
    assert rec["data"] == given.provenance_["data"]  # recomputed from the file's arrays
    assert rec["fit"] == given.provenance_["fit"]
    assert rec["versions"] == {} and rec["fitted_at"] is None and rec["python"] is None
    text = model.card()
    assert f"Versions: {OLDER}." in text and f"Fitted: {OLDER}." in text
    assert given.provenance_["data"]["first_date"] in text
    pd.testing.assert_frame_equal(model.roas(), given.roas())
    model.save(tmp_path / "resaved.mmm")
    assert _dump(mk.MMM.load(tmp_path / "resaved.mmm").provenance_) == _dump(rec)


@pytest.mark.parametrize(("edit", "field"), [
    (lambda p: p["data"].__setitem__("rows", "104"), "provenance.data.rows"),
    (lambda p: p["data"].__setitem__("fingerprint", "abc"), "provenance.data.fingerprint"),
    (lambda p: p.__setitem__("versions", {"numpy": 2}), "provenance.versions"),
    (lambda p: p.__setitem__("note", ["a"]), "provenance.note"),
    (lambda p: p.__setitem__("fitted_at", "yesterday"), "provenance.fitted_at"),
    (lambda p: p.__setitem__("source", "pickle"), "provenance.source"),
    (lambda p: p["diagnostics"].__setitem__("max_r_hat", "1.0"), "provenance.diagnostics"),
    (lambda p: p.pop("fit"), "provenance"),
    (lambda p: p.__setitem__("provenance_version", 7), "provenance.provenance_version"),
])
def test_a_malformed_record_in_a_file_is_a_model_file_error_naming_the_field(
        given, tmp_path, edit, field):
    given.save(tmp_path / "model.mmm")
    bad = _rewrite_meta(tmp_path / "model.mmm", lambda meta: edit(meta["provenance"]),
                        tmp_path / "bad.mmm")
    with pytest.raises(mk.ModelFileError, match=f"field '{field}'"):
        mk.MMM.load(bad)


def test_a_record_that_does_not_match_the_files_data_is_a_model_file_error(
        given, national_fit, national_sim, tmp_path):
    df = national_sim.data.copy()
    df.loc[df.index[0], "tv"] += 1.0
    other = mk.MMM(**national_sim.model_kwargs()).from_posterior(
        df, national_fit.idata.posterior)
    given.save(tmp_path / "model.mmm")
    swapped = _rewrite_meta(
        tmp_path / "model.mmm",
        lambda meta: meta["provenance"]["data"].__setitem__(
            "fingerprint", other.provenance_["data"]["fingerprint"]),
        tmp_path / "swapped.mmm")
    with pytest.raises(mk.ModelFileError, match="provenance says data fingerprint"):
        mk.MMM.load(swapped)


def test_check_record_accepts_what_record_writes_and_nothing_else(given):
    rec = json.loads(_dump(given.provenance_))
    assert provenance.check_record(rec) == given.provenance_
    for bad in (None, [], "provenance"):
        with pytest.raises(ValueError, match="field 'provenance'"):
            provenance.check_record(bad)
    with pytest.raises(ValueError, match="unknown"):
        provenance.check_record({**rec, "extra": 1})
    with pytest.raises(ValueError, match="source"):
        provenance.record(given.fitted_data(), given.idata, {}, source="guessed")
