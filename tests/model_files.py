"""Reading a saved model file's groups into memory and writing them back, for the tests that
edit files (``test_io.py``, ``test_provenance.py``)."""

from __future__ import annotations

from pathlib import Path

import arviz as az
import xarray as xr


def read_groups(path: Path) -> dict[str, xr.Dataset]:
    """The file's groups in memory (the file closed), to edit and write back."""
    import h5netcdf

    with h5netcdf.File(path, "r") as f:
        names = list(f.groups)
    out = {}
    for name in names:
        with xr.open_dataset(path, group=name, engine="h5netcdf") as ds:
            out[name] = ds.load()
    return out


def write_groups(groups: dict[str, xr.Dataset], path: Path) -> Path:
    az.InferenceData(**groups).to_netcdf(str(path), engine="h5netcdf")
    return path
