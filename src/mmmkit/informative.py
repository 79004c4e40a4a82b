"""Checks that the columns of a readable table carry something to estimate.

A channel that never spends, a constant target (overall or in one geo) and a constant control
all parse fine but leave the model nothing to learn from; each raises
:class:`~mmmkit.errors.DataError` saying which column and what to drop. A target with
negative weeks is allowed and only warned about (:func:`warn_negative_target`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from mmmkit.errors import DataError
from mmmkit.rows import Rows, first_true, value_text

__all__ = [
    "check_controls_vary",
    "check_spend_present",
    "check_target_varies",
    "warn_negative_target",
]


def check_spend_present(
    values: dict[Any, np.ndarray], channels: list[str], fix: str | None = None
) -> None:
    """Every channel spends at least once; ``fix`` is the caller's advice (see ``hints``)."""
    fix = fix or "drop it from channels (or pass require_spend=False for a scenario frame)"
    for col in channels:
        if not values[col].any():
            n = len(values[col])
            rows = f"all {n} rows are 0" if n > 1 else "its only row is 0"
            raise DataError(
                f"channel {col!r} has no spend at all ({rows}), so "
                f"its effect cannot be estimated; {fix}."
            )


def check_target_varies(
    y: np.ndarray, geo_codes: np.ndarray, geo_names: Any, *, target: Any, geo: Any
) -> None:
    """The target varies, overall and within every geo (an all-zero KPI is a wrong column)."""
    if y.min() == y.max():
        raise DataError(
            f"target {target!r} is constant (every row is {value_text(y[0])}), so there is "
            "nothing to explain; check that the right column is passed as target."
        )
    if geo is None:
        return
    lo = np.full(len(geo_names), np.inf)
    hi = np.full(len(geo_names), -np.inf)
    np.minimum.at(lo, geo_codes, y)
    np.maximum.at(hi, geo_codes, y)
    flat = np.flatnonzero(lo == hi)
    if flat.size:
        g = int(flat[0])
        more = f" ({flat.size} geos in all)" if flat.size > 1 else ""
        raise DataError(
            f"target {target!r} is constant for geo={geo_names[g]} (every week is "
            f"{value_text(lo[g])}){more}, so that geo says nothing about media; check its rows "
            "or drop the geo from the frame."
        )


def check_controls_vary(values: dict[Any, np.ndarray], controls: list[str]) -> None:
    """Every control varies somewhere in the frame."""
    for col in controls:
        v = values[col]
        if v.min() == v.max():
            raise DataError(
                f"control {col!r} is constant (every row is {value_text(v[0])}), so its effect "
                "cannot be estimated apart from the baseline; drop it from controls."
            )


def warn_negative_target(y: np.ndarray, rows: Rows, *, target: Any, stacklevel: int = 3) -> None:
    """Say how a target with negative weeks is modelled (it is allowed).

    The default ``stacklevel`` points the ``UserWarning`` at the caller of the function that
    calls this one (the caller of :func:`~mmmkit.validate_frame`).
    """
    negative = y < 0
    if not negative.any():
        return
    pos = first_true(negative)
    n = int(np.count_nonzero(negative))
    warnings.warn(
        f"target {target!r} is negative in {n} of {len(y)} rows (first {value_text(y[pos])} at "
        f"{rows.at(pos)}). That is allowed: each geo's target is divided by its mean absolute "
        "value and fitted as it is, but media contributions are always positive and the "
        "baseline is expected near 75% of the mean, so negative weeks are put down to the "
        "baseline, controls and noise. For a net figure (profit), a positive KPI (revenue) "
        "usually models better.",
        UserWarning,
        stacklevel=stacklevel,
    )
