"""Prior specifications: a distribution name and its parameters, serialisable to JSON.

A :class:`Prior` is plain data. It becomes a PyMC random variable only inside a model
(:meth:`Prior.create`), can draw numpy samples for prior checks and simulation
(:meth:`Prior.sample`), and round-trips through ``to_dict``/``from_dict`` so that a saved
model never needs pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Distributions a Prior may name, with the numpy sampler used outside PyMC.
# Bounded/positive families are what MMM parameters need; Normal for signed effects.
_SUPPORTED = {
    "Normal",
    "HalfNormal",
    "LogNormal",
    "Gamma",
    "Beta",
    "Uniform",
    "TruncatedNormal",
    "Exponential",
    "StudentT",
    "HalfStudentT",
    "Laplace",
}


@dataclass(frozen=True)
class Prior:
    """A prior distribution by PyMC name.

    Parameters
    ----------
    dist : str
        A PyMC distribution name, one of ``Normal, HalfNormal, LogNormal, Gamma, Beta,
        Uniform, TruncatedNormal, Exponential, StudentT, HalfStudentT, Laplace``.
    **params : float
        The distribution's PyMC keyword parameters, e.g. ``Prior("Beta", alpha=2, beta=3)``.
        Scalars, or sequences with one value per channel (then they broadcast over the
        parameter's last dimension).

    Examples
    --------
    >>> Prior("LogNormal", mu=0.0, sigma=0.5)
    Prior('LogNormal', mu=0.0, sigma=0.5)
    """

    dist: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, dist: str, **params: Any) -> None:
        if dist not in _SUPPORTED:
            raise ValueError(
                f"Prior distribution {dist!r} is not supported; use one of {sorted(_SUPPORTED)}."
            )
        clean = {k: _plain(v) for k, v in params.items()}
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", clean)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Prior({self.dist!r}, {args})"

    def __hash__(self) -> int:
        return hash((self.dist, repr(sorted(self.params.items()))))

    # --- PyMC -----------------------------------------------------------------------------
    def create(self, name: str, dims: str | tuple[str, ...] | None = None, **kwargs):
        """Create the PyMC random variable ``name`` in the model on the context stack."""
        import pymc as pm

        cls = getattr(pm, self.dist)
        params = {k: np.asarray(v, dtype=float) if isinstance(v, list) else v
                  for k, v in self.params.items()}
        return cls(name, dims=dims, **params, **kwargs)

    def logp(self, value):
        """Elementwise log-density at ``value`` (a PyTensor expression), for potentials."""
        import pymc as pm

        params = {k: np.asarray(v, dtype=float) if isinstance(v, list) else v
                  for k, v in self.params.items()}
        return pm.logp(getattr(pm, self.dist).dist(**params), value)

    # --- numpy ----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draw ``size`` samples with numpy (prior predictive checks, simulation)."""
        p = {k: np.asarray(v, dtype=float) for k, v in self.params.items()}
        d = self.dist
        if d == "Normal":
            return rng.normal(p.get("mu", 0.0), p.get("sigma", 1.0), size)
        if d == "HalfNormal":
            return np.abs(rng.normal(0.0, p.get("sigma", 1.0), size))
        if d == "LogNormal":
            return np.exp(rng.normal(p.get("mu", 0.0), p.get("sigma", 1.0), size))
        if d == "Gamma":
            if "mu" in p:
                alpha = (p["mu"] / p["sigma"]) ** 2
                beta = p["mu"] / p["sigma"] ** 2
            else:
                alpha, beta = p["alpha"], p["beta"]
            return rng.gamma(alpha, 1.0 / beta, size)
        if d == "Beta":
            return rng.beta(p["alpha"], p["beta"], size)
        if d == "Uniform":
            return rng.uniform(p.get("lower", 0.0), p.get("upper", 1.0), size)
        if d == "Exponential":
            return rng.exponential(1.0 / p.get("lam", 1.0), size)
        if d == "Laplace":
            return rng.laplace(p.get("mu", 0.0), p.get("b", 1.0), size)
        if d in ("StudentT", "HalfStudentT"):
            draws = p.get("mu", 0.0) * (d == "StudentT") + p.get("sigma", 1.0) * (
                rng.standard_t(p["nu"], size)
            )
            return np.abs(draws) if d == "HalfStudentT" else draws
        if d == "TruncatedNormal":
            lo, hi = p.get("lower", -np.inf), p.get("upper", np.inf)
            mu, sigma = p.get("mu", 0.0), p.get("sigma", 1.0)
            from scipy import stats

            a, b = (lo - mu) / sigma, (hi - mu) / sigma
            return stats.truncnorm.rvs(a, b, loc=mu, scale=sigma, size=size, random_state=rng)
        raise NotImplementedError(d)  # pragma: no cover - guarded in __init__

    # --- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.dist, **self.params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prior:
        data = dict(data)
        return cls(data.pop("dist"), **data)


def _plain(value: Any) -> Any:
    """Numbers and arrays as JSON-friendly floats / lists of floats."""
    if isinstance(value, np.ndarray | list | tuple):
        return [float(v) for v in np.asarray(value, dtype=float).ravel()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_param_names(owner: str, expected: tuple[str, ...], given: Mapping[str, Any]) -> None:
    """A transform was called with exactly its parameters, or a TypeError naming the gap."""
    missing = set(expected) - set(given)
    extra = set(given) - set(expected)
    if missing or extra:
        raise TypeError(f"{owner} takes parameters {expected}; missing {sorted(missing)}, "
                        f"unexpected {sorted(extra)}.")


def merge_priors(
    defaults: Mapping[str, Prior], overrides: Mapping[str, Prior] | None, owner: str
) -> dict[str, Prior]:
    """Defaults updated with user overrides; unknown names are an error that lists the known."""
    out = dict(defaults)
    for name, prior in (overrides or {}).items():
        if name not in defaults:
            raise ValueError(
                f"{owner} has no parameter {name!r} to set a prior on; "
                f"its parameters are {sorted(defaults)}."
            )
        if not isinstance(prior, Prior):
            raise TypeError(f"The prior for {owner}.{name} must be a mmmkit.Prior, got {prior!r}.")
        out[name] = prior
    return out
