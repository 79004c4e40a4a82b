"""Saving and loading fitted models: one netCDF file of arrays plus JSON text, no pickle.

The file is an ArviZ InferenceData netCDF. The specification (columns, transforms, priors)
is JSON in the posterior group's attributes; the fitted data are the ``observed_data`` and
``constant_data`` groups. Loading parses JSON and reads arrays, so it never executes code from
the file, and the reloaded model recomputes every number from the same draws and data.

Saving is atomic (a temporary file in the same folder renamed onto the target), so a failed
save leaves the previous file as it was. Loading reads everything into memory and closes the
file, and checks the file against what :meth:`MMM.save` writes: anything else — not netCDF,
truncated, a group or array missing, a specification field of the wrong type or value —
raises :class:`~mmmkit.errors.ModelFileError` naming the path.

The metadata also holds the model's provenance record (:mod:`mmmkit.provenance`): checked on
loading (types, and its data section against the file's arrays) and given to the model as
is. It is an optional key of format version 1, so older mmmkit reads these files (ignoring
it), and a file written before provenance existed loads with a record saying so.
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.adstock import ADSTOCKS, adstock_from_config
from mmmkit.design import ModelData, Scales
from mmmkit.drift import Drift
from mmmkit.errors import ModelFileError
from mmmkit.graph import LIKELIHOODS
from mmmkit.jsonvalues import is_int, is_number
from mmmkit.priors import Prior
from mmmkit.provenance import check_record, data_mismatch, older_file
from mmmkit.saturation import SATURATIONS, saturation_from_config

FORMAT = "mmmkit-model"
FORMAT_VERSION = 1
# The groups fit() writes; each is read by some method (diagnostics, plots, reports).
GROUPS = ("posterior", "sample_stats", "posterior_predictive", "observed_data", "constant_data")
# The specification fields MMM.config() writes.
CONFIG_FIELDS = ("date", "target", "channels", "geo", "controls", "adstock", "saturation",
                 "seasonality", "trend", "likelihood", "priors", "roas_priors", "lift_tests")
# fields added later, with the value a file written before them means
OPTIONAL_FIELDS = {"dayfirst": None, "date_format": None, "kpi_unit": None, "currency": None,
                   "drift": None, "missing_weeks": "error", "geo_seasonality": False}
_REDO = "save the model again with model.save(path), or refit it"


def save_model(model, path) -> None:
    """Write ``model`` to ``path``; on any failure the file already at ``path`` is untouched.

    The file is written under a hidden temporary name in the same folder and then renamed onto
    ``path`` with :func:`os.replace`, which is atomic within one file system: ``path`` holds the
    old model or the new one, never a half-written file.
    """
    path = Path(path)
    idata = model.idata.copy()
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config(),
        "fit_info": _jsonable(model.fit_info_),
    }
    if model.provenance_ is not None:  # None only for a fitted state assigned by hand
        meta["provenance"] = model.provenance_
    idata.posterior.attrs["mmmkit"] = json.dumps(meta)
    # same folder, so the rename never crosses file systems (where it would be a copy)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        _write_netcdf(idata, tmp)
        _flush_to_disk(tmp)
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C mid-write included: never leave the temporary file behind
        tmp.unlink(missing_ok=True)
        raise


def _write_netcdf(idata, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata.to_netcdf(str(path), engine="h5netcdf")


def _flush_to_disk(path: Path) -> None:
    # without this the rename can reach the disk before the data, and a power cut right after
    # the save leaves an empty file where the old model was
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


class SavedModel(NamedTuple):
    """What a model file holds: an unfitted model with the file's specification, and the
    fitted state :meth:`mmmkit.MMM.load` gives it."""

    model: Any
    data: Any
    idata: Any
    fit_info: dict
    provenance: dict


def read_model(cls, path) -> SavedModel:
    """The specification and fitted state saved at ``path`` by :func:`save_model`; ``cls``
    (:class:`mmmkit.MMM` or a subclass) builds the unfitted model.

    Raises
    ------
    FileNotFoundError : nothing at ``path``.
    ModelFileError : ``path`` is not a complete, consistent mmmkit model file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No saved model at {path}.")
    groups = _read_groups(path)
    missing = [g for g in GROUPS if g not in groups]
    if missing:
        raise _error(path, f"it has no {missing[0]!r} group (groups: {sorted(groups)}), so it "
                     f"is incomplete or not a saved model; {_REDO}.")
    posterior = groups["posterior"]
    meta = _read_meta(path, posterior.attrs.get("mmmkit"))
    config = meta["config"]
    try:
        check_config(config)
        model = model_from_config(cls, config)
    except (TypeError, ValueError, KeyError) as err:  # DataError from the lift tests included
        raise _error(path, f"its specification is invalid: {err} Fix the field or {_REDO}.") \
            from None
    posterior.attrs = {k: v for k, v in posterior.attrs.items() if k != "mmmkit"}
    data = _model_data(path, groups, config)
    _check_draws(path, groups, config, data)
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.InferenceData(**groups)
    return SavedModel(model, data, idata, meta["fit_info"],
                      _provenance(path, meta, data, idata))


def _error(path, reason: str) -> ModelFileError:
    return ModelFileError(f"not a readable mmmkit model file: {path}: {reason}")


def _read_groups(path: Path) -> dict[str, xr.Dataset]:
    """Every group of the netCDF file, loaded into memory; the file is closed on return.

    Each dataset is read inside ``with``: a lazily opened file would stay open (and, on some
    systems, locked), so saving back to the same path would fail.
    """
    import h5netcdf

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with h5netcdf.File(path, "r") as f:
                names = list(f.groups)
            groups = {}
            for name in names:
                with xr.open_dataset(path, group=name, engine="h5netcdf") as ds:
                    groups[name] = ds.load()
    except MemoryError:
        raise
    except Exception as err:  # h5py/xarray raise OSError, ValueError, KeyError ... on damage
        raise _error(path, f"it is not a netCDF (HDF5) file, or it is truncated or damaged "
                     f"({type(err).__name__}: {err}); {_REDO}.") from None
    return groups


def _read_meta(path: Path, raw) -> dict:
    """The mmmkit JSON of the posterior group, checked down to the types of its top level."""
    if raw is None:
        raise _error(path, "its posterior has no mmmkit metadata, so it was not written by "
                     f"MMM.save; {_REDO}.")
    if not isinstance(raw, str):
        raise _error(path, f"its mmmkit metadata is not JSON text but {type(raw).__name__}; "
                     f"{_REDO}.")
    try:
        meta = json.loads(raw)
    except ValueError as err:
        raise _error(path, f"its mmmkit metadata is not valid JSON ({err}); {_REDO}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _error(path, f"its metadata does not say format {FORMAT!r}; {_REDO}.")
    version = meta.get("format_version")
    if not is_int(version) or version < 1:
        raise _error(path, f"its format_version {version!r} is not a version number; {_REDO}.")
    if version > FORMAT_VERSION:
        raise _error(path, f"it was written in format version {version}, newer than this "
                     f"mmmkit reads ({FORMAT_VERSION}); upgrade mmmkit to load it.")
    if not isinstance(meta.get("config"), dict):
        raise _error(path, f"its metadata has no specification ('config'); {_REDO}.")
    fit_info = meta.get("fit_info", {})
    if not isinstance(fit_info, dict) or not all(
            isinstance(v, str | int | float | bool) or v is None for v in fit_info.values()):
        raise _error(path, "its fit_info is not a table of plain values; "
                     f"{_REDO}.")
    meta["fit_info"] = fit_info
    return meta


def _provenance(path: Path, meta: dict, data, idata) -> dict:
    """The file's provenance record, checked; for a file written before mmmkit recorded it,
    a record saying so (:func:`mmmkit.provenance.older_file`)."""
    if "provenance" not in meta:
        return older_file(data, idata, meta["fit_info"])
    try:
        record = check_record(meta["provenance"])
    except ValueError as err:
        raise _error(path, f"its provenance is invalid: {err} Fix the field or {_REDO}.") \
            from None
    mismatch = data_mismatch(record["data"], data)
    if mismatch:
        raise _error(path, f"{mismatch}: the data or the provenance was edited after the save; "
                     f"{_REDO}.")
    return record


# -- the specification ---------------------------------------------------------------------------
def check_config(config) -> None:
    """Check the JSON types and values of a specification (:meth:`MMM.config` output).

    :meth:`MMM.__init__` coerces what it is given (``bool("no")`` is ``True``, ``"tv"`` is one
    channel) and leaves prior parameters to PyMC, so an edited file could load as a different
    model than the one saved. This holds each field to exactly what ``config()`` writes; the
    constructor's own checks (likelihood, prior names, ROAS priors) then run on top.

    Raises
    ------
    ValueError : naming the first wrong field.
    """

    if not isinstance(config, dict):
        raise ValueError(f"the specification is {type(config).__name__}, not a JSON object.")
    missing = [k for k in CONFIG_FIELDS if k not in config]
    extra = [k for k in config if k not in CONFIG_FIELDS and k not in OPTIONAL_FIELDS]
    if missing or extra:
        raise ValueError(f"the specification has fields missing {missing}, unknown {extra}.")
    for name in ("date", "target"):
        if not isinstance(config[name], str) or not config[name]:
            raise ValueError(f"field {name!r} must be a column name, got {config[name]!r}.")
    if config["geo"] is not None and (not isinstance(config["geo"], str) or not config["geo"]):
        raise ValueError(f"field 'geo' must be a column name or null, got {config['geo']!r}.")
    channels = _names(config, "channels", allow_empty=False)
    controls = _names(config, "controls", allow_empty=True)
    both = set(channels) & set(controls)
    if both:
        raise ValueError(f"fields 'channels' and 'controls' both name {sorted(both)}.")
    if not is_int(config["seasonality"]) or config["seasonality"] < 0:
        raise ValueError("field 'seasonality' must be a whole number >= 0, got "
                         f"{config['seasonality']!r}.")
    if not isinstance(config["trend"], bool):
        raise ValueError(f"field 'trend' must be true or false, got {config['trend']!r}.")
    drift = config.get("drift")
    if drift is not None and (not isinstance(drift, dict) or sorted(drift) != ["knot_weeks"]
                              or not is_int(drift["knot_weeks"]) or drift["knot_weeks"] < 4):
        raise ValueError("field 'drift' must be null or {\"knot_weeks\": a whole number >= 4}, "
                         f"got {drift!r}.")
    if config["likelihood"] not in LIKELIHOODS:
        raise ValueError(f"field 'likelihood' must be one of {LIKELIHOODS}, got "
                         f"{config['likelihood']!r}.")
    for part, known in (("adstock", ADSTOCKS), ("saturation", SATURATIONS)):
        spec = config[part]
        if not isinstance(spec, dict) or sorted(spec) != sorted(channels):
            raise ValueError(f"field {part!r} must give one transform per channel {channels}, "
                             f"got {spec!r}.")
        for channel, transform in spec.items():
            where = f"{part}[{channel!r}]"
            if not isinstance(transform, dict) or transform.get("class") not in known:
                raise ValueError(f"field {where} must name a transform class of "
                                 f"{sorted(known)}, got {transform!r}.")
            if "max_lag" in transform and (not is_int(transform["max_lag"])
                                           or transform["max_lag"] < 1):
                raise ValueError(f"field {where} max_lag must be a whole number >= 1, got "
                                 f"{transform['max_lag']!r}.")
            _priors(transform.get("priors"), f"{where} priors")
    _priors(config["priors"], "priors")
    _priors(config["roas_priors"], "roas_priors")
    tests = config["lift_tests"]
    if tests is not None and (not isinstance(tests, list) or not tests
                              or not all(isinstance(t, dict) for t in tests)):
        raise ValueError(f"field 'lift_tests' must be null or a list of records, got {tests!r}.")


def _names(config: dict, name: str, *, allow_empty: bool) -> list[str]:
    values = config[name]
    if (not isinstance(values, list) or (not values and not allow_empty)
            or not all(isinstance(v, str) and v for v in values)):
        raise ValueError(f"field {name!r} must be a list of column names, got {values!r}.")
    if len(set(values)) != len(values):
        raise ValueError(f"field {name!r} names a column twice: {values!r}.")
    return values


def _priors(priors, where: str) -> None:
    """``{name: {"dist": str, param: number or list of numbers}}``, numbers finite."""
    if not isinstance(priors, dict):
        raise ValueError(f"field {where!r} must be an object of priors, got {priors!r}.")
    for name, prior in priors.items():
        if not isinstance(prior, dict) or not isinstance(prior.get("dist"), str):
            raise ValueError(f"field {where!r}: prior {name!r} must be an object with a "
                             f"'dist', got {prior!r}.")
        for param, value in prior.items():
            if param == "dist":
                continue
            numbers = value if isinstance(value, list) and value else [value]
            if not all(is_number(v) for v in numbers):
                raise ValueError(f"field {where!r}: prior {name!r} parameter {param!r} must be "
                                 f"a finite number or a list of them, got {value!r}.")




def model_from_config(cls, config):
    """An unfitted ``cls`` with the specification ``config`` (:meth:`MMM.config` output).

    Rebuilds transforms, priors, ROAS priors and lift tests from JSON; shared by
    :func:`read_model` and :meth:`mmmkit.MMM.clone`.
    """

    ad = {ch: adstock_from_config(c) for ch, c in config["adstock"].items()}
    sat = {ch: saturation_from_config(c) for ch, c in config["saturation"].items()}
    model = cls(
        date=config["date"],
        target=config["target"],
        channels=list(config["channels"]),
        geo=config["geo"],
        controls=list(config["controls"]),
        adstock=_collapse(ad),
        saturation=_collapse(sat),
        seasonality=config["seasonality"],
        trend=config["trend"],
        likelihood=config["likelihood"],
        priors={k: Prior.from_dict(v) for k, v in config["priors"].items()},
        roas_priors={k: Prior.from_dict(v) for k, v in config.get("roas_priors", {}).items()},
        **{name: config.get(name, default) for name, default in OPTIONAL_FIELDS.items()
           if name != "drift"},
        drift=Drift.from_config(config.get("drift")) or False,
    )
    if config.get("lift_tests"):
        model.add_lift_tests(pd.DataFrame(config["lift_tests"]))
    return model


# -- the arrays ----------------------------------------------------------------------------------
def _model_data(path: Path, groups: dict[str, xr.Dataset], config: dict):
    """The fitted data, checked against the specification (names, dimensions, finite values)."""

    observed, const = groups["observed_data"], groups["constant_data"]
    target = _array(path, observed, "observed_data", config["target"], ("geo", "date"),
                    missing=True)
    spend = _array(path, const, "constant_data", "spend", ("geo", "date", "channel"))
    controls = _array(path, const, "constant_data", "control_values",
                      ("geo", "date", "control"))
    _coordinate(path, const, "constant_data", "channel", config["channels"])
    _coordinate(path, const, "constant_data", "control", config["controls"])
    if (spend < 0).any():
        raise _error(path, f"constant_data/spend has negative values; {_REDO}.")
    try:
        dates = pd.DatetimeIndex(observed["date"].to_index())
        geos = [str(g) for g in observed["geo"].values]
    except (KeyError, TypeError, ValueError) as err:
        raise _error(path, f"observed_data has no readable date and geo coordinates ({err}); "
                     f"{_REDO}.") from None
    shape = (len(geos), len(dates))
    if target.shape != shape or spend.shape[:2] != shape or controls.shape[:2] != shape:
        raise _error(path, f"its target {target.shape}, spend {spend.shape} and controls "
                     f"{controls.shape} do not cover the same geos and weeks; {_REDO}.")
    data = ModelData(dates=dates, geos=geos, channels=list(config["channels"]),
                     controls=list(config["controls"]), spend=spend, target=target,
                     control_values=controls)
    return _saved_scales(path, const, data)


def _saved_scales(path: Path, const: xr.Dataset, data: ModelData) -> ModelData:
    """``data`` with the scales the fit used, where they are not the arrays' own (a fit with
    ``scales=`` from an earlier fit, e.g. a refresh). Files written before the control scales
    were saved carry only the spend and target scales; their controls' are the arrays' own."""
    names = {"spend_scale": ("geo", "channel"), "target_scale": ("geo",),
             "control_mean": ("control",), "control_sd": ("control",)}
    saved = {name: (_array(path, const, "constant_data", name, dims)
                    if name in const.data_vars else getattr(data, name))
             for name, dims in names.items()}
    if all(np.array_equal(saved[name], getattr(data, name)) for name in names):
        return data
    scales = Scales(geos=tuple(data.geos), channels=tuple(data.channels),
                    controls=tuple(data.controls), **saved)
    try:
        return ModelData(dates=data.dates, geos=data.geos, channels=data.channels,
                         controls=data.controls, spend=data.spend, target=data.target,
                         control_values=data.control_values, scales=scales)
    except ValueError as err:
        raise _error(path, f"constant_data holds unusable scales ({err}); {_REDO}.") from None


def _array(path: Path, ds: xr.Dataset, group: str, name: str, dims: tuple, *,
           missing: bool = False) -> np.ndarray:
    """``group/name`` as floats with dimensions ``dims``, all finite (``missing``: NaN
    allowed, the unobserved weeks of an uneven panel's target)."""
    if name not in ds.data_vars:
        raise _error(path, f"its {group!r} group has no {name!r} array; {_REDO}.")
    var = ds[name]
    if var.dims != dims:
        raise _error(path, f"{group}/{name} has dimensions {var.dims}, expected {dims}; "
                     f"{_REDO}.")
    try:
        values = np.asarray(var.values, dtype=float)
    except (TypeError, ValueError):
        raise _error(path, f"{group}/{name} is not numeric; {_REDO}.") from None
    bad = np.isinf(values) if missing else ~np.isfinite(values)
    if bad.any() or (missing and np.isnan(values).all()):
        raise _error(path, f"{group}/{name} has missing or infinite values; {_REDO}.")
    return values


def _coordinate(path: Path, ds: xr.Dataset, group: str, dim: str, expected: list[str]) -> None:
    found = [str(v) for v in ds[dim].values] if dim in ds.coords else []
    if ds.sizes.get(dim, 0) != len(expected) or (expected and found != expected):
        raise _error(path, f"{group} has {dim}s {found}, but the specification names "
                     f"{expected}; {_REDO}.")


def _check_draws(path: Path, groups: dict[str, xr.Dataset], config: dict, data) -> None:
    """Posterior draws as fit() writes them: (chain, draw, ...) numbers, all finite.

    Finite because every variable fit() keeps is finite at a real draw; NaN draws are what an
    interrupted sampler pads its unfinished chains with.
    """
    posterior = groups["posterior"]
    if not posterior.data_vars or posterior.sizes.get("chain", 0) < 1 \
            or posterior.sizes.get("draw", 0) < 1:
        raise _error(path, f"its posterior holds no draws; {_REDO}.")
    for name, var in posterior.data_vars.items():
        if var.dims[:2] != ("chain", "draw"):
            raise _error(path, f"posterior/{name} has dimensions {var.dims}, expected "
                         f"(chain, draw, ...); {_REDO}.")
        _array(path, posterior, "posterior", name, var.dims)
    if "diverging" not in groups["sample_stats"].data_vars:
        raise _error(path, f"its sample_stats group has no 'diverging' array; {_REDO}.")
    _array(path, groups["posterior_predictive"], "posterior_predictive", config["target"],
           ("chain", "draw", "geo", "date"))


def check_evaluates(path: Path, model) -> None:
    """The model computes its expected target and noise at one draw: every parameter the
    specification needs is in the posterior, with the shape it needs."""
    data = model.data_
    try:
        engine = model.posterior_engine()
        spend = model.media.reorder(data.spend)
        mean = engine.expected_target(spend, data.dates, data.control_values, slice(0, 1))
        engine.observation_noise(mean.shape, slice(0, 1), np.random.default_rng(0))
    except (KeyError, ValueError, IndexError, TypeError) as err:
        raise _error(path, "its posterior draws do not match its specification "
                     f"({type(err).__name__}: {err}); {_REDO}.") from None


def _collapse(per_channel: dict):
    """One transform when every channel has an equal one (the usual case), else the dict."""
    values = list(per_channel.values())
    if all(v == values[0] for v in values):
        return values[0]
    return per_channel


def _jsonable(info: dict) -> dict:
    out = {}
    for k, v in info.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str | int | float | bool) or v is None:
            out[k] = v
    return out
