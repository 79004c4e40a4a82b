"""Saturation (diminishing returns) curves.

Each curve maps adstocked spend ``x >= 0`` to a response in ``[0, 1)``: zero spend gives zero,
the curve rises monotonically and flattens. The channel's effect size (in target units) lives in
the model, not here, so the curve only carries *shape*.

Scale: inside the model, spend reaching a curve is divided by the channel's typical weekly spend
(its mean over weeks with spend, per geo). So ``half_saturation=1`` means "half of the maximum
effect at a typical week's spend", whatever the currency. Use :meth:`Saturation.apply` with spend
divided by that scale to reproduce the model's curve (``MMM`` does this for you).

Parameters are scalars or arrays that broadcast against ``x`` (one per channel on the last axis).

Fused kernel: a built-in curve declares, as its class attribute ``kernel``, the name of the numba
kernel that computes it (:mod:`mmmkit.media_kernel`, which fits the model and evaluates its
draws in one pass). The declaration is not inherited: a subclass that does not set ``kernel``
itself has ``kernel = None`` and is computed with its own code everywhere (model graph, draws,
scenarios), as are the built-ins' other shortcuts (the numpy fast path, the closed-form
:meth:`Saturation.slope`). A subclass that changes only the priors and keeps its parent's curve
may declare the parent's kernel again to keep the speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mmmkit._xp import as_array, namespace
from mmmkit.priors import Prior, check_param_names, merge_priors


class Saturation:
    """Base class: an elementwise, increasing curve with ``f(0) = 0`` and ``f(x) < 1``."""

    kind: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    #: the fused kernel that computes this very curve (see the module docstring), or None
    kernel: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kernel" not in cls.__dict__:  # a kernel counts only for the class declaring it
            cls.kernel = None

    def __init__(self, priors: Mapping[str, Prior] | None = None) -> None:
        self.priors = merge_priors(self.default_priors(), priors, type(self).__name__)

    def default_priors(self) -> dict[str, Prior]:
        raise NotImplementedError

    def _curve(self, xp, x, **params):
        raise NotImplementedError

    def apply(self, x: Any, **params: Any):
        """The curve at ``x`` (scaled adstocked spend, ``>= 0``), same shape as the broadcast."""
        check_param_names(type(self).__name__, self.param_names, params)
        xp = namespace(x, *params.values())
        x = as_array(xp, x)
        params = {k: as_array(xp, v) for k, v in params.items()}
        return self._curve(xp, x, **params)

    __call__ = apply

    def slope(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        """The curve's derivative in ``x`` (numpy), elementwise.

        The built-in curves override this with their closed form. This default is a central
        difference of :meth:`apply` (one-sided at 0), so a user's own curve gets a derivative
        without writing one, and every answer that needs it (marginal ROAS, the optimiser)
        uses that curve's own function.
        """
        x = np.asarray(x, dtype=float)
        h = 1e-6 * np.maximum(np.abs(x), 1e-3)
        lo = np.maximum(x - h, 0.0)
        return (np.asarray(self.apply(x + h, **params))
                - np.asarray(self.apply(lo, **params))) / (x + h - lo)

    def config(self) -> dict[str, Any]:
        return {
            "class": type(self).__name__,
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
        }

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config() == self.config()

    def __hash__(self) -> int:
        return hash(repr(self.config()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HillSaturation(Saturation):
    """Hill curve ``x**slope / (x**slope + half_saturation**slope)``.

    ``half_saturation`` is the scaled spend giving half the maximum effect; ``slope > 1`` makes
    an S-shape (a threshold before returns grow). Defaults: ``half_saturation ~
    LogNormal(0, 0.6)`` (about a typical week's spend), ``slope ~ LogNormal(0, 0.3)``.
    """

    kind = "hill"
    kernel = "hill"
    param_names = ("half_saturation", "slope")

    def default_priors(self) -> dict[str, Prior]:
        return {
            "half_saturation": Prior("LogNormal", mu=0.0, sigma=0.6),
            "slope": Prior("LogNormal", mu=0.0, sigma=0.3),
        }

    def apply(self, x: Any, **params: Any):
        """The curve at ``x``; on numpy arrays as ``1 / (1 + exp(slope (log K - log x)))``,
        the same function (0 at ``x = 0``) several times faster than the generic path."""
        xp = namespace(x, *params.values())
        if xp is not np or not _is_builtin(self, HillSaturation):
            return super().apply(x, **params)
        check_param_names(type(self).__name__, self.param_names, params)
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", over="ignore"):
            t = np.log(np.asarray(params["half_saturation"], dtype=float)) - np.log(x)
            t = np.asarray(t * np.asarray(params["slope"], dtype=float))
            np.exp(t, out=t)
            t += 1.0
            np.reciprocal(t, out=t)
        return t if t.ndim else t[()]

    __call__ = apply

    def slope(self, x: np.ndarray, half_saturation, slope) -> np.ndarray:
        if not _is_builtin(self, HillSaturation):
            return super().slope(x, half_saturation=half_saturation, slope=slope)
        x = np.asarray(x, dtype=float)
        k, s = np.asarray(half_saturation, dtype=float), np.asarray(slope, dtype=float)
        f = self.apply(x, half_saturation=k, slope=s)
        safe = np.where(x > 0, x, 1.0)
        # at x = 0 the derivative is the limit: infinite (s < 1), 1 / K (s = 1) or 0 (s > 1)
        at_zero = np.where(s < 1, np.inf, np.where(s == 1, 1.0 / k, 0.0))
        return np.where(x > 0, s * f * (1.0 - f) / safe, at_zero)

    def _curve(self, xp, x, half_saturation, slope):
        # sigmoid(slope * log(x / K)) == x**s / (x**s + K**s), without 0**s (whose gradient
        # in s is NaN): zeros are floored before the log and set to 0 after. Tested on x == 0,
        # not x > 0, so a NaN input (a broken upstream weight) stays NaN instead of a silent 0.
        zero = xp.equal(x, 0.0)  # `==` on a PyTensor tensor is identity, not elementwise
        safe = xp.where(zero, 1.0, x)
        z = slope * (xp.log(safe) - xp.log(half_saturation))
        return xp.where(zero, 0.0, _sigmoid(xp, z))


class LogisticSaturation(Saturation):
    """Logistic curve ``(1 - exp(-lam x)) / (1 + exp(-lam x)) = tanh(lam x / 2)``.

    ``lam`` is the steepness: at a typical week's spend (``x = 1``) the curve is at
    ``tanh(lam / 2)`` of its maximum. Default ``lam ~ Gamma(mu=1.5, sigma=0.75)``.
    """

    kind = "logistic"
    kernel = "logistic"
    param_names = ("lam",)

    def default_priors(self) -> dict[str, Prior]:
        return {"lam": Prior("Gamma", mu=1.5, sigma=0.75)}

    def _curve(self, xp, x, lam):
        return xp.tanh(lam * x / 2.0)

    def slope(self, x: np.ndarray, lam) -> np.ndarray:
        if not _is_builtin(self, LogisticSaturation):
            return super().slope(x, lam=lam)
        f = np.tanh(np.asarray(lam, dtype=float) * np.asarray(x, dtype=float) / 2.0)
        return np.asarray(lam, dtype=float) / 2.0 * (1.0 - f * f)


class MichaelisMentenSaturation(Saturation):
    """Michaelis-Menten curve ``x / (half_saturation + x)`` (a Hill curve with slope 1).

    Default ``half_saturation ~ LogNormal(0, 0.6)``.
    """

    kind = "michaelis_menten"
    kernel = "michaelis_menten"
    param_names = ("half_saturation",)

    def default_priors(self) -> dict[str, Prior]:
        return {"half_saturation": Prior("LogNormal", mu=0.0, sigma=0.6)}

    def _curve(self, xp, x, half_saturation):
        return x / (half_saturation + x)

    def slope(self, x: np.ndarray, half_saturation) -> np.ndarray:
        if not _is_builtin(self, MichaelisMentenSaturation):
            return super().slope(x, half_saturation=half_saturation)
        k = np.asarray(half_saturation, dtype=float)
        return k / (k + np.asarray(x, dtype=float)) ** 2


def _is_builtin(curve: Saturation, cls: type[Saturation]) -> bool:
    """Whether ``curve`` computes ``cls``'s own function: its class declares ``cls``'s kernel
    (``cls`` itself, or a subclass that says it keeps the curve). Gates the shortcuts written
    for that function (the numpy fast path, the closed-form slope)."""
    return type(curve).kernel is not None and type(curve).kernel == cls.kernel


def _sigmoid(xp, z):
    if xp is np:
        from scipy.special import expit

        return expit(z)
    import pytensor.tensor as pt

    return pt.sigmoid(z)


SATURATIONS: dict[str, type[Saturation]] = {
    cls.__name__: cls
    for cls in (HillSaturation, LogisticSaturation, MichaelisMentenSaturation)
}
# the same classes by their short name (``saturation="hill"`` in MMM and simulate)
SATURATION_KINDS: dict[str, type[Saturation]] = {cls.kind: cls for cls in SATURATIONS.values()}


def saturation_from_config(config: Mapping[str, Any]) -> Saturation:
    """Rebuild a saturation from :meth:`Saturation.config` output."""
    config = dict(config)
    cls = SATURATIONS[config.pop("class")]
    priors = {k: Prior.from_dict(v) for k, v in config.pop("priors").items()}
    return cls(**config, priors=priors)
