"""Checks on the column names a caller passes: roles, existence, uniqueness.

These need no data, only the frame's column labels, so they run before any cell is read.
Each raises :class:`~mmmkit.errors.DataError` saying which name is wrong and what to pass
instead (a close match, or a column that sits in the index).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.errors import DataError

__all__ = ["as_name_list", "check_columns", "check_roles"]

# The available columns a "not found" message lists before it cuts the list.
_MAX_COLUMNS_LISTED = 30


def as_name_list(names: Sequence[str], what: str) -> list[str]:
    """``names`` as a list; raises for a bare string (``what`` names the argument)."""
    # A bare string is a Sequence[str] too, and would silently become one column per letter.
    if isinstance(names, str):
        raise DataError(
            f"{what} must be a list of column names, not the string {names!r}; "
            f"write {what}=[{names!r}]."
        )
    return list(names)


def check_roles(
    *,
    date: str,
    target: str | None,
    channels: list[str],
    geo: str | None,
    controls: list[str],
) -> None:
    """Each column plays exactly one role, once."""
    for names, what in ((channels, "channels"), (controls, "controls")):
        seen: set[Any] = set()
        for name in names:
            if name in seen:
                raise DataError(
                    f"column {name!r} is listed twice in {what}; list each column once."
                )
            seen.add(name)
    roles: list[tuple[Any, str]] = [(date, "the date"), (geo, "the geo"), (target, "the target")]
    roles += [(c, "a channel") for c in channels] + [(c, "a control") for c in controls]
    first_role: dict[Any, str] = {}
    for name, role in roles:
        if name is None:
            continue
        if name in first_role:
            raise DataError(
                f"column {name!r} is used both as {first_role[name]} and as {role}; each column "
                "can play only one role — remove it from one of them."
            )
        first_role[name] = role


def check_columns(
    df: pd.DataFrame,
    *,
    date: str,
    geo: str | None,
    target: str | None,
    channels: list[str],
    controls: list[str],
) -> None:
    """Every named column exists, exactly once (``None`` for an unused role)."""
    available = list(df.columns)
    shown = ", ".join(repr(c) for c in available[:_MAX_COLUMNS_LISTED])
    if len(available) > _MAX_COLUMNS_LISTED:
        shown += f", ... ({len(available)} columns)"
    if geo is not None and geo not in df.columns:
        raise DataError(
            f"geo column {geo!r} not found in the frame{_hint(df, geo)}; available columns: "
            f"{shown}. Pass the column that names each row's geo, or geo=None for a national "
            "series."
        )
    named = [(date, "date"), (target, "target")]
    named += [(c, "channel") for c in channels] + [(c, "control") for c in controls]
    for name, role in named:
        if name is not None and name not in df.columns:
            raise DataError(
                f"{role} column {name!r} not found in the frame{_hint(df, name)}; available "
                f"columns: {shown}."
            )
    for name in [date, geo, target, *channels, *controls]:
        if name is None:
            continue
        n = int(np.count_nonzero(df.columns == name))
        if n > 1:
            raise DataError(
                f"the frame has {n} columns named {name!r}; rename or drop the extra ones so "
                "the name is unique."
            )


def _hint(df: pd.DataFrame, name: Any) -> str:
    """Why ``name`` may be missing: it is the index, or a case or spelling slip; or nothing."""
    # The most common causes: the date sits in the index, or a case/spelling slip.
    if name in [n for n in df.index.names if n is not None]:
        return f" ({name!r} is the frame's index: call df.reset_index() first)"
    available = list(df.columns)
    text = [c for c in available if isinstance(c, str)]
    lower = {c.lower(): c for c in text}
    if isinstance(name, str):
        match = lower.get(name.lower()) or next(
            iter(difflib.get_close_matches(name, text, n=1)), None
        )
        if match is not None:
            return f" (did you mean {match!r}?)"
    return ""
