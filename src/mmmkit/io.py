"""Saving and loading fitted models: one netCDF file of arrays plus JSON text, no pickle.

The file is an ArviZ InferenceData netCDF. The specification (columns, transforms, priors)
is JSON in the posterior group's attributes; the fitted data are the ``observed_data`` and
``constant_data`` groups. Loading parses JSON and reads arrays, so it never executes code from
the file, and the reloaded model recomputes every number from the same draws and data.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT = "mmmkit-model"
FORMAT_VERSION = 1


def save_model(model, path) -> None:
    path = Path(path)
    idata = model.idata.copy()
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config(),
        "fit_info": _jsonable(model.fit_info_),
    }
    idata.posterior.attrs["mmmkit"] = json.dumps(meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata.to_netcdf(str(path), engine="h5netcdf")


def load_model(cls, path):
    import arviz as az

    from mmmkit.design import ModelData

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No saved model at {path}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_netcdf(str(path), engine="h5netcdf")
        idata.load()
    raw = idata.posterior.attrs.get("mmmkit") if "posterior" in idata.groups() else None
    if raw is None:
        raise ValueError(f"{path} is not an mmmkit model file (no mmmkit metadata).")
    meta = json.loads(raw)
    if meta.get("format") != FORMAT or meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{path} was written by an unknown or newer mmmkit format: "
                         f"{meta.get('format')} v{meta.get('format_version')}.")
    config = meta["config"]
    model = model_from_config(cls, config)
    del idata.posterior.attrs["mmmkit"]
    const = idata.constant_data
    model.data_ = ModelData(
        dates=idata.observed_data["date"].to_index(),
        geos=[str(g) for g in idata.observed_data["geo"].values],
        channels=list(config["channels"]),
        controls=list(config["controls"]),
        spend=np.asarray(const["spend"].values, dtype=float),
        target=np.asarray(idata.observed_data[config["target"]].values, dtype=float),
        control_values=np.asarray(const["control_values"].values, dtype=float).reshape(
            const["spend"].shape[0], const["spend"].shape[1], len(config["controls"])),
    )
    model.idata = idata
    model.fit_info_ = meta.get("fit_info", {})
    return model


def model_from_config(cls, config):
    """An unfitted ``cls`` with the specification ``config`` (:meth:`MMM.config` output).

    Rebuilds transforms, priors, ROAS priors and lift tests from JSON; shared by
    :func:`load_model` and :func:`mmmkit.evaluation.clone`.
    """
    from mmmkit.adstock import adstock_from_config
    from mmmkit.priors import Prior
    from mmmkit.saturation import saturation_from_config

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
    )
    if config.get("lift_tests"):
        model.add_lift_tests(pd.DataFrame(config["lift_tests"]))
    return model


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
