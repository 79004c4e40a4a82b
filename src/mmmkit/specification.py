"""Checking an :class:`mmmkit.MMM` specification before any data is seen: column names,
transforms (given as objects or by name) and the seasonality order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# Weekly data sample the year about 52.18 times; a yearly Fourier term of order k has a period
# of 52.18 / k weeks, and above order 26 that is shorter than two weeks (the Nyquist limit):
# such a term repeats a lower one's pattern at the weekly dates and cannot be estimated apart.
MAX_SEASONALITY = 26


def check_seasonality(seasonality: Any) -> None:
    """A yearly Fourier order weekly data can carry: a whole number in ``0 .. 26``."""
    whole = isinstance(seasonality, int | np.integer) and not isinstance(seasonality, bool)
    if isinstance(seasonality, float) and float(seasonality).is_integer():
        whole = True  # 2.0 from a config file is fine
    if not whole or seasonality < 0:
        raise ValueError(
            f"seasonality is the order of the yearly Fourier seasonality, a whole number >= 0 "
            f"(0 for none, 2-4 is usual), got {seasonality!r}."
        )
    if seasonality > MAX_SEASONALITY:
        raise ValueError(
            f"seasonality={seasonality!r} is above {MAX_SEASONALITY}, the highest yearly "
            "Fourier order weekly data can carry: order k repeats every 52/k weeks, and above "
            f"{MAX_SEASONALITY} that is under two weeks, which weekly dates cannot tell from a "
            f"lower order; use 0-{MAX_SEASONALITY} (2-4 is usual)."
        )


def check_column_names(*, date: Any, target: Any, channels: list, geo: Any,
                        controls: list) -> None:
    """Every column name is text: integer names fit, but the saved file (xarray) rejects them.

    Checked here rather than converted: the frame's columns would have to be renamed too, in
    every frame the model later reads (predict, scenarios), and a silent rename is confusing.
    """
    named = [("date", date), ("target", target), ("geo", geo)]
    named += [("channels", c) for c in channels] + [("controls", c) for c in controls]
    for role, name in named:
        if role == "geo" and name is None:
            continue
        if not isinstance(name, str):
            raise ValueError(
                f"column names must be strings, but {role} has {name!r} "
                f"({type(name).__name__}): rename {name!r} -> '{name}' in the frame (e.g. "
                "df.columns = df.columns.astype(str)) and pass the string name."
            )


def resolve_transforms(spec: Any, what: str, base: type, names: Mapping[str, type],
               channels: list[str]) -> Any:
    """``spec`` with transform names (``"hill"``) replaced by default instances.

    Accepts ``None`` (the default), one transform or name, or ``{channel: transform or
    name}``; anything else is a ``ValueError`` here rather than an ``AttributeError`` later.
    """
    def one(value: Any, where: str) -> Any:
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_").replace(" ", "_")
            if key not in names:
                raise ValueError(
                    f"{where}: unknown {what} {value!r}; use one of {sorted(names)} or a "
                    f"{base.__name__} object such as {next(iter(names.values())).__name__}()."
                )
            return names[key]()
        if not isinstance(value, base):
            article = "an" if base.__name__[0] in "AEIOU" else "a"
            raise ValueError(
                f"{where} must be {article} {base.__name__} (e.g. "
                f"{next(iter(names.values())).__name__}()) or one of the names {sorted(names)}, "
                f"got {value!r}."
            )
        return value

    if spec is None:
        return None
    if isinstance(spec, Mapping):
        # Unknown or missing channels are reported by MediaBlock, which checks the keys.
        return {ch: one(v, f"{what}[{ch!r}]") for ch, v in spec.items()}
    return one(spec, what)


def check_unit(value: Any, name: str) -> str | None:
    """A unit label (``kpi_unit``, ``currency``): ``None`` or non-blank text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a short text such as 'EUR' or 'conversions', or "
                         f"None, got {value!r}.")
    return value.strip()


def frame_hints(max_lags: Mapping[str, int], min_weeks: int) -> dict[str, str]:
    """Advice for :func:`mmmkit.validate_frame` in terms of what an MMM user can change.

    ``MMM.prepare`` sets ``min_weeks`` and ``require_spend`` itself, so the default advice
    naming them would point at arguments ``MMM`` does not take. ``max_lags``: each channel's
    adstock length (weeks).
    """
    lag = max(max_lags.values())
    if lag + 1 > min_weeks:
        longest = next(ch for ch, value in max_lags.items() if value == lag)
        weeks = (f"the adstock of {longest!r} has max_lag={lag}, longer than the data — use "
                 "a shorter max_lag in the adstock (e.g. GeometricAdstock(max_lag=8)), or "
                 "give more weeks")
    else:
        weeks = f"an MMM is fitted on at least {min_weeks} weeks — give a longer history"
    return {"min_weeks": weeks,
            "no_spend": "drop it from the MMM's channels (and from the frame if you like)"}
