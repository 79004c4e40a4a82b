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

Stability: a kernel whose weights can underflow (Weibull, binomial) is written as log-weights
(:meth:`Adstock._log_weights`) and normalised in log space, shifted by its largest entry
(a softmax), so that the weights are finite, sum to 1 and have finite gradients for every
finite positive parameter, on numpy and in the PyTensor graph alike; the model's graph never
relies on PyTensor's own softmax rewrite (which fixes the value, not the gradient).
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

    def _log_weights(self, xp, lags, **params):
        """Log of the unnormalised kernel, ``(..., max_lag)``, or ``None`` (the default) to
        use :meth:`_raw_weights`. A kernel that can underflow implements this instead: the
        weights are then normalised in log space (:func:`normalise_log_weights`)."""
        return None

    # -- shared ---------------------------------------------------------------------------
    def weights(self, **params: Any):
        """Normalised kernel weights, shape ``params.shape + (max_lag,)``, summing to 1."""
        self._check_params(params)
        xp = namespace(*params.values())
        expanded = {k: as_array(xp, v)[..., None] for k, v in params.items()}
        lags = np.arange(self.max_lag, dtype=float)
        log_w = self._log_weights(xp, lags, **expanded)
        if log_w is not None:
            return normalise_log_weights(xp, log_w)
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


def normalise_log_weights(xp, log_w):
    """``exp(log_w)`` normalised over the last axis (a softmax), ``(..., L)``.

    Shifted by the largest entry first, so the largest weight before normalising is 1: the
    sum is at least 1 and never the ``0 / 0`` of a kernel whose every tap underflows. The
    shift changes nothing mathematically, so in PyTensor it carries no gradient.
    """
    peak = xp.max(log_w, axis=-1, keepdims=True)
    if xp is not np:
        from pytensor.gradient import zero_grad

        peak = zero_grad(peak)
    w = xp.exp(log_w - peak)
    return w / xp.sum(w, axis=-1, keepdims=True)


# Above this a power ``exp(u)`` inside a log-weight is bent down (see capped_exp): a weight
# of exp(-e**690) is 0 to double precision already, so nothing representable changes.
_POWER_CAP = 690.0


def capped_exp(xp, u):
    """``exp(u)`` for ``u <= 690``; above, ``exp(690 + log1p(log1p(u - 690)))``.

    Used for the powers ``(l / lam) ** k`` of the Weibull kernels, written ``exp(k log(l /
    lam))``. Uncapped they overflow to ``inf`` for extreme draws (``lam = 1e-3, k = 100``),
    and the gradient of ``exp(-inf)`` is ``0 * inf = NaN``. The bent curve is continuous with
    a continuous slope, strictly increasing (so the order of the taps, hence the kernel's
    limit, is kept) and below ``e**696.6 ~ 3e302`` for every finite ``u``, so the running sums
    of the ``"cdf"`` kernel stay finite for any ``max_lag`` below ``10**5``.
    """
    excess = xp.maximum(u - _POWER_CAP, 0.0)
    return xp.exp(xp.minimum(u, _POWER_CAP) + xp.log1p(xp.log1p(excess)))


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


# the mark of WeibullAdstock(kind="cdf") configs written since "cdf" means the cumulative form
CDF_FORM = "cdf_form"
CUMULATIVE = "cumulative"


class WeibullAdstock(Adstock):
    """Weibull-shaped carryover with scale ``lam`` (weeks) and shape ``k``.

    Three kernels, ``z = l / lam`` at lag ``l`` weeks (``l = 0 .. max_lag - 1``), each
    normalised to sum to 1:

    ``kind="pdf"`` (the default)
        ``w[l] ∝ WeibullPDF(l + 1; k, lam)``; with ``k > 1`` the effect builds up and peaks
        after a delay. (Robyn and PyMC-Marketing rescale the same density values to
        ``[0, 1]`` by their minimum and maximum first, which sets the smallest tap to 0;
        mmmkit keeps the density's own ratios between taps.)
    ``kind="cdf"`` (Robyn's ``adstock_weibull(type="CDF")``, PyMC-Marketing's
    ``WeibullType.CDF``)
        ``w[l] ∝ prod_{j=1..l} (1 - WeibullCDF(j; k, lam)) = exp(-sum_{j=1..l} (j / lam)**k)``:
        week ``l`` keeps the share ``1 - WeibullCDF(l)`` of week ``l - 1``'s weight, a share
        that falls with ``l``, so the decay speeds up with time (the more so, the larger
        ``k``). With ``k = 1`` this is ``exp(-l (l + 1) / (2 lam))``. Robyn gives ``scale``
        as a quantile of the window (``lam = round(quantile(1..L, scale))``) and does not
        normalise; PyMC-Marketing's ``l_max`` counts one tap fewer than its kernel has
        (``l_max = max_lag - 1`` is this kernel).
    ``kind="survival"``
        ``w[l] ∝ 1 - WeibullCDF(l; k, lam) = exp(-(l / lam)**k)``: the survival curve
        itself, a decay from week 0 with a long tail for ``k < 1`` (with ``k = 1``,
        ``exp(-l / lam)``, a geometric decay).

    ``"cdf"`` was mmmkit's name for the survival curve up to this version, while Robyn and
    PyMC-Marketing use the name for the cumulative product, and the two kernels agree only
    for ``max_lag <= 2``. The name now means what it means in those libraries (a model
    carried over from them keeps its meaning) and the former curve is ``kind="survival"``.
    A saved model keeps its numbers: :meth:`config` marks the new meaning
    (``"cdf_form": "cumulative"``) and :func:`adstock_from_config` reads a ``"cdf"`` without
    that mark, written before the change, as ``"survival"``.

    Defaults (all kinds): ``lam ~ LogNormal(log 2, 0.7)``, ``k ~ LogNormal(log 1.5, 0.5)``.
    """

    kind = "weibull"
    param_names = ("lam", "k")
    #: the kernels ``kind`` chooses from
    KINDS: ClassVar[tuple[str, ...]] = ("pdf", "cdf", "survival")

    def __init__(
        self, max_lag: int = 8, kind: str = "pdf", priors: Mapping[str, Prior] | None = None
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(
                f"WeibullAdstock kind must be one of {list(self.KINDS)}, got {kind!r}: 'pdf' "
                "for a delayed peak, 'cdf' for Robyn's / PyMC-Marketing's cumulative "
                "survival, 'survival' for the plain survival curve."
            )
        self.weibull_kind = kind
        super().__init__(max_lag=max_lag, priors=priors)

    def default_priors(self) -> dict[str, Prior]:
        return {
            "lam": Prior("LogNormal", mu=float(np.log(2.0)), sigma=0.7),
            "k": Prior("LogNormal", mu=float(np.log(1.5)), sigma=0.5),
        }

    def _extra_config(self) -> dict[str, Any]:
        return {"kind": self.weibull_kind}

    def config(self) -> dict[str, Any]:
        """:meth:`Adstock.config`; ``kind="cdf"`` also carries ``"cdf_form": "cumulative"``,
        which tells it from the survival curve files before the change called ``"cdf"``
        (and makes an mmmkit older than the change refuse the file instead of misreading it).
        """
        out = super().config()
        if self.weibull_kind == "cdf":
            out[CDF_FORM] = CUMULATIVE
        return out

    def _log_weights(self, xp, lags, lam, k):
        if self.weibull_kind == "pdf":
            # the density up to the constant k / lam, which normalisation removes
            log_z = xp.log(as_array(xp, lags + 1.0)) - xp.log(lam)
            return (k - 1.0) * log_z - capped_exp(xp, k * log_z)
        # lag 0 is exactly 1 in both (0**k has no safe gradient in k)
        if len(lags) == 1:
            return xp.zeros_like(lam * k)
        log_z = xp.log(as_array(xp, lags[1:])) - xp.log(lam)
        hazard = capped_exp(xp, k * log_z)  # (l / lam)**k for l = 1 .. max_lag - 1
        tail = -hazard if self.weibull_kind == "survival" else -xp.cumsum(hazard, axis=-1)
        return xp.concatenate([xp.zeros_like(tail[..., :1]), tail], axis=-1)


class BinomialAdstock(Adstock):
    """Binomial decay (PyMC-Marketing's ``BinomialAdstock``, after Meridian's):
    ``w[l] ∝ (1 - l / (max_lag + 1)) ** (1 / alpha - 1)``, ``l = 0 .. max_lag - 1``.

    (Meridian's ``max_lag = L`` counts the lags after week 0: its kernel has these
    ``max_lag = L`` taps and one more, ``l = L``.)

    The decay is measured in shares of the window: ``alpha`` (0..1) near 1 spreads the effect
    evenly over all ``max_lag`` weeks, ``alpha = 1/2`` decays linearly to the window's end,
    near 0 it keeps the effect in week 0. Unlike geometric decay the kernel reaches zero just
    after the window rather than being cut off there, so a long effect needs no long tail to
    be truncated; the same ``alpha`` means a longer carryover with a longer ``max_lag``.
    Default prior ``Beta(1, 3)`` (PyMC-Marketing's; mean 0.25, a cubic decay
    ``(1 - l / (max_lag + 1))**3`` at the mean).
    """

    kind = "binomial"
    param_names = ("alpha",)

    def default_priors(self) -> dict[str, Prior]:
        return {"alpha": Prior("Beta", alpha=1.0, beta=3.0)}

    def _log_weights(self, xp, lags, alpha):
        if len(lags) == 1:
            return xp.zeros_like(alpha)
        # floored so that 1 / alpha**2 (its gradient) stays finite; no Beta draw gets there
        exponent = 1.0 / xp.maximum(alpha, 1e-150) - 1.0
        tail = exponent * as_array(xp, np.log1p(-lags[1:] / (self.max_lag + 1.0)))
        return xp.concatenate([xp.zeros_like(tail[..., :1]), tail], axis=-1)


ADSTOCKS: dict[str, type[Adstock]] = {
    cls.__name__: cls
    for cls in (GeometricAdstock, DelayedAdstock, WeibullAdstock, BinomialAdstock)
}
# the same classes by their short name (``adstock="weibull"`` in MMM and simulate)
ADSTOCK_KINDS: dict[str, type[Adstock]] = {cls.kind: cls for cls in ADSTOCKS.values()}


def adstock_from_config(config: Mapping[str, Any]) -> Adstock:
    """Rebuild an adstock from :meth:`Adstock.config` output.

    A ``WeibullAdstock`` config with ``kind="cdf"`` and no ``"cdf_form"`` was written before
    ``"cdf"`` meant the cumulative kernel: it is rebuilt as ``kind="survival"``, the curve it
    was fitted with, so a saved model keeps its numbers.

    Raises
    ------
    ValueError : a ``"cdf_form"`` other than ``"cumulative"``, or on another kind.
    """
    config = dict(config)
    cls = ADSTOCKS[config.pop("class")]
    priors = {k: Prior.from_dict(v) for k, v in config.pop("priors").items()}
    if issubclass(cls, WeibullAdstock):
        form = config.pop(CDF_FORM, None)
        kind = config.get("kind", "pdf")
        if form is None and kind == "cdf":
            config["kind"] = "survival"  # written when "cdf" named the survival curve
        elif form is not None and (form != CUMULATIVE or kind != "cdf"):
            raise ValueError(
                f"WeibullAdstock config has {CDF_FORM}={form!r} with kind={kind!r}; only "
                f"kind='cdf' carries it, as {CUMULATIVE!r}: remove the field or fix the kind."
            )
    return cls(**config, priors=priors)
