"""How the data of two fits differ: weeks, geos and columns added or removed, revised values.

:func:`data_changes` compares two :class:`~mmmkit.design.ModelData`; it is the data part of
:func:`mmmkit.compare_models` and the check of :meth:`mmmkit.MMM.refresh` that a sequential
update's old weeks were not revised (their information is in the prior already).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["REVISED_COLUMNS", "REVISION_RTOL", "DataChanges", "data_changes"]

# relative tolerance under which two data values count as equal (float round-off only)
REVISION_RTOL = 1e-9
REVISED_COLUMNS = ("date", "geo", "column", "old", "new")


@dataclass
class DataChanges:
    """How the data of two fits differ.

    Attributes
    ----------
    weeks_added, weeks_removed : DatetimeIndex of the weeks in the new fit's data and not the
        old one's, and the reverse.
    geos_added, geos_removed : geo labels likewise (``["all"]`` for national series on both
        sides gives none).
    columns_added, columns_removed : control columns in one fit and not the other (channels
        are the same by construction; the target is compared whatever its name).
    revised : DataFrame with columns ``date, geo, column, old, new``, one row per value of a
        week and geo present in both fits whose value differs (relative difference above
        ``1e-9``), for the target, every channel's spend and every shared control, in the
        columns' own units (KPI, currency, control units); sorted by column, geo, date.
    """

    weeks_added: pd.DatetimeIndex
    weeks_removed: pd.DatetimeIndex
    geos_added: list[str]
    geos_removed: list[str]
    columns_added: list[str]
    columns_removed: list[str]
    revised: pd.DataFrame

    @property
    def unchanged(self) -> bool:
        """Whether the two fits saw the same data (same weeks, geos, columns and values)."""
        return not (len(self.weeks_added) or len(self.weeks_removed) or self.geos_added
                    or self.geos_removed or self.columns_added or self.columns_removed
                    or len(self.revised))


def data_changes(old, new, *, old_target: str = "target",
                 new_target: str = "target") -> DataChanges:
    """Compare two fits' :class:`~mmmkit.design.ModelData` (``model.fitted_data()``).

    Parameters
    ----------
    old, new : ModelData with ``dates (T,)``, ``geos (G,)``, ``channels (C,)``, ``controls
        (K,)``, ``spend (G, T, C)`` currency, ``target (G, T)`` KPI units and
        ``control_values (G, T, K)``.
    old_target, new_target : the target column's name in each (the ``column`` of its revised
        rows is the new one's).

    Returns
    -------
    DataChanges
    """
    old_dates, new_dates = pd.DatetimeIndex(old.dates), pd.DatetimeIndex(new.dates)
    dates = new_dates[new_dates.isin(old_dates)]
    geos = [g for g in new.geos if g in set(old.geos)]
    ti = (old_dates.get_indexer(dates), new_dates.get_indexer(dates))
    gi = ([list(old.geos).index(g) for g in geos], [list(new.geos).index(g) for g in geos])
    pairs = [(new_target, old.target, new.target)]
    pairs += [(c, old.spend[..., old.channels.index(c)], new.spend[..., new.channels.index(c)])
              for c in new.channels if c in old.channels]
    pairs += [(k, old.control_values[..., old.controls.index(k)],
               new.control_values[..., new.controls.index(k)])
              for k in new.controls if k in old.controls]
    rows = []
    for column, a, b in pairs:
        a = np.asarray(a, dtype=float)[np.ix_(gi[0], ti[0])]
        b = np.asarray(b, dtype=float)[np.ix_(gi[1], ti[1])]
        same = np.isclose(a, b, rtol=REVISION_RTOL, atol=0.0, equal_nan=True)
        for g, t in zip(*np.nonzero(~same), strict=True):
            rows.append((dates[t], geos[g], column, a[g, t], b[g, t]))
    revised = pd.DataFrame(rows, columns=list(REVISED_COLUMNS))
    revised["date"] = pd.to_datetime(revised["date"])
    return DataChanges(
        weeks_added=new_dates[~new_dates.isin(old_dates)],
        weeks_removed=old_dates[~old_dates.isin(new_dates)],
        geos_added=[g for g in new.geos if g not in set(old.geos)],
        geos_removed=[g for g in old.geos if g not in set(new.geos)],
        columns_added=[k for k in new.controls if k not in old.controls],
        columns_removed=[k for k in old.controls if k not in new.controls],
        revised=revised.sort_values(["column", "geo", "date"], kind="stable")
        .reset_index(drop=True),
    )
