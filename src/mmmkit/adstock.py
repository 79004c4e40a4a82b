"""Adstock (carryover) transforms: how a week's spend keeps working in later weeks.

Every transform here is a finite, normalised convolution kernel: week ``t``'s adstocked spend
is ``sum_l w[l] * spend[t - l]`` for lags ``l = 0 .. max_lag - 1``, with ``sum_l w[l] = 1``.
Normalised kernels keep adstocked spend in the units (and on the scale) of spend itself, so the
saturation priors mean the same thing whatever the carryover.

One object computes the same function on numpy arrays (scenarios, simulation) and on PyTensor
tensors (inside the model): the math is written once against the array namespace of its inputs.

Shapes: parameters are scalars or arrays of shape ``(..., C)`` (one per channel, optionally with
leading draw dimensions); :meth:`Adstock.weights` returns ``(..., C, max_lag)`` for vector
parameters and ``(max_lag,)`` for scalars. :meth:`Adstock.apply` takes spend ``(..., T, C)``
(time, then channel) or a single series ``(T,)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mmmkit._xp import as_array, namespace
from mmmkit.priors import Prior, check_param_names, merge_priors


class Adstock:
    """Base class: a normalised carryover kernel over ``max_lag`` weeks."""

    kind: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, max_lag: int = 8, priors: Mapping[str, Prior] | None = None) -> None:
        if int(max_lag) != max_lag or max_lag < 1:
            raise ValueError(f"max_lag must be a whole number of weeks >= 1, got {max_lag!r}.")
        self.max_lag = int(max_lag)
        self.priors = merge_priors(self.default_priors(), priors, type(self).__name__)

    # -- to implement ---------------------------------------------------------------------
    def default_priors(self) -> dict[str, Prior]:
        raise NotImplementedError

    def _raw_weights(self, xp, lags, **params):
        """Unnormalised kernel, shape ``(..., max_lag)``; ``lags`` is ``(max_lag,)``."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------
    def weights(self, **params: Any):
        """Normalised kernel weights, shape ``params.shape + (max_lag,)``, summing to 1."""
        self._check_params(params)
        xp = namespace(*params.values())
        expanded = {k: as_array(xp, v)[..., None] for k, v in params.items()}
        lags = np.arange(self.max_lag, dtype=float)
        raw = self._raw_weights(xp, lags, **expanded)
        return raw / xp.sum(raw, axis=-1, keepdims=True)

    def apply(self, x: Any, **params: Any):
        """Adstocked spend, same shape as ``x``; spend before the first week counts as zero.

        Parameters
        ----------
        x : array, shape ``(T,)`` or ``(..., T, C)``
            Spend per week (any currency units; the output keeps them).
        **params : scalar or array ``(..., C)``
            Kernel parameters, see the class docstring.
        """
        xp = namespace(x, *params.values())
        x = as_array(xp, x)
        w = self.weights(**params)  # (..., C, L) or (L,)
        if x.ndim == 1:
            return convolve(xp, x[:, None], w[None, :], self.max_lag)[:, 0]
        return convolve(xp, x, w, self.max_lag)

    def _check_params(self, params: Mapping[str, Any]) -> None:
        check_param_names(type(self).__name__, self.param_names, params)

    # -- description / serialisation ---------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """JSON-friendly description (class, options, priors) used by save/load."""
        return {
            "class": type(self).__name__,
            "max_lag": self.max_lag,
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
            **self._extra_config(),
        }

    def _extra_config(self) -> dict[str, Any]:
        return {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config() == self.config()

    def __hash__(self) -> int:
        return hash(repr(self.config()))

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_config().items())
        return f"{type(self).__name__}(max_lag={self.max_lag}{extra})"


def convolve(xp, x, w, n_lags: int):
    """``y[..., t, c] = sum_l w[..., c, l] * x[..., t - l, c]`` with zeros before ``t = 0``.

    ``x`` is ``(..., T, C)``, ``w`` is ``(..., C, L)`` with ``L = n_lags``; leading dimensions
    broadcast.
    Written with shifted copies (``L`` of them), not a loop over time, so it vectorises in
    numpy and differentiates cheaply in PyTensor.
    """
    out = None
    for lag in range(n_lags):
        if xp is np and lag >= x.shape[-2]:
            break
        shifted = shift(xp, x, lag)
        term = shifted * w[..., None, :, lag]
        out = term if out is None else out + term
    return out


def shift(xp, x, lag: int):
    """``x`` moved ``lag`` steps later along axis -2, zero-filled at the start."""
    if lag == 0:
        return x
    if xp is np:
        out = np.zeros_like(x)
        out[..., lag:, :] = x[..., :-lag, :]
        return out
    pad = xp.zeros_like(x[..., :lag, :])
    return xp.concatenate([pad, x[..., :-lag, :]], axis=-2)


def lag_stack(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Lagged copies of ``x`` ``(..., T, C)`` as ``(max_lag, ..., T, C)`` (zeros before t=0).

    Inside the model spend is data, so its lags are computed once here and adstock becomes a
    weighted sum over the first axis: no scan, no convolution op in the gradient.
    """
    x = np.asarray(x, dtype=float)
    return np.stack([shift(np, x, lag) for lag in range(max_lag)])


class GeometricAdstock(Adstock):
    """Geometric decay: ``w[l] ∝ alpha**l``.

    ``alpha`` (0..1) is the share of a week's effect that carries into the next week; the
    half-life is ``log(0.5) / log(alpha)`` weeks. Default prior ``Beta(2, 3)`` (mean 0.4).
    """

    kind = "geometric"
    param_names = ("alpha",)

    def default_priors(self) -> dict[str, Prior]:
        return {"alpha": Prior("Beta", alpha=2.0, beta=3.0)}

    def _raw_weights(self, xp, lags, alpha):
        return alpha ** as_array(xp, lags)


class DelayedAdstock(Adstock):
    """Delayed peak (Jin et al. 2017): ``w[l] ∝ alpha ** ((l - theta) ** 2)``.

    ``theta`` (weeks, 0 .. max_lag - 1) is when the effect peaks; ``alpha`` (0..1) is the
    retention rate around the peak. Defaults: ``alpha ~ Beta(2, 2)``,
    ``theta ~ TruncatedNormal(0, 2)`` on ``[0, max_lag - 1]``.
    """

    kind = "delayed"
    param_names = ("alpha", "theta")

    def __init__(self, max_lag: int = 8, priors: Mapping[str, Prior] | None = None) -> None:
        if max_lag < 2:
            raise ValueError(
                "DelayedAdstock needs max_lag >= 2 (a peak delay needs at least two lags); "
                f"got {max_lag!r}. Use GeometricAdstock for effects within the week."
            )
        super().__init__(max_lag=max_lag, priors=priors)

    def default_priors(self) -> dict[str, Prior]:
        return {
            "alpha": Prior("Beta", alpha=2.0, beta=2.0),
            "theta": Prior(
                "TruncatedNormal", mu=0.0, sigma=2.0, lower=0.0, upper=float(self.max_lag - 1)
            ),
        }

    def _raw_weights(self, xp, lags, alpha, theta):
        return alpha ** ((as_array(xp, lags) - theta) ** 2)


class WeibullAdstock(Adstock):
    """Weibull-shaped carryover with scale ``lam`` (weeks) and shape ``k``.

    ``kind="pdf"``: ``w[l] ∝ WeibullPDF(l + 1; k, lam)``; with ``k > 1`` the effect builds up
    and peaks after a delay. ``kind="cdf"`` (Robyn's): ``w[l] ∝ 1 - WeibullCDF(l; k, lam)``,
    a survival curve that decays from week 0, with a long tail for ``k < 1``.
    Defaults: ``lam ~ LogNormal(log 2, 0.7)``, ``k ~ LogNormal(log 1.5, 0.5)``.
    """

    kind = "weibull"
    param_names = ("lam", "k")

    def __init__(
        self, max_lag: int = 8, kind: str = "pdf", priors: Mapping[str, Prior] | None = None
    ) -> None:
        if kind not in ("pdf", "cdf"):
            raise ValueError(f"WeibullAdstock kind must be 'pdf' or 'cdf', got {kind!r}.")
        self.weibull_kind = kind
        super().__init__(max_lag=max_lag, priors=priors)

    def default_priors(self) -> dict[str, Prior]:
        return {
            "lam": Prior("LogNormal", mu=float(np.log(2.0)), sigma=0.7),
            "k": Prior("LogNormal", mu=float(np.log(1.5)), sigma=0.5),
        }

    def _extra_config(self) -> dict[str, Any]:
        return {"kind": self.weibull_kind}

    def _raw_weights(self, xp, lags, lam, k):
        if self.weibull_kind == "pdf":
            z = as_array(xp, lags + 1.0) / lam
            # pdf up to the constant k/lam, which normalisation removes; in logs for stability
            log_w = (k - 1.0) * xp.log(z) - z**k
            if xp is np:
                # a short scale with a steep shape (lam 0.19, k 5.1: z**k > 4000 at every lag)
                # underflows every weight to 0 and normalising gives NaN; the largest weight
                # is 1 after this shift, which normalisation removes again. (PyTensor already
                # rewrites exp(x) / sum(exp(x)) into a stable softmax in the model's graph.)
                log_w = log_w - np.max(log_w, axis=-1, keepdims=True)
            return xp.exp(log_w)
        # survival from lag 1 on; lag 0 is exactly 1 (0**k has no safe gradient in k)
        if len(lags) == 1:
            return xp.ones_like(lam * k)
        z = as_array(xp, lags[1:]) / lam
        tail = xp.exp(-(z**k))
        head = xp.ones_like(tail[..., :1])
        return xp.concatenate([head, tail], axis=-1)


ADSTOCKS: dict[str, type[Adstock]] = {
    cls.__name__: cls for cls in (GeometricAdstock, DelayedAdstock, WeibullAdstock)
}
# the same classes by their short name (``adstock="weibull"`` in MMM and simulate)
ADSTOCK_KINDS: dict[str, type[Adstock]] = {cls.kind: cls for cls in ADSTOCKS.values()}


def adstock_from_config(config: Mapping[str, Any]) -> Adstock:
    """Rebuild an adstock from :meth:`Adstock.config` output."""
    config = dict(config)
    cls = ADSTOCKS[config.pop("class")]
    priors = {k: Prior.from_dict(v) for k, v in config.pop("priors").items()}
    return cls(**config, priors=priors)
