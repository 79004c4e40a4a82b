"""Prior specifications: a distribution name and its parameters, serialisable to JSON.

A :class:`Prior` is plain data. It becomes a PyMC random variable only inside a model
(:meth:`Prior.create`), can draw numpy samples for prior checks and simulation
(:meth:`Prior.sample`), and round-trips through ``to_dict``/``from_dict`` so that a saved
model never needs pickle.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Distributions a Prior may name, with the numpy sampler used outside PyMC.
# Bounded/positive families are what MMM parameters need; Normal for signed effects.
SUPPORTED = {
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

# The parameters each family takes, and what each must be: "real" (finite), "positive"
# (finite, > 0) or "bound" (a truncation point: finite or +/-inf). Only the parameterisations
# :meth:`Prior.sample` implements are listed (no ``tau``, no Beta by mean and sd): a prior is
# used both in PyMC and by the numpy sampler, and a parameter one of them ignored would make
# prior checks and simulations silently disagree with the model.
_PARAMS: dict[str, dict[str, str]] = {
    "Normal": {"mu": "real", "sigma": "positive"},
    "HalfNormal": {"sigma": "positive"},
    "LogNormal": {"mu": "real", "sigma": "positive"},
    "Gamma": {"alpha": "positive", "beta": "positive", "mu": "positive", "sigma": "positive"},
    "Beta": {"alpha": "positive", "beta": "positive"},
    "Uniform": {"lower": "real", "upper": "real"},
    "TruncatedNormal": {"mu": "real", "sigma": "positive", "lower": "bound", "upper": "bound"},
    "Exponential": {"lam": "positive"},
    "StudentT": {"nu": "positive", "mu": "real", "sigma": "positive"},
    "HalfStudentT": {"nu": "positive", "sigma": "positive"},
    "Laplace": {"mu": "real", "b": "positive"},
}
# Parameters without a default in PyMC (or in the numpy sampler); Gamma is handled apart, as
# it takes either (alpha, beta) or (mu, sigma).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "Beta": ("alpha", "beta"),
    "Exponential": ("lam",),
    "StudentT": ("nu",),
    "HalfStudentT": ("nu",),
    "Laplace": ("mu", "b"),
}
# Names from other libraries' conventions (scipy, numpy, Stan) that analysts type by habit.
_ALIASES = {
    "mean": "mu", "loc": "mu", "location": "mu", "sd": "sigma", "std": "sigma",
    "scale": "sigma", "low": "lower", "high": "upper", "df": "nu", "rate": "lam",
    "shape": "alpha", "a": "alpha",
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
        parameter's last dimension). Accepted per family: ``Normal, LogNormal (mu, sigma)``;
        ``HalfNormal (sigma)``; ``Gamma (alpha, beta)`` or ``(mu, sigma)``; ``Beta (alpha,
        beta)``; ``Uniform (lower, upper)``; ``TruncatedNormal (mu, sigma, lower, upper)``;
        ``Exponential (lam)``; ``StudentT (nu, mu, sigma)``; ``HalfStudentT (nu, sigma)``;
        ``Laplace (mu, b)``.

    Raises
    ------
    ValueError
        At construction, before any model is built: an unknown distribution, a parameter the
        family does not take (with the closest valid name), a required one missing, or a value
        outside its domain (a scale ``<= 0``, a non-finite location, ``lower >= upper``).

    Examples
    --------
    >>> Prior("LogNormal", mu=0.0, sigma=0.5)
    Prior('LogNormal', mu=0.0, sigma=0.5)
    """

    dist: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, dist: str, **params: Any) -> None:
        if dist not in SUPPORTED:
            raise ValueError(
                f"Prior distribution {dist!r} is not supported; use one of {sorted(SUPPORTED)}."
            )
        _check_params(dist, params)
        clean = {k: _plain(v) for k, v in params.items()}
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", clean)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Prior({self.dist!r}, {args})"

    def __hash__(self) -> int:
        return hash((self.dist, repr(sorted(self.params.items()))))

    # --- PyMC -----------------------------------------------------------------------------
    def data(self, name: str) -> dict[str, Any]:
        """The parameters as ``pm.Data`` named ``{name}_prior_{param}`` (in the model on the
        context stack).

        Numbers as data, not constants: a compiled sampler is then reused for the same
        family with other numbers (another ROAS prior), since only the family and the
        parameters' shapes fix the compiled graph. Not the default: each data parameter
        adds nodes to compile (constants fold into the log-density's code), about 10 s
        per compile if every prior of the default model were data.
        """
        import pymc as pm

        return {k: pm.Data(f"{name}_prior_{k}", np.asarray(v, dtype=float),
                           shape=np.shape(v))
                for k, v in self.params.items()}

    def create(self, name: str, dims: str | tuple[str, ...] | None = None, *,
               as_data: bool = False, **kwargs):
        """Create the PyMC random variable ``name`` in the model on the context stack; with
        ``as_data`` its parameters are data (:meth:`data`), else constants."""
        import pymc as pm

        params = self.data(name) if as_data else self._constants()
        return getattr(pm, self.dist)(name, dims=dims, **params, **kwargs)

    def logp(self, value):
        """Elementwise log-density at ``value`` (a PyTensor expression), for terms on a
        derived quantity (the intercept's prior)."""
        import pymc as pm

        return pm.logp(getattr(pm, self.dist).dist(**self._constants()), value)

    def _constants(self) -> dict[str, Any]:
        """The parameters as PyMC takes them: per-channel lists as arrays."""
        return {k: np.asarray(v, dtype=float) if isinstance(v, list) else v
                for k, v in self.params.items()}

    def structure(self) -> dict[str, Any]:
        """The family and each parameter's shape: what a compiled graph depends on."""
        return {"dist": self.dist, **{k: list(np.shape(v)) for k, v in self.params.items()}}

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


def prior_structure(config: Any) -> Any:
    """``config`` (JSON-like) with every prior (a dict with ``"dist"``) reduced to its
    :meth:`Prior.structure`: for priors whose numbers are data (:meth:`Prior.data`), two
    specifications that differ only in those numbers share a compiled sampler."""
    if isinstance(config, Mapping):
        if "dist" in config:
            return Prior.from_dict(config).structure()
        return {k: prior_structure(v) for k, v in config.items()}
    if isinstance(config, list | tuple):
        return [prior_structure(v) for v in config]
    return config


def _check_params(dist: str, params: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``params`` are valid parameters of ``dist``.

    Checked here rather than left to PyMC: PyMC only complains when the model is compiled and
    sampled (a negative ``sigma`` surfaced after half a minute as a sampler backtrace), and a
    misspelt name as a bare ``TypeError`` without the valid ones.
    """
    given = ", ".join(f"{k}={v!r}" for k, v in params.items())
    name = f"Prior({dist!r}{', ' if given else ''}{given})"
    valid = _PARAMS[dist]
    listed = ", ".join(valid)
    for key in params:
        if key not in valid:
            guess = _ALIASES.get(key)
            if guess not in valid:
                guess = next(iter(difflib.get_close_matches(key, list(valid), n=1)), None)
            hint = f" (did you mean {guess}=?)" if guess else ""
            raise ValueError(
                f"{name}: {dist} has no parameter {key!r}{hint}; its parameters are {listed}."
            )
    if dist == "Gamma":
        if set(params) not in ({"alpha", "beta"}, {"mu", "sigma"}):
            raise ValueError(
                f"{name}: Gamma takes either alpha and beta (shape and rate) or mu and sigma "
                "(mean and sd), both of one pair."
            )
    missing = [k for k in _REQUIRED.get(dist, ()) if k not in params]
    if missing:
        raise ValueError(
            f"{name}: {dist} needs {', '.join(missing)} (it has no default); its parameters "
            f"are {listed}."
        )
    values = {}
    for key, value in params.items():
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.size == 0 or isinstance(value, str | bytes):
            raise ValueError(
                f"{name}: {key} must be a number or one number per channel, got {value!r}."
            )
        kind = valid[key]
        if kind == "positive" and not (np.isfinite(arr).all() and (arr > 0).all()):
            raise ValueError(f"{name}: {key} must be a finite number > 0, got {value!r}.")
        if kind == "real" and not np.isfinite(arr).all():
            raise ValueError(f"{name}: {key} must be a finite number, got {value!r}.")
        if kind == "bound" and np.isnan(arr).any():
            raise ValueError(f"{name}: {key} must be a number (or +/-inf), got {value!r}.")
        values[key] = arr
    if dist in ("Uniform", "TruncatedNormal"):
        default_lo, default_hi = (0.0, 1.0) if dist == "Uniform" else (-np.inf, np.inf)
        lo, hi = values.get("lower", default_lo), values.get("upper", default_hi)
        try:
            ordered = bool(np.all(np.asarray(lo) < np.asarray(hi)))
        except ValueError:  # per-channel sequences of different lengths
            ordered = False
        if not ordered:
            defaults = " (Uniform's default bounds are 0 and 1)" if dist == "Uniform" else ""
            shown = f"lower={np.asarray(lo).tolist()}, upper={np.asarray(hi).tolist()}"
            raise ValueError(
                f"{name}: lower must be below upper for every channel, got {shown}{defaults}."
            )


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
