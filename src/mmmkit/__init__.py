"""mmmkit: Bayesian media mix modeling on PyMC."""

from mmmkit.adstock import Adstock, DelayedAdstock, GeometricAdstock, WeibullAdstock
from mmmkit.errors import DataError
from mmmkit.priors import Prior
from mmmkit.saturation import (
    HillSaturation,
    LogisticSaturation,
    MichaelisMentenSaturation,
    Saturation,
)

__version__ = "0.1.0"

__all__ = [
    "Adstock",
    "DataError",
    "DelayedAdstock",
    "GeometricAdstock",
    "HillSaturation",
    "LogisticSaturation",
    "MichaelisMentenSaturation",
    "Prior",
    "Saturation",
    "WeibullAdstock",
]
