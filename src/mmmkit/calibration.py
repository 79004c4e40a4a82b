"""Calibration data: lift tests (experiments) and ROAS priors, prepared for the model graph.

A lift test says: "in these weeks (and geos) we changed the channel's spend by this much, and
the KPI moved by ``lift`` ± ``lift_se`` over the measurement window". The model reproduces the
experiment on its own terms — same channel, geos, weeks and spend change, carry-in from the
weeks before and carryover into the measurement window — and the measured lift enters the
likelihood as ``Normal(model_lift, lift_se)``. So an experiment informs exactly the part of the
response curve it probed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmmkit.adstock import lag_stack
from mmmkit.design import ModelData
from mmmkit.errors import DataError
from mmmkit.priors import Prior

LIFT_COLUMNS = ("channel", "start", "end", "spend_change", "lift", "lift_se")
OPTIONAL_COLUMNS = ("geo", "measure_end")


@dataclass
class LiftTestArrays:
    """One experiment in the model's layout.

    ``base_lags`` and ``alt_lags`` are ``(L, G', W)`` lagged *scaled* spend of the channel for
    the test's geos over its measurement window (``W`` weeks), without and with the change;
    ``geo_index`` picks those geos; the observed lift and its standard error are in target units.
    """

    channel: str
    geo_index: list[int]
    base_lags: np.ndarray
    alt_lags: np.ndarray
    lift: float
    lift_se: float


def validate_lift_tests(tests: pd.DataFrame, channels: Sequence[str],
                        geo: str | None) -> pd.DataFrame:
    """Check a lift-test table; returns a clean copy (dates parsed, one row per test).

    Columns: ``channel``, ``start``, ``end`` (first and last week with changed spend),
    ``spend_change`` (currency over the whole window; negative for a pause), ``lift``
    (measured incremental target over the measurement window, target units), ``lift_se``
    (its standard error, > 0); optional ``geo`` (blank = all geos) and ``measure_end`` (last
    week of measurement, default ``end``; later to count carryover).
    """
    if not isinstance(tests, pd.DataFrame) or len(tests) == 0:
        raise DataError("lift tests must be a non-empty DataFrame with columns "
                        f"{list(LIFT_COLUMNS)} (optional {list(OPTIONAL_COLUMNS)}).")
    missing = [c for c in LIFT_COLUMNS if c not in tests.columns]
    if missing:
        raise DataError(f"lift tests: column {missing[0]!r} is missing; the table needs "
                        f"{list(LIFT_COLUMNS)} (optional {list(OPTIONAL_COLUMNS)}).")
    clean = tests.copy(deep=True).reset_index(drop=True)
    for col in ("start", "end", "measure_end"):
        if col in clean:
            parsed = pd.to_datetime(clean[col], errors="coerce")
            bad = parsed.isna() & (clean[col].notna() if col == "measure_end" else True)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"lift tests: column {col!r} has no readable date in row {i} "
                                f"({clean[col].iloc[i]!r}).")
            clean[col] = parsed.dt.normalize()
    if "measure_end" not in clean:
        clean["measure_end"] = clean["end"]
    clean["measure_end"] = clean["measure_end"].fillna(clean["end"])
    for col in ("spend_change", "lift", "lift_se"):
        values = pd.to_numeric(clean[col], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"lift tests: column {col!r} needs a finite number in row {i}, "
                            f"got {clean[col].iloc[i]!r}.")
        clean[col] = values.astype(float)
    for i, row in clean.iterrows():
        where = f"lift test row {i} ({row['channel']}, {row['start'].date()})"
        if row["channel"] not in channels:
            raise DataError(f"{where}: channel {row['channel']!r} is not one of the model's "
                            f"channels {list(channels)}.")
        if row["end"] < row["start"] or row["measure_end"] < row["end"]:
            raise DataError(f"{where}: needs start <= end <= measure_end.")
        if row["lift_se"] <= 0:
            raise DataError(f"{where}: lift_se must be > 0 (the experiment's standard error, "
                            "in target units).")
        if row["spend_change"] == 0:
            raise DataError(f"{where}: spend_change is 0, so the test carries no information "
                            "about the channel's response.")
    if "geo" in clean and geo is None and clean["geo"].notna().any():
        raise DataError("lift tests name geos but the model is national (no geo column).")
    return clean


def lift_test_arrays(tests: pd.DataFrame | None, data: ModelData,
                     max_lag: Mapping[str, int]) -> list[LiftTestArrays]:
    """Each validated test as lagged scaled spend without and with its spend change (none
    for ``tests=None``).

    The change is spread over the test's weeks (and, when no geo is named in a panel, its
    geos) in proportion to the channel's spend there, so a change of minus the window's spend
    is a pause; evenly when nothing was spent. Spend may not go below zero.
    """
    out = []
    if tests is None:
        return out
    dates = data.dates
    for i, row in tests.iterrows():
        where = f"lift test row {i} ({row['channel']}, {row['start'].date()})"
        c = data.channels.index(row["channel"])
        for col in ("start", "measure_end"):
            if row[col] < dates[0] or row[col] > dates[-1]:
                raise DataError(f"{where}: {col} {row[col].date()} is outside the fitted weeks "
                                f"{dates[0].date()}..{dates[-1].date()}.")
        t0 = int(dates.searchsorted(row["start"]))
        t1 = int(dates.searchsorted(row["end"], side="right"))
        t2 = int(dates.searchsorted(row["measure_end"], side="right"))
        geo_value = row.get("geo")
        if geo_value is None or (isinstance(geo_value, float) and np.isnan(geo_value)):
            geos = list(range(data.n_geos))
        elif str(geo_value) in data.geos:
            geos = [data.geos.index(str(geo_value))]
        else:
            raise DataError(f"{where}: geo {geo_value!r} is not one of the fitted geos.")
        lag = max_lag[row["channel"]]
        lo = max(t0 - (lag - 1), 0)  # carry-in from the weeks before the test
        base = data.spend[geos, lo:t2, c]  # (G', W + history)
        window = base[:, t0 - lo : t1 - lo]
        # in proportion to what was spent in each week and geo, so that -100% of the window's
        # spend is exactly a pause and +20% exactly +20%; evenly if nothing was spent
        share = window / window.sum() if window.sum() > 0 else np.full(window.shape,
                                                                          1 / window.size)
        change = row["spend_change"] * share
        alt = base.copy()
        alt[:, t0 - lo : t1 - lo] = window + change
        if (alt < -1e-9).any():
            raise DataError(f"{where}: spend_change {row['spend_change']:,.0f} removes more "
                            "than the channel spent in those weeks.")
        scale = data.spend_scale[geos, c][:, None]
        history = t0 - lo
        out.append(LiftTestArrays(
            channel=row["channel"], geo_index=geos,
            base_lags=lag_stack((base / scale)[..., None], lag)[:, :, history:, 0],
            alt_lags=lag_stack((np.maximum(alt, 0) / scale)[..., None], lag)[:, :, history:, 0],
            lift=float(row["lift"]), lift_se=float(row["lift_se"]),
        ))
    return out


def lift_test_structure(tests: Sequence[LiftTestArrays]) -> list[dict]:
    """What the compiled graph depends on: each test's channel, geos and lag-stack shape
    ``(L, G', W)`` (its spend, lift and standard error are data)."""
    return [{"channel": t.channel, "geo_index": list(t.geo_index),
             "shape": list(t.base_lags.shape)} for t in tests]


def combine_roas_priors(roas_priors: Mapping[str, Prior], channels: Sequence[str]) -> Prior:
    """One vector prior over the ROAS channels (in ``channels`` order) from per-channel priors.

    All must be of the same family so that one PyMC variable (``channel_roas``) holds them.
    """
    unknown = [ch for ch in roas_priors if ch not in channels]
    if unknown:
        raise ValueError(f"roas_priors names {unknown}, which are not channels {list(channels)}.")
    priors = [roas_priors[ch] for ch in channels]
    families = {p.dist for p in priors}
    keys = {tuple(sorted(p.params)) for p in priors}
    if len(families) > 1 or len(keys) > 1:
        raise ValueError("All ROAS priors must use the same distribution and parameter names "
                         f"(got {sorted(families)}); e.g. LogNormal(mu=..., sigma=...) for each.")
    names = next(iter(keys))
    stacked = {k: [float(np.asarray(p.params[k]).ravel()[0]) for p in priors] for k in names}
    return Prior(priors[0].dist, **stacked)


def lift_tests_to_records(tests: pd.DataFrame | None) -> list[dict] | None:
    """Lift tests as JSON records (dates as ISO text) for the specification and the file."""
    if tests is None:
        return None
    out = tests.copy()
    for col in ("start", "end", "measure_end"):
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    if "geo" in out:
        out["geo"] = out["geo"].astype(object).where(out["geo"].notna(), None)
    return out.to_dict(orient="records")
