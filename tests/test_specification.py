"""Checking a specification before any data is seen (:mod:`mmmkit.specification`): through
the ``MMM`` constructor, which is where users meet it, and directly."""

from __future__ import annotations

import pytest

import mmmkit as mk
from mmmkit.specification import MAX_SEASONALITY, check_seasonality, resolve_transforms


def test_transforms_given_by_name(national_sim):
    model = mk.MMM(**national_sim.model_kwargs(), adstock="geometric", saturation="hill")
    default = mk.MMM(**national_sim.model_kwargs())
    assert model.config() == default.config()
    per_channel = mk.MMM(**national_sim.model_kwargs(),
                         adstock={"tv": "weibull", "search": "Delayed", "social": "geometric"},
                         saturation={"tv": "logistic", "search": "michaelis_menten",
                                     "social": mk.HillSaturation()})
    assert isinstance(per_channel.media.adstock_of("tv"), mk.WeibullAdstock)
    assert isinstance(per_channel.media.adstock_of("search"), mk.DelayedAdstock)
    assert isinstance(per_channel.media.saturation_of("search"), mk.MichaelisMentenSaturation)
    assert "adstock_group0_lam" in per_channel.priors
    with pytest.raises(ValueError, match=r"unknown saturation 'tanh'; use one of \['hill'"):
        mk.MMM(**national_sim.model_kwargs(), saturation="tanh")
    with pytest.raises(ValueError, match=r"adstock\['tv'\]: unknown adstock 'decay'"):
        mk.MMM(**national_sim.model_kwargs(),
               adstock={"tv": "decay", "search": "geometric", "social": "geometric"})
    with pytest.raises(ValueError, match=r"adstock must be an Adstock"):
        mk.MMM(**national_sim.model_kwargs(), adstock=mk.HillSaturation())


@pytest.mark.parametrize("value, match", [
    (27, "above 26"), (52, "above 26"), (-1, "whole number >= 0"), (2.5, "whole number"),
    ("3", "whole number"), (True, "whole number"), (float("nan"), "whole number"),
])
def test_seasonality_weekly_data_can_carry(value, match):
    with pytest.raises(ValueError, match=match):
        mk.MMM("date", "y", ["a"], seasonality=value)
    assert mk.MMM("date", "y", ["a"], seasonality=26).seasonality == 26


@pytest.mark.parametrize("kwargs", [
    {"date": 0}, {"target": 1}, {"channels": ["a", 2]}, {"controls": [3]}, {"geo": 4},
])
def test_column_names_must_be_strings(kwargs):
    spec = {"date": "date", "target": "y", "channels": ["a"], **kwargs}
    with pytest.raises(ValueError, match=r"column names must be strings.*rename \d -> '\d'"):
        mk.MMM(**spec)


def test_the_checks_directly():
    check_seasonality(2.0)  # a whole float from a config file is fine
    check_seasonality(MAX_SEASONALITY)
    for bad in (-1, 1.5, True, MAX_SEASONALITY + 1):
        with pytest.raises(ValueError, match="seasonality"):
            check_seasonality(bad)
    out = resolve_transforms({"a": "Michaelis-Menten", "b": mk.HillSaturation()}, "saturation",
                             mk.Saturation, mk.saturation.SATURATION_KINDS, ["a", "b"])
    assert isinstance(out["a"], mk.MichaelisMentenSaturation)
    assert resolve_transforms(None, "saturation", mk.Saturation,
                              mk.saturation.SATURATION_KINDS, ["a"]) is None
