"""Saving and loading budget plans and scenario lifts: one netCDF file of arrays plus JSON.

``save_plan(plan, path, *, note=None, model=None)``
    Write a :class:`~mmmkit.optimize.BudgetPlan` (from :func:`~mmmkit.optimize.optimize_budget`)
    or a :class:`~mmmkit.response.LiftResult` (a scenario's lift) to ``path``.
``load_plan(path) -> SavedPlan``
    Read it back, next quarter, without the model: the allocation, the weekly plan, the lift
    draws and what the plan was made with.

What a file holds
-----------------
One netCDF (HDF5) file written by xarray, arrays only, no pickle. Its root attribute
``mmmkit_plan`` is JSON text: ``format`` (``"mmmkit-plan"``), ``format_version`` (1),
``kind`` (``"budget_plan"`` or ``"lift"``), ``created_at`` (UTC, ISO 8601),
``mmmkit_version``, ``note``, ``units`` (the KPI's unit, lifts are in it), ``spend_units``,
``description``, ``model`` (the data the model was fitted on: ``fingerprint`` (SHA-256, see
:func:`mmmkit.provenance.fingerprint`), ``first_date``, ``last_date``, ``geos``, ``weeks``,
``rows``, ``fitted_at``, ``source``; ``null`` when saved without the model),
``specification`` (the model's :meth:`~mmmkit.MMM.config`, or ``null``), ``has_extrapolation``
and, for a budget plan, ``plan``: ``objective``, ``risk``, ``margin``, ``objective_value``
(KPI units, profit with a margin), ``budget`` (currency), ``converged``, ``message``,
``uncertainty_prob``, ``uncertainty_n_draws``, ``has_bounds``.

Arrays (currency for spend, KPI units for lifts):

* ``lift_by_geo`` ``(chain, draw, geo, channel)`` and ``lift_by_week``
  ``(chain, draw, lift_date, channel)``: the lift draws (:class:`LiftResult`); ``lift_date``
  are the counted weeks (plan weeks plus carryover), ``date`` the plan's own weeks;
* ``spend_change`` ``(geo, channel)``: plan minus reference spend;
* ``extrapolation_*`` ``(channel,)``: :attr:`LiftResult.extrapolation`;
* budget plans: ``allocation``, ``historical`` ``(channel,)``, ``allocation_by_geo``
  ``(geo, channel)``, ``weekly_plan`` ``(date, geo, channel)``, ``allocation_draws``
  ``(sample, free_channel)``, ``uncertainty_*`` and ``bounds_*`` ``(free_channel,)``.

Saving is atomic (a temporary file in the same folder, then :func:`os.replace`). Loading
reads numbers and JSON only, so it never runs code from the file, and checks the format name
and version, every required field and array, their types, dimensions and values; anything
else raises :class:`~mmmkit.errors.ModelFileError` naming the path and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.errors import ModelFileError
from mmmkit.jsonvalues import is_int, is_number
from mmmkit.model import MMM
from mmmkit.optimize import OBJECTIVES, BudgetPlan, plan_summary
from mmmkit.provenance import describe_data
from mmmkit.response import LiftResult
from mmmkit.stats import DEFAULT_PROB

__all__ = ["FORMAT", "FORMAT_VERSION", "KINDS", "SavedPlan", "load_plan", "save_plan"]

FORMAT = "mmmkit-plan"
FORMAT_VERSION = 1
KINDS = ("budget_plan", "lift")
META_KEY = "mmmkit_plan"
META_FIELDS = ("format", "format_version", "kind", "created_at", "mmmkit_version", "note",
               "units", "spend_units", "description", "model", "specification",
               "has_extrapolation")
PLAN_FIELDS = ("objective", "risk", "margin", "objective_value", "budget", "converged",
               "message", "uncertainty_prob", "uncertainty_n_draws", "has_bounds")
MODEL_FIELDS = ("fingerprint", "first_date", "last_date", "geos", "weeks", "rows",
                "fitted_at", "source")
# name -> (dims, what its values may be): "spend" finite >= 0, "finite", "any" (NaN, inf ok:
# an undefined interval, an unbounded upper bound), "upper" (finite or +inf), "text", "flag"
LIFT_VARS = {
    "lift_by_geo": (("chain", "draw", "geo", "channel"), "finite"),
    "lift_by_week": (("chain", "draw", "lift_date", "channel"), "finite"),
    "spend_change": (("geo", "channel"), "finite"),
}
EXTRAPOLATION_VARS = {
    "extrapolation_observed_max_week": (("channel",), "spend"),
    "extrapolation_plan_max_week": (("channel",), "spend"),
    "extrapolation_ratio": (("channel",), "upper"),
    "extrapolation_weeks_beyond": (("channel",), "spend"),
    "extrapolation_beyond": (("channel",), "flag"),
}
UNCERTAINTY_COLUMNS = ("mean", "median", "lower", "upper", "at_lower_bound", "at_upper_bound")
PLAN_VARS = {
    "allocation": (("channel",), "spend"),
    "historical": (("channel",), "spend"),
    "allocation_by_geo": (("geo", "channel"), "spend"),
    "weekly_plan": (("date", "geo", "channel"), "spend"),
    "allocation_draws": (("sample", "free_channel"), "spend"),
    **{f"uncertainty_{c}": (("free_channel",), "any") for c in UNCERTAINTY_COLUMNS},
    "uncertainty_reading": (("free_channel",), "text"),
}
BOUNDS_VARS = {
    "bounds_lower": (("free_channel",), "spend"),
    "bounds_upper": (("free_channel",), "upper"),
    "bounds_allocation": (("free_channel",), "spend"),
    "bounds_binding": (("free_channel",), "text"),
}
_REDO = "save the plan again with mmmkit.plan_files.save_plan(plan, path)"


# =============================================================================================
# The loaded plan
# =============================================================================================
@dataclass(frozen=True, eq=False)
class SavedPlan:
    """A budget plan or a scenario's lift read back by :func:`load_plan`.

    Attributes
    ----------
    kind : ``"budget_plan"`` or ``"lift"``.
    lift : :class:`~mmmkit.response.LiftResult` with the saved draws: its tables are the
        original's to the last digit.
    allocation, historical : Series channel -> spend over the planning period (currency);
        ``None`` for a lift.
    allocation_by_geo : DataFrame geo x channel (currency), or ``None``.
    weekly_plan : DataArray ``(date, geo, channel)`` of the recommended weekly spend
        (currency), or ``None``.
    uncertainty, bounds : the plan's tables (see :class:`~mmmkit.optimize.BudgetPlan`), or
        ``None``; allocation_draws : DataArray ``(sample, channel)``, currency, or ``None``.
    objective, risk, margin, objective_value, budget, converged, message : as the plan's
        (``None`` for a lift); ``objective_value`` in KPI units, ``budget`` in currency.
    model : what the model the plan was made with was fitted on (``fingerprint``,
        ``first_date``, ``last_date``, ``geos``, ``weeks``, ``rows``, ``fitted_at``,
        ``source``), or ``None`` when saved without it.
    specification : that model's :meth:`~mmmkit.MMM.config`, or ``None``.
    mmmkit_version, created_at : the mmmkit that saved it and when (UTC, ISO 8601).
    note : free text given to :func:`save_plan`, or ``None``.
    spend_units : the spend's currency name.
    path : the file it was read from.
    """

    kind: str
    lift: LiftResult = field(repr=False)
    allocation: pd.Series | None = None
    historical: pd.Series | None = field(default=None, repr=False)
    allocation_by_geo: pd.DataFrame | None = field(default=None, repr=False)
    weekly_plan: xr.DataArray | None = field(default=None, repr=False)
    uncertainty: pd.DataFrame | None = field(default=None, repr=False)
    allocation_draws: xr.DataArray | None = field(default=None, repr=False)
    bounds: pd.DataFrame | None = field(default=None, repr=False)
    objective: str | None = None
    risk: float | None = None
    margin: float | None = None
    objective_value: float | None = None
    budget: float | None = None
    converged: bool | None = None
    message: str | None = None
    model: dict | None = field(default=None, repr=False)
    specification: dict | None = field(default=None, repr=False)
    mmmkit_version: str = ""
    created_at: str = ""
    note: str | None = None
    spend_units: str = "currency"
    path: Path | None = None

    @property
    def units(self) -> str:
        """The KPI's unit (lifts are in it)."""
        return self.lift.units

    @property
    def channels(self) -> list[str]:
        return list(self.lift.channels)

    @property
    def geos(self) -> list[str]:
        return list(self.lift.geos)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The plan's own weeks (the period it was optimised or asked over)."""
        return self.lift.plan_dates

    @property
    def lift_draws(self) -> xr.DataArray:
        """The lift per channel ``(chain, draw, channel)``, KPI units."""
        return self.lift.draws

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 of the data the plan's model was fitted on (``None``: not recorded)."""
        return None if self.model is None else self.model["fingerprint"]

    @property
    def extrapolation(self) -> pd.DataFrame | None:
        return self.lift.extrapolation

    @property
    def binding(self) -> list[str]:
        """Optimised channels sitting at a bound."""
        if self.bounds is None:
            return []
        return [str(ch) for ch in self.bounds.index[self.bounds["binding"] != ""]]

    def summary(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """The plan's table, as :meth:`BudgetPlan.summary` gave it: per channel
        ``historical``, ``allocation``, ``change`` (currency), ``change_pct``, and the lift's
        ``lift_mean, lift_lower, lift_upper`` (KPI units, ``prob`` interval). For a lift:
        :meth:`LiftResult.summary`."""
        if self.kind == "lift":
            return self.lift.summary(prob)
        return plan_summary(self.historical, self.allocation, self.lift, self.converged, prob)

    def to_frame(self) -> pd.DataFrame:
        """The weekly plan as a table like the model's channel columns: the date column,
        the geo column (panels) and one column per channel (currency), with the model's
        column names when the specification was saved (else ``date`` and ``geo``).

        Raises
        ------
        ValueError : a saved lift, which holds no spend plan.
        """
        if self.weekly_plan is None:
            raise ValueError("this file holds a scenario's lift, not a spend plan; only a "
                             "saved BudgetPlan has a weekly plan.")
        spec = self.specification or {}
        date, geo = spec.get("date", "date"), spec.get("geo", "geo" if self.geos != ["all"]
                                                          else None)
        da = self.weekly_plan.transpose("geo", "date", "channel")
        G, T, _ = da.shape
        out: dict[str, Any] = {date: np.tile(da["date"].values, G)}
        if geo is not None:
            out[geo] = np.repeat(np.asarray(self.geos, dtype=object), T)
        for c, ch in enumerate(self.channels):
            out[ch] = da.values[:, :, c].reshape(-1)
        return pd.DataFrame(out)

    def made_with(self) -> str:
        """One sentence: which model and data the plan was made with."""
        spec, info = self.specification, self.model
        what = "a model" if spec is None else (
            f"a model of {spec.get('target')!r} on {', '.join(spec.get('channels', []))}")
        if info is None:
            return f"Made with {what}; the data it was fitted on were not recorded."
        return (f"Made with {what} fitted on {info['weeks']} weeks x {info['geos']} geo(s), "
                f"{info['first_date']} to {info['last_date']} (data fingerprint "
                f"{info['fingerprint'][:12]}).")

    def __repr__(self) -> str:
        when = f"{self.dates[0].date()}..{self.dates[-1].date()}" if len(self.dates) else ""
        if self.kind == "lift":
            return f"SavedPlan(lift: {self.lift.description}; weeks {when})"
        alloc = ", ".join(f"{k}: {v:,.0f}" for k, v in self.allocation.items())
        return f"SavedPlan(budget_plan {self.objective}, weeks {when}; {alloc})"


# =============================================================================================
# Saving
# =============================================================================================
def save_plan(plan: BudgetPlan | LiftResult, path, *, note: str | None = None,
              model: MMM | None = None) -> None:
    """Write a budget plan or a scenario's lift to one file (netCDF, no pickle).

    Parameters
    ----------
    plan : a :class:`~mmmkit.optimize.BudgetPlan` or a :class:`~mmmkit.response.LiftResult`.
    path : the file to write (``.nc`` by convention); its folder must exist. An existing
        file is replaced atomically: on any failure it is left as it was.
    note : free text stored with the plan (who, why), or ``None``.
    model : the fitted model the plan was made with. Its data fingerprint, fitted period and
        specification are stored so that a later check can say which model and data the plan
        came from; without it (and unless the plan carries a public ``model`` attribute)
        they are recorded as unknown.

    Raises
    ------
    TypeError : ``plan`` is neither, ``note`` is not text, ``model`` not an MMM.
    ValueError : ``model`` is not fitted or has other channels than the plan.
    FileNotFoundError : the folder of ``path`` does not exist.
    """
    if not isinstance(plan, BudgetPlan | LiftResult):
        raise TypeError(f"save_plan saves a BudgetPlan (optimize_budget) or a LiftResult (a "
                        f"scenario's lift), got {type(plan).__name__}.")
    if note is not None and not isinstance(note, str):
        raise TypeError(f"note must be text or None, got {type(note).__name__}.")
    lift = plan.lift if isinstance(plan, BudgetPlan) else plan
    model = model if model is not None else getattr(plan, "model", None)
    meta = _meta(plan, lift, note, model)
    ds = _lift_dataset(lift)
    if isinstance(plan, BudgetPlan):
        ds = xr.merge([ds, _plan_dataset(plan)], combine_attrs="drop")
    ds.attrs = {META_KEY: json.dumps(meta)}
    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot save the plan to {path}: the folder {path.parent} "
                                "does not exist; create it first.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.to_netcdf(str(tmp), engine="h5netcdf")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C mid-write included: never leave the temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def _meta(plan, lift: LiftResult, note: str | None, model: MMM | None) -> dict[str, Any]:
    """The JSON metadata of a plan file (see the module docstring)."""
    info, spec, currency = None, None, "currency"
    if model is not None:
        info, spec = _model_record(model, lift)
        currency = model.currency or "currency"
    meta: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "kind": "budget_plan" if isinstance(plan, BudgetPlan) else "lift",
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mmmkit_version": _version(), "note": note, "units": str(lift.units),
        "spend_units": currency, "description": str(lift.description), "model": info,
        "specification": spec, "has_extrapolation": lift.extrapolation is not None,
    }
    if isinstance(plan, BudgetPlan):
        unc = plan.uncertainty.attrs
        meta["plan"] = {
            "objective": plan.objective, "risk": _plain(plan.risk),
            "margin": _plain(plan.margin), "objective_value": float(plan.objective_value),
            "budget": float(plan.budget), "converged": bool(plan.converged),
            "message": str(plan.message),
            "uncertainty_prob": float(unc.get("prob", DEFAULT_PROB)),
            "uncertainty_n_draws": int(unc.get("n_draws", plan.allocation_draws.sizes["sample"])),
            "has_bounds": plan.bounds is not None,
        }
    return meta


def _model_record(model: MMM, lift: LiftResult) -> tuple[dict, dict]:
    """The ``model`` and ``specification`` sections from the fitted ``model``."""
    if not isinstance(model, MMM):
        raise TypeError(f"model must be the fitted mmmkit.MMM the plan was made with, got "
                        f"{type(model).__name__}.")
    if list(model.channels) != list(lift.channels):
        raise ValueError(f"model has channels {model.channels}, the plan {lift.channels}: pass "
                         "the model the plan was made with.")
    try:
        data = model.fitted_data()
    except RuntimeError:
        raise ValueError("model is not fitted: pass the fitted model the plan was made "
                         "with.") from None
    described = describe_data(data)
    record = model.provenance_ or {}
    info = {k: described[k] for k in MODEL_FIELDS if k in described}
    info["fitted_at"] = record.get("fitted_at")
    info["source"] = record.get("source", "unknown")
    return info, model.config()


def _version() -> str:
    try:
        return metadata.version("mmmkit")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _plain(value) -> float | None:
    return None if value is None else float(value)


def _lift_dataset(lift: LiftResult) -> xr.Dataset:
    """The lift's arrays (and its extrapolation table) as a Dataset."""
    coords = {"chain": np.asarray(lift.chain), "draw": np.asarray(lift.draw),
              "geo": [str(g) for g in lift.geos], "channel": [str(c) for c in lift.channels],
              "lift_date": pd.DatetimeIndex(lift.dates).values,
              "date": pd.DatetimeIndex(lift.plan_dates).values}
    data = {
        "lift_by_geo": (LIFT_VARS["lift_by_geo"][0], np.asarray(lift.geo_draws, dtype=float)),
        "lift_by_week": (LIFT_VARS["lift_by_week"][0],
                         np.asarray(lift.week_draws, dtype=float)),
        "spend_change": (("geo", "channel"), np.asarray(lift.spend_delta, dtype=float)),
    }
    ext = lift.extrapolation
    if ext is not None:
        ext = ext.reindex(lift.channels)
        for col in ("observed_max_week", "plan_max_week", "ratio", "weeks_beyond"):
            data[f"extrapolation_{col}"] = (("channel",), ext[col].to_numpy(dtype=float))
        data["extrapolation_beyond"] = (("channel",), ext["beyond"].to_numpy(dtype=np.int8))
    return xr.Dataset(data, coords=coords)


def _plan_dataset(plan: BudgetPlan) -> xr.Dataset:
    """A budget plan's own arrays and tables as a Dataset."""
    channels = [str(c) for c in plan.allocation.index]
    weekly = plan.weekly_plan.transpose("date", "geo", "channel")
    free = [str(c) for c in plan.uncertainty.index]
    unc = plan.uncertainty
    draws = plan.allocation_draws.transpose("sample", "channel")
    data: dict[str, Any] = {
        "allocation": (("channel",), plan.allocation.reindex(channels).to_numpy(dtype=float)),
        "historical": (("channel",), plan.historical.reindex(channels).to_numpy(dtype=float)),
        "allocation_by_geo": (("geo", "channel"), plan.allocation_by_geo.reindex(
            columns=channels).to_numpy(dtype=float)),
        "weekly_plan": (("date", "geo", "channel"), np.asarray(weekly.values, dtype=float)),
        "allocation_draws": (("sample", "free_channel"), np.asarray(draws.values, dtype=float)),
        "uncertainty_reading": (("free_channel",), np.array(
            [str(v) for v in unc.get("reading", [""] * len(free))], dtype=object)),
    }
    for col in UNCERTAINTY_COLUMNS:
        values = unc[col].to_numpy(dtype=float) if col in unc else np.full(len(free), np.nan)
        data[f"uncertainty_{col}"] = (("free_channel",), values)
    if plan.bounds is not None:
        b = plan.bounds.reindex(free)
        for col in ("lower", "upper", "allocation"):
            data[f"bounds_{col}"] = (("free_channel",), b[col].to_numpy(dtype=float))
        data["bounds_binding"] = (("free_channel",),
                                  np.array([str(v) for v in b["binding"]], dtype=object))
    coords = {"channel": channels, "free_channel": free,
              "sample": np.arange(draws.sizes["sample"]),
              "geo": [str(g) for g in weekly["geo"].values],
              "date": pd.DatetimeIndex(weekly["date"].values).values}
    return xr.Dataset(data, coords=coords)


# =============================================================================================
# Loading
# =============================================================================================
def load_plan(path) -> SavedPlan:
    """Read a plan file written by :func:`save_plan`.

    Nothing from the file is executed: it is read as arrays and JSON text, checked (format
    name and version, required fields, their types and values, array dimensions and values)
    and then closed.

    Returns
    -------
    SavedPlan

    Raises
    ------
    FileNotFoundError : nothing at ``path``.
    ModelFileError : ``path`` is not a complete, consistent mmmkit plan file; the message
        names the path and what is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No saved plan at {path}.")
    ds = _read_dataset(path)
    meta = _read_meta(path, ds.attrs.get(META_KEY))
    _check_coords(path, ds)
    kind = meta["kind"]
    wanted = dict(LIFT_VARS)
    if meta["has_extrapolation"]:
        wanted.update(EXTRAPOLATION_VARS)
    if kind == "budget_plan":
        wanted.update(PLAN_VARS)
        if meta["plan"]["has_bounds"]:
            wanted.update(BOUNDS_VARS)
    arrays = {name: _array(path, ds, name, dims, rule)
              for name, (dims, rule) in wanted.items()}
    lift = _lift(ds, arrays, meta)
    if kind == "lift":
        return SavedPlan(kind=kind, lift=lift, **_common(meta, path))
    return SavedPlan(kind=kind, lift=lift, **_plan_parts(ds, arrays, meta),
                     **_common(meta, path))


def _error(path, reason: str) -> ModelFileError:
    return ModelFileError(f"not a readable mmmkit plan file: {path}: {reason}")


def _read_dataset(path: Path) -> xr.Dataset:
    """The file's root group, loaded into memory; the file is closed on return."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                loaded = ds.load()
    except MemoryError:
        raise
    except Exception as err:  # h5py/xarray raise OSError, ValueError, KeyError ... on damage
        raise _error(path, f"it is not a netCDF (HDF5) file, or it is truncated or damaged "
                     f"({type(err).__name__}: {err}); {_REDO}.") from None
    if META_KEY not in loaded.attrs:
        hint = ("it is an mmmkit model file, not a plan: load it with mmmkit.MMM.load"
                if _has_group(path, "posterior") else
                f"it has no {META_KEY!r} metadata, so save_plan did not write it")
        raise _error(path, f"{hint}; {_REDO}.")
    return loaded


def _has_group(path: Path, name: str) -> bool:
    import h5netcdf

    try:
        with h5netcdf.File(path, "r") as f:
            return name in f.groups
    except Exception:  # pragma: no cover - the file just opened as netCDF
        return False


def _read_meta(path: Path, raw) -> dict:
    """The JSON metadata, checked field by field."""
    if not isinstance(raw, str):
        raise _error(path, f"its {META_KEY!r} metadata is not JSON text but "
                     f"{type(raw).__name__}; {_REDO}.")
    try:
        meta = json.loads(raw)
    except ValueError as err:
        raise _error(path, f"its metadata is not valid JSON ({err}); {_REDO}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise _error(path, f"its metadata says format {found!r}, not {FORMAT!r}; {_REDO}.")
    version = meta.get("format_version")
    if not is_int(version) or version < 1:
        raise _error(path, f"its format_version {version!r} is not a version number; {_REDO}.")
    if version > FORMAT_VERSION:
        raise _error(path, f"it was written in plan format version {version}, newer than this "
                     f"mmmkit reads ({FORMAT_VERSION}); upgrade mmmkit to load it.")
    if meta.get("kind") not in KINDS:
        raise _error(path, f"field 'kind' must be one of {KINDS}, got {meta.get('kind')!r}; "
                     f"{_REDO}.")
    expected = [*META_FIELDS, *(["plan"] if meta["kind"] == "budget_plan" else [])]
    missing = [k for k in expected if k not in meta]
    extra = [k for k in meta if k not in expected]
    if missing or extra:
        raise _error(path, f"its metadata has fields missing {missing}, unknown {extra}; "
                     f"{_REDO}.")
    try:
        _check_meta(meta)
    except ValueError as err:
        raise _error(path, f"{err} Fix the field or {_REDO}.") from None
    return meta


def _check_meta(meta: dict) -> None:
    """Raise ``ValueError`` naming the first field of the wrong type or value."""
    def need(ok: bool, name: str, what: str, value) -> None:
        if not ok:
            text = repr(value)
            raise ValueError(f"field {name!r} must be {what}, got "
                             f"{text if len(text) <= 80 else text[:77] + '...'}.")

    for name in ("created_at", "mmmkit_version", "units", "spend_units", "description"):
        need(isinstance(meta[name], str), name, "text", meta[name])
    need(meta["note"] is None or isinstance(meta["note"], str), "note", "text or null",
         meta["note"])
    need(isinstance(meta["has_extrapolation"], bool), "has_extrapolation", "true or false",
         meta["has_extrapolation"])
    spec = meta["specification"]
    need(spec is None or isinstance(spec, dict), "specification", "an object or null", spec)
    info = meta["model"]
    if info is not None:
        need(isinstance(info, dict) and sorted(info) == sorted(MODEL_FIELDS), "model",
             f"an object with {list(MODEL_FIELDS)} or null", info)
        fp = info["fingerprint"]
        need(isinstance(fp, str) and len(fp) == 64 and all(c in "0123456789abcdef" for c in fp),
             "model.fingerprint", "64 hex characters", fp)
        for name in ("geos", "weeks", "rows"):
            need(is_int(info[name]) and info[name] >= 1, f"model.{name}", "a whole number >= 1",
                 info[name])
        for name in ("first_date", "last_date", "source"):
            need(isinstance(info[name], str), f"model.{name}", "text", info[name])
        need(info["fitted_at"] is None or isinstance(info["fitted_at"], str), "model.fitted_at",
             "text or null", info["fitted_at"])
    if meta["kind"] == "budget_plan":
        _check_plan_meta(meta["plan"], need)


def _check_plan_meta(plan, need) -> None:
    need(isinstance(plan, dict) and sorted(plan) == sorted(PLAN_FIELDS), "plan",
         f"an object with {list(PLAN_FIELDS)}", plan)
    need(plan["objective"] in OBJECTIVES, "plan.objective", f"one of {OBJECTIVES}",
         plan["objective"])
    for name in ("risk", "margin"):
        need(plan[name] is None or is_number(plan[name]), f"plan.{name}", "a number or null",
             plan[name])
    for name in ("objective_value", "budget", "uncertainty_prob"):
        need(is_number(plan[name]), f"plan.{name}", "a finite number", plan[name])
    need(plan["budget"] >= 0, "plan.budget", "an amount >= 0", plan["budget"])
    need(0 < plan["uncertainty_prob"] < 1, "plan.uncertainty_prob", "between 0 and 1",
         plan["uncertainty_prob"])
    need(is_int(plan["uncertainty_n_draws"]) and plan["uncertainty_n_draws"] >= 0,
         "plan.uncertainty_n_draws", "a whole number >= 0", plan["uncertainty_n_draws"])
    for name in ("converged", "has_bounds"):
        need(isinstance(plan[name], bool), f"plan.{name}", "true or false", plan[name])
    need(isinstance(plan["message"], str), "plan.message", "text", plan["message"])


def _check_coords(path: Path, ds: xr.Dataset) -> None:
    """Labels are distinct text, dates are dates, chain and draw numbers."""
    for dim in ("geo", "channel", "free_channel"):
        if dim in ds.coords:
            labels = ds[dim].values
            if not all(isinstance(v, str) and v for v in labels.tolist()) \
                    or len(set(labels.tolist())) != len(labels):
                raise _error(path, f"its {dim!r} labels {labels.tolist()[:10]} are not "
                             f"distinct names; {_REDO}.")
    for dim in ("date", "lift_date"):
        if dim in ds.coords and ds[dim].dtype.kind != "M":
            raise _error(path, f"its {dim!r} coordinate is not dates ({ds[dim].dtype}); "
                         f"{_REDO}.")
    for dim in ("chain", "draw", "sample"):
        if dim in ds.coords and ds[dim].dtype.kind not in "iu":
            raise _error(path, f"its {dim!r} coordinate is not whole numbers; {_REDO}.")


def _array(path: Path, ds: xr.Dataset, name: str, dims: tuple, rule: str) -> np.ndarray:
    """Variable ``name`` with dimensions ``dims``, its values checked against ``rule``."""
    if name not in ds.data_vars:
        raise _error(path, f"it has no {name!r} array; {_REDO}.")
    var = ds[name]
    if var.dims != dims:
        raise _error(path, f"{name} has dimensions {var.dims}, expected {dims}; {_REDO}.")
    missing = [d for d in dims if d not in ds.coords]
    if missing:
        raise _error(path, f"{name} has no {missing[0]!r} labels; {_REDO}.")
    if rule == "text":
        values = var.values
        if not all(isinstance(v, str) for v in values.tolist()):
            raise _error(path, f"{name} is not text; {_REDO}.")
        return np.array([str(v) for v in values.tolist()], dtype=object)
    if var.dtype.kind not in "biuf":
        raise _error(path, f"{name} is not numeric ({var.dtype}); {_REDO}.")
    values = np.asarray(var.values, dtype=float)
    bad = {"finite": ~np.isfinite(values),
           "spend": ~np.isfinite(values) | (values < 0),
           "upper": np.isnan(values) | (values == -np.inf),
           "flag": ~np.isin(values, (0.0, 1.0)),
           "any": np.zeros(values.shape, dtype=bool)}[rule]
    if bad.any():
        what = {"finite": "missing or infinite values",
                "spend": "missing, infinite or negative amounts",
                "upper": "missing values", "flag": "values other than 0 and 1"}[rule]
        raise _error(path, f"{name} has {what}; {_REDO}.")
    return values


def _lift(ds: xr.Dataset, arrays: dict[str, np.ndarray], meta: dict) -> LiftResult:
    channels = [str(c) for c in ds["channel"].values]
    extrapolation = None
    if meta["has_extrapolation"]:
        extrapolation = pd.DataFrame({
            "observed_max_week": arrays["extrapolation_observed_max_week"],
            "plan_max_week": arrays["extrapolation_plan_max_week"],
            "ratio": arrays["extrapolation_ratio"],
            "weeks_beyond": arrays["extrapolation_weeks_beyond"].astype(int),
            "beyond": arrays["extrapolation_beyond"].astype(bool),
        }, index=pd.Index(channels, name="channel"))
        extrapolation.attrs["units"] = "currency per week"
    return LiftResult(
        geo_draws=arrays["lift_by_geo"], week_draws=arrays["lift_by_week"],
        chain=np.asarray(ds["chain"].values), draw=np.asarray(ds["draw"].values),
        channels=channels, geos=[str(g) for g in ds["geo"].values],
        dates=pd.DatetimeIndex(ds["lift_date"].values),
        plan_dates=pd.DatetimeIndex(ds["date"].values), spend_delta=arrays["spend_change"],
        units=meta["units"], description=meta["description"], extrapolation=extrapolation)


def _plan_parts(ds: xr.Dataset, arrays: dict[str, np.ndarray], meta: dict) -> dict[str, Any]:
    """The budget plan's own fields of :class:`SavedPlan`."""
    plan = meta["plan"]
    channels = pd.Index([str(c) for c in ds["channel"].values], name="channel")
    free = pd.Index([str(c) for c in ds["free_channel"].values], name="channel")
    geos = [str(g) for g in ds["geo"].values]
    dates = pd.DatetimeIndex(ds["date"].values)
    unc = pd.DataFrame({c: arrays[f"uncertainty_{c}"] for c in UNCERTAINTY_COLUMNS}, index=free)
    unc["reading"] = list(arrays["uncertainty_reading"])
    unc.attrs.update(units="currency", prob=plan["uncertainty_prob"],
                     n_draws=plan["uncertainty_n_draws"])
    bounds = None
    if plan["has_bounds"]:
        bounds = pd.DataFrame({"lower": arrays["bounds_lower"], "upper": arrays["bounds_upper"],
                               "allocation": arrays["bounds_allocation"],
                               "binding": list(arrays["bounds_binding"])}, index=free)
        bounds.attrs["units"] = "currency"
    by_geo = pd.DataFrame(arrays["allocation_by_geo"], index=pd.Index(geos, name="geo"),
                          columns=pd.Index(list(channels), name="channel"))
    draws = arrays["allocation_draws"]
    return {
        "allocation": pd.Series(arrays["allocation"], index=channels, name="allocation"),
        "historical": pd.Series(arrays["historical"], index=channels, name="historical"),
        "allocation_by_geo": by_geo,
        "weekly_plan": xr.DataArray(
            arrays["weekly_plan"], dims=("date", "geo", "channel"),
            coords={"date": dates, "geo": geos, "channel": list(channels)}, name="spend",
            attrs={"units": "currency"}),
        "uncertainty": unc,
        "allocation_draws": xr.DataArray(
            draws, dims=("sample", "channel"),
            coords={"sample": np.arange(draws.shape[0]), "channel": list(free)},
            name="optimal_allocation", attrs={"units": "currency"}),
        "bounds": bounds,
        "objective": plan["objective"], "risk": plan["risk"], "margin": plan["margin"],
        "objective_value": plan["objective_value"], "budget": plan["budget"],
        "converged": plan["converged"], "message": plan["message"],
    }


def _common(meta: dict, path: Path) -> dict[str, Any]:
    return {"model": meta["model"], "specification": meta["specification"],
            "mmmkit_version": meta["mmmkit_version"], "created_at": meta["created_at"],
            "note": meta["note"], "spend_units": meta["spend_units"], "path": path}
