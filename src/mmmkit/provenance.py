"""Provenance of a fitted model: which data, settings, versions and time it came from.

Every fitted :class:`mmmkit.MMM` carries a record in ``model.provenance_`` (a JSON-friendly
dict) that :meth:`mmmkit.MMM.save` writes into the model file and :meth:`mmmkit.MMM.load`
reads back unchanged. :func:`card` turns it into a short plain-words summary
(:meth:`mmmkit.MMM.card`). The specification itself is not repeated here: it is the file's
``config`` (:meth:`mmmkit.MMM.config`).

The record (``PROVENANCE_VERSION`` 1) holds:

``provenance_version`` : int, 1.
``source`` : how the draws came about: ``"fit"`` (:meth:`mmmkit.MMM.fit`), ``"given"``
    (:meth:`mmmkit.MMM.from_posterior`) or ``"older file"`` (loaded from a file written before
    mmmkit recorded provenance: ``data``, ``fit`` and ``diagnostics`` are then recomputed from
    the file, and ``fitted_at``, ``python``, ``platform`` are ``None``, ``versions`` empty).
``data`` : :func:`describe_data`: the fingerprint (:func:`fingerprint`), its layout number,
    rows (geo-weeks), geos, weeks, first and last week (``YYYY-MM-DD``).
``fit`` : the sampler settings and timings of ``model.fit_info_`` (method, seed, sampler,
    draws, tune, chains, target_accept, compile and sampling seconds ...), plain values only.
``diagnostics`` : ``divergences`` (count), ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``
    (effective draws), ``draws`` (kept draws); a statistic that does not exist (r-hat of one
    chain) is ``None``.
``versions`` : ``{package: version}`` for mmmkit and its numerical dependencies installed.
``fitted_at`` : UTC time the fit finished, ISO 8601 (``2026-03-02T14:05:09Z``).
``python``, ``platform`` : :func:`platform.python_version` and :func:`platform.platform`.
``note``, ``author`` : free text or ``None``; set with :func:`annotate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import platform
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.design import ModelData
from mmmkit.diagnostics import summarize_diagnostics
from mmmkit.jsonvalues import is_int, is_number

PROVENANCE_VERSION = 1
FINGERPRINT_LAYOUT = 1
SOURCES = ("fit", "given", "older file")
# mmmkit and the packages its numbers depend on (model, sampler, arrays, file); each recorded
# when installed
PACKAGES = ("mmmkit", "numpy", "pandas", "scipy", "xarray", "pymc", "pytensor", "arviz",
            "nutpie", "numba", "h5netcdf")
NOT_RECORDED = "not recorded (file written by an older mmmkit)"
FIELDS = ("provenance_version", "source", "data", "fit", "diagnostics", "versions",
          "fitted_at", "python", "platform", "note", "author")
DATA_FIELDS = ("fingerprint", "fingerprint_layout", "rows", "geos", "weeks", "first_date",
               "last_date")
DIAGNOSTIC_FIELDS = ("divergences", "max_r_hat", "min_ess_bulk", "min_ess_tail", "draws")
COUNTS = ("divergences", "draws")
_KEEP = object()


# -- the data ------------------------------------------------------------------------------------
def fingerprint(data: ModelData) -> str:
    """SHA-256 of the data a model was fitted on, as 64 lowercase hex characters.

    Computed from the model's arrays (:class:`~mmmkit.design.ModelData`), so it covers exactly
    the columns and rows the model used, in the model's own order: the same weeks, geos and
    values give the same hash whatever the row order or the other columns of the frame.

    Layout 1 (``FINGERPRINT_LAYOUT``): the hash runs over the ASCII line
    ``mmmkit-data-fingerprint 1\\n`` and then, for each part in the order ``dates, geos,
    channels, controls, spend, target, control_values``, a header line
    ``<name> <kind> <shape, comma-separated> <payload bytes>\\n`` (ASCII) followed by the
    payload:

    - ``dates`` (kind ``<i8``, ``(T,)``): each week as int64 nanoseconds since
      1970-01-01 (the dates as given, no time zone), little-endian;
    - ``geos``, ``channels``, ``controls`` (kind ``json``, ``(G,)``, ``(C,)``, ``(K,)``):
      the names as a compact UTF-8 JSON array of strings (``["north","south"]``);
    - ``spend`` ``(G, T, C)``, ``target`` ``(G, T)``, ``control_values`` ``(G, T, K)`` (kind
      ``<f8``): float64, little-endian, C order (last axis fastest), ``-0.0`` written as
      ``0.0``. Units as fitted: currency, KPI, the controls' own.

    Parameters
    ----------
    data : the fitted arrays (``model.fitted_data()``).

    Returns
    -------
    str : 64 hex characters.
    """
    h = hashlib.sha256(f"mmmkit-data-fingerprint {FINGERPRINT_LAYOUT}\n".encode("ascii"))
    dates = np.asarray(pd.DatetimeIndex(data.dates).tz_localize(None)
                       .to_numpy(dtype="datetime64[ns]"))
    parts = [("dates", "<i8", dates.view("int64").astype("<i8"))]
    parts += [(name, "json", [str(v) for v in values]) for name, values in
              (("geos", data.geos), ("channels", data.channels), ("controls", data.controls))]
    parts += [(name, "<f8", np.asarray(values, dtype="<f8") + 0.0) for name, values in
              (("spend", data.spend), ("target", data.target),
               ("control_values", data.control_values))]
    for name, kind, values in parts:
        if kind == "json":
            shape = (len(values),)
            payload = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
        else:
            shape = values.shape
            payload = np.ascontiguousarray(values).tobytes()
        dims = ",".join(str(n) for n in shape)
        h.update(f"{name} {kind} {dims} {len(payload)}\n".encode("ascii"))
        h.update(payload)
    return h.hexdigest()


def describe_data(data: ModelData) -> dict[str, Any]:
    """The record's ``data`` section: fingerprint, rows (geo-weeks), geos, weeks, date range.

    Returns
    -------
    dict with ``fingerprint`` (:func:`fingerprint`), ``fingerprint_layout`` (int),
    ``rows`` (``geos * weeks``), ``geos``, ``weeks`` (counts), ``first_date`` and
    ``last_date`` (``YYYY-MM-DD``, the first and last fitted week).
    """
    dates = pd.DatetimeIndex(data.dates)
    return {
        "fingerprint": fingerprint(data),
        "fingerprint_layout": FINGERPRINT_LAYOUT,
        "rows": int(data.n_geos * data.n_weeks),
        "geos": int(data.n_geos),
        "weeks": int(data.n_weeks),
        "first_date": dates[0].strftime("%Y-%m-%d"),
        "last_date": dates[-1].strftime("%Y-%m-%d"),
    }


# -- the record ----------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    """``{package: version}`` of mmmkit and its numerical dependencies that are installed
    (read with :mod:`importlib.metadata`, so nothing is imported)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def record(data: ModelData, idata, fit_info: Mapping[str, Any], *,
           diagnostics: Mapping[str, Any] | None = None, source: str = "fit",
           note: str | None = None, author: str | None = None) -> dict[str, Any]:
    """The provenance record of a fit that finished now (see the module docstring).

    Takes the fitted pieces rather than the model, so :meth:`mmmkit.MMM.fit` can build the
    record before it assigns anything (a failed call changes nothing).

    Parameters
    ----------
    data : the fitted arrays.
    idata : the fitted ``arviz.InferenceData`` (``posterior`` and ``sample_stats`` with
        ``diverging``).
    fit_info : ``model.fit_info_``: sampler settings and timings; values that are not plain
        JSON values (str, int, float, bool, None; numpy scalars are converted) are left out.
    diagnostics : :func:`mmmkit.diagnostics.summarize_diagnostics` of ``idata`` when the
        caller already has it; computed otherwise.
    source : ``"fit"``, ``"given"`` or ``"older file"``.
    note, author : free text, or ``None``.

    Returns
    -------
    dict : JSON-friendly (``json.dumps`` writes it as is), fields ``FIELDS``.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}.")
    _check_text(note, "note")
    _check_text(author, "author")
    if diagnostics is None:
        diagnostics = summarize_diagnostics(idata)
    environment = source != "older file"
    return {
        "provenance_version": PROVENANCE_VERSION,
        "source": source,
        "data": describe_data(data),
        "fit": plain_values(fit_info),
        "diagnostics": {k: _number(diagnostics.get(k), whole=k in COUNTS)
                        for k in DIAGNOSTIC_FIELDS},
        "versions": versions() if environment else {},
        "fitted_at": (dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                      if environment else None),
        "python": platform.python_version() if environment else None,
        "platform": platform.platform() if environment else None,
        "note": note,
        "author": author,
    }


def older_file(data: ModelData, idata, fit_info: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a model loaded from a file written before mmmkit recorded provenance:
    data, fit settings and diagnostics recomputed from the file; when, where and with which
    versions it was fitted unknown (``source`` ``"older file"``)."""
    return record(data, idata, fit_info, source="older file")


def plain_values(info: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``info`` that JSON writes as they are: str, int, float (finite), bool and
    None; numpy scalars converted; other values (and NaN, inf) left out."""
    out = {}
    for key, value in info.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            out[str(key)] = value
    return out


def _number(value, *, whole: bool) -> int | float | None:
    """A statistic as JSON writes it: ``None`` for a missing or non-finite one."""
    if value is None or not math.isfinite(float(value)):
        return None
    return int(value) if whole else float(value)


def _check_text(value, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be text or None, got {type(value).__name__}.")


def annotate(model, *, note: str | None = _KEEP, author: str | None = _KEEP
             ) -> dict[str, Any]:
    """Set the free-text ``note`` and/or ``author`` of a fitted model's provenance.

    Only the fields given change (``None`` clears one); :meth:`mmmkit.MMM.save` writes them
    with the rest of the record. Returns the new record (also ``model.provenance_``).

    Raises
    ------
    mmmkit.NotFittedError : the model is not fitted.
    TypeError : a note or author that is not text or None.
    """
    model.fitted_data()
    updated = dict(model.provenance_)
    for name, value in (("note", note), ("author", author)):
        if value is not _KEEP:
            _check_text(value, name)
            updated[name] = value
    model.provenance_ = updated
    return updated


# -- reading a record back -----------------------------------------------------------------------
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)")


def check_record(value) -> dict[str, Any]:
    """``value`` (parsed JSON) checked to be a record as :func:`record` writes it; returned.

    Only JSON types are read: nothing in a file is executed.

    Raises
    ------
    ValueError : naming the first wrong field (``provenance.data.rows`` ...).
    """
    if not isinstance(value, dict):
        raise ValueError(f"field 'provenance' must be an object, got {_short(value)}.")
    version = value.get("provenance_version")
    if not is_int(version) or version < 1:
        raise ValueError(f"field 'provenance.provenance_version' must be a version number, got "
                         f"{_short(version)}.")
    if version > PROVENANCE_VERSION:
        raise ValueError(f"field 'provenance.provenance_version' is {version}, newer than this "
                         f"mmmkit reads ({PROVENANCE_VERSION}); upgrade mmmkit.")
    missing = [k for k in FIELDS if k not in value]
    extra = [k for k in value if k not in FIELDS]
    if missing or extra:
        raise ValueError(f"field 'provenance' has fields missing {missing}, unknown {extra}.")
    if value["source"] not in SOURCES:
        raise ValueError(f"field 'provenance.source' must be one of {SOURCES}, got "
                         f"{_short(value['source'])}.")
    _check_data(value["data"])
    _check_table(value["fit"], "fit", lambda v: isinstance(v, str | bool) or v is None
                 or is_number(v), "plain values")
    diag = value["diagnostics"]
    _check_table(diag, "diagnostics", lambda v: v is None or is_number(v), "numbers or null")
    if sorted(diag) != sorted(DIAGNOSTIC_FIELDS):
        raise ValueError(f"field 'provenance.diagnostics' must hold {list(DIAGNOSTIC_FIELDS)}, "
                         f"got {sorted(diag)}.")
    _check_table(value["versions"], "versions", lambda v: isinstance(v, str) and v, "text")
    _check_field(value, "fitted_at", lambda v: isinstance(v, str) and _UTC.fullmatch(v),
                 "a UTC time (ISO 8601)")
    for name in ("python", "platform", "note", "author"):
        _check_field(value, name, lambda v: isinstance(v, str), "text")
    return value


def _check_data(data) -> None:
    if not isinstance(data, dict) or sorted(data) != sorted(DATA_FIELDS):
        raise ValueError(f"field 'provenance.data' must be an object with {list(DATA_FIELDS)}, "
                         f"got {_short(data)}.")
    if not isinstance(data["fingerprint"], str) or not _HEX64.fullmatch(data["fingerprint"]):
        raise ValueError("field 'provenance.data.fingerprint' must be 64 hex characters, got "
                         f"{_short(data['fingerprint'])}.")
    for name in ("fingerprint_layout", "rows", "geos", "weeks"):
        if not is_int(data[name]) or data[name] < 1:
            raise ValueError(f"field 'provenance.data.{name}' must be a whole number >= 1, got "
                             f"{_short(data[name])}.")
    for name in ("first_date", "last_date"):
        if not isinstance(data[name], str) or not _DAY.fullmatch(data[name]):
            raise ValueError(f"field 'provenance.data.{name}' must be a date YYYY-MM-DD, got "
                             f"{_short(data[name])}.")


def _check_table(table, name: str, ok, what: str) -> None:
    if not isinstance(table, dict) or not all(ok(v) for v in table.values()):
        raise ValueError(f"field 'provenance.{name}' must be an object of {what}, got "
                         f"{_short(table)}.")


def _check_field(value: dict, name: str, ok, what: str) -> None:
    if value[name] is not None and not ok(value[name]):
        raise ValueError(f"field 'provenance.{name}' must be {what} or null, got "
                         f"{_short(value[name])}.")




def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def data_mismatch(saved: Mapping[str, Any], data: ModelData) -> str | None:
    """How a record's ``data`` section differs from the arrays it sits with (``None``: it
    matches): the first field whose saved value is not the one ``data`` gives."""
    actual = describe_data(data)
    for name in DATA_FIELDS:
        if saved.get(name) != actual[name]:
            return (f"its provenance says data {name} {saved.get(name)!r}, but its arrays give "
                    f"{actual[name]!r}")
    return None


# -- the card ------------------------------------------------------------------------------------
def card(model) -> str:
    """A short plain-words summary of a fitted model's provenance, one topic a line.

    What was fitted (target, channels, geos, controls), on which data (rows, geos, weeks,
    date range, the first 12 hex characters of the fingerprint), how (sampler, draws, chains,
    seconds, divergences, r-hat, ESS), with which versions, when, and the note and author.

    Raises
    ------
    mmmkit.NotFittedError : the model is not fitted.
    """
    fitted = model.fitted_data()
    geo = "national" if model.geo is None else f"{fitted.n_geos} geos ({model.geo!r})"
    lines = [
        f"Model: {model.target!r} on {_count(len(model.channels), 'channel')} "
        f"({', '.join(model.channels)}), {geo}, controls: {', '.join(model.controls) or 'none'}"
        f"; likelihood {model.likelihood}.",
    ]
    rec = model.provenance_
    if rec is None:  # fitted state assigned by hand, not by fit, from_posterior or load
        return "\n".join([*lines, "Provenance: not recorded."])
    data, fit, diag = rec["data"], rec["fit"], rec["diagnostics"]
    lines += [
        f"Data: {_count(data['rows'], 'row')} ({_count(data['geos'], 'geo')} x "
        f"{_count(data['weeks'], 'week')}), "
        f"{data['first_date']} to {data['last_date']}; fingerprint {data['fingerprint'][:12]}.",
        f"Fit: {_how(fit)}.",
        f"Sampler health: {_health(diag)}.",
    ]
    if rec["source"] == "older file":
        lines += [f"Versions: {NOT_RECORDED}.", f"Fitted: {NOT_RECORDED}."]
    else:
        env = ", ".join(f"{k} {v}" for k, v in rec["versions"].items())
        lines += [f"Versions: {env or 'none found'}.",
                  f"Fitted: {rec['fitted_at']} (UTC), Python {rec['python']} on "
                  f"{rec['platform']}."]
    if rec["note"] or rec["author"]:
        lines.append(f"Note: {rec['note'] or '-'} (author: {rec['author'] or 'not given'}).")
    return "\n".join(lines)


def _count(n, noun: str) -> str:
    if not is_int(n):
        return f"{n if n is not None else '?'} {noun}s"
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _how(fit: Mapping[str, Any]) -> str:
    method = fit.get("method", "nuts")
    chains, draws = _count(fit.get("chains"), "chain"), _count(fit.get("draws"), "draw")
    seed = f"seed {fit.get('seed')}"
    if method == "given":
        return f"draws given, not sampled (from_posterior): {chains} x {draws}, predictive {seed}"
    if method != "nuts":
        seconds = _seconds(fit, ("approximation_seconds",))
        return f"draft {method} (approximate), {draws} in one chain, {seed}{seconds}"
    seconds = _seconds(fit, ("compile_seconds", "sampling_seconds"))
    return (f"NUTS with {fit.get('sampler', '?')}, {chains} x {draws} after "
            f"{fit.get('tune', '?')} tuning, target_accept {fit.get('target_accept', '?')}, "
            f"{seed}{seconds}")


def _seconds(fit: Mapping[str, Any], names: tuple[str, ...]) -> str:
    parts = [f"{name.removesuffix('_seconds')} {fit[name]:.1f} s" for name in names
             if is_number(fit.get(name))]
    return f"; {', '.join(parts)}" if parts else ""


def _health(diag: Mapping[str, Any]) -> str:
    def show(name: str, fmt: str) -> str:
        value = diag.get(name)
        return "n/a" if value is None else format(value, fmt)

    return (f"{show('divergences', ',.0f')} divergences in {show('draws', ',.0f')} draws, "
            f"largest r-hat {show('max_r_hat', '.3f')}, smallest ESS "
            f"{show('min_ess_bulk', ',.0f')} (bulk) / {show('min_ess_tail', ',.0f')} (tail)")
