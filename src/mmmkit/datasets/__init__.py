"""Public MMM demo datasets shipped with mmmkit (with their upstream licences).

``load(name)`` returns a fresh DataFrame each call, with dates parsed and loading quirks handled.
See ``data/README.md`` beside this file for each dataset's origin, licence, columns and (where
published) ground truth.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

_FILES = {
    "pymc_marketing": "pymc_marketing/mmm_example.csv",
    "pymc_marketing_geo": "pymc_marketing/mmm_multidimensional_example.csv",
    "meridian_national": "meridian/national_all_channels.csv",
    "meridian_geo": "meridian/geo_all_channels.csv",
    "robyn": "robyn/dt_simulated_weekly.csv",
}

_DATE_COLUMN = {
    "pymc_marketing": "date_week",
    "pymc_marketing_geo": "date",
    "meridian_national": "time",
    "meridian_geo": "time",
    "robyn": "DATE",
}


def names() -> list[str]:
    """The dataset names :func:`load` accepts."""
    return sorted(_FILES)


def load(name: str) -> pd.DataFrame:
    """Load a bundled dataset by name (see :func:`names`).

    * ``pymc_marketing``: 179 weeks, channels ``x1, x2``, target ``y``, controls
      ``event_1, event_2``; the exact data-generating process is published (ground truth).
    * ``pymc_marketing_geo``: 2 geos x 159 weeks, channels ``x1, x2``, target ``y``.
    * ``meridian_national`` / ``meridian_geo``: Google Meridian's simulated data (40 geos x 156
      weeks for the panel): ``Channel0_spend`` .. ``Channel4_spend``, target ``conversions``.
      The geo file's unnamed index column is dropped.
    * ``robyn``: Meta Robyn's simulated weekly revenue, 208 weeks: ``tv_S, ooh_S, print_S,
      facebook_S, search_S``; the ``events`` column's ``"na"`` is read as the text ``"na"``
      (no event), not as missing.
    """
    if name not in _FILES:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {names()}.")
    path = resources.files(__package__).joinpath("data", _FILES[name])
    with resources.as_file(path) as file:
        kwargs = {"index_col": 0} if name == "meridian_geo" else {}
        if name == "robyn":
            kwargs["keep_default_na"] = False
        frame = pd.read_csv(file, **kwargs)
    date = _DATE_COLUMN[name]
    frame[date] = pd.to_datetime(frame[date], format="%Y-%m-%d")
    return frame.reset_index(drop=True)
