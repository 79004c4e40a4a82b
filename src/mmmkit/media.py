"""The media block: spend -> adstock -> saturation, for every channel at once.

Channels that share the same adstock and saturation objects form a *group*; each group's
parameters are vectors over its channels. The block builds the PyMC graph for the model and
evaluates the very same function on posterior draws (for contributions, ROAS and scenarios).
A curve whose class declares a fused kernel (:attr:`mmmkit.saturation.Saturation.kernel`, set
by the built-ins and not inherited) runs that kernel (:mod:`mmmkit.media_kernel`) in both;
any other curve, a subclass of a built-in included, runs its own numpy/PyTensor code in both.
Tests hold the two paths to the same numbers.

Transform order: by default adstock comes first, ``curve(sum_l w[l] x[t - l])`` (carryover
of spend, then diminishing returns on the adstocked spend). ``transform_order=
"saturation_first"`` applies the curve to each week's spend and carries over its response,
``sum_l w[l] curve(x[t - l])`` (PyMC-Marketing's ``adstock_first=False``): returns diminish
within a week, and a week's response decays in full. Both are divided by the curve at a
typical week's spend (scaled spend 1), so a constant typical spend has response 1 in both.
The fused kernel computes adstock first only; a saturation-first group runs the transforms'
own code (graph and draws alike).

Internal channel order is group by group (in the order the groups first appear), each group in
the user's order; all outputs are labelled, so the order is only visible through coordinates.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mmmkit.adstock import Adstock, GeometricAdstock, convolve, lag_stack
from mmmkit.saturation import HillSaturation, Saturation

#: ``transform_order`` values: carryover of spend, then the curve (the default) ...
ADSTOCK_FIRST = "adstock_first"
#: ... or the curve of each week's spend, then its carryover
SATURATION_FIRST = "saturation_first"
TRANSFORM_ORDERS = (ADSTOCK_FIRST, SATURATION_FIRST)


def shared_data(name: str, value: np.ndarray, *, weeks_axis: int | None = None,
                dims=None):
    """``pm.Data`` whose shape is fixed except along ``weeks_axis``.

    Static shapes let PyTensor drop its run-time broadcast checks (fewer nodes to compile
    and run); the weeks stay free, so a compiled sampler is reused on other weeks (a
    back-test fold, a refresh).
    """
    import pymc as pm

    value = np.asarray(value)
    shape = tuple(None if i == weeks_axis else n for i, n in enumerate(value.shape))
    return pm.Data(name, value, dims=dims, shape=shape)


@dataclass
class ChannelGroup:
    """Channels sharing one adstock, one saturation transform and one transform order."""

    adstock: Adstock
    saturation: Saturation
    channels: list[str]
    index: int
    single: bool  # the only group: plain names ("adstock_alpha", dim "channel")
    transform_order: str = ADSTOCK_FIRST  # or SATURATION_FIRST

    @property
    def saturation_first(self) -> bool:
        """Whether the curve is applied to each week's spend before the carryover."""
        return self.transform_order == SATURATION_FIRST

    @property
    def kernel(self) -> str | None:
        """The fused kernel computing this group (adstock first, a curve declaring one), or
        None: the transforms' own code."""
        return None if self.saturation_first else self.saturation.kernel

    def apply(self, xp, spend, weights, sat: Mapping[str, object]):
        """The group's normalised response from spend ``(..., T, C_g)`` (numpy or PyTensor),
        weights ``(..., C_g, L)`` and curve parameters broadcasting against spend."""
        curve = self.saturation
        at_one = curve.apply(1.0, **sat)
        if self.saturation_first:
            return convolve(xp, curve.apply(spend, **sat) / at_one, weights, self.adstock.max_lag)
        return curve.apply(convolve(xp, spend, weights, self.adstock.max_lag), **sat) / at_one

    @property
    def dim(self) -> str:
        return "channel" if self.single else f"channel_group{self.index}"

    def var(self, part: str, param: str) -> str:
        """PyMC variable name, e.g. ``adstock_alpha`` or ``adstock_group1_alpha``."""
        return f"{part}_{param}" if self.single else f"{part}_group{self.index}_{param}"

    def split_params(self, params: Mapping[str, object]) -> tuple[dict, dict]:
        """``(adstock kwargs, saturation kwargs)`` of this group, from ``{var name: value}``."""
        ad = {p: params[self.var("adstock", p)] for p in self.adstock.param_names}
        sat = {p: params[self.var("saturation", p)] for p in self.saturation.param_names}
        return ad, sat

    def channel_params(self, params: Mapping[str, object], channel: str) -> tuple[dict, dict]:
        """:meth:`split_params` for one channel: each value's last (channel) axis indexed."""
        j = self.channels.index(channel)
        ad, sat = self.split_params(params)
        return {p: v[..., j] for p, v in ad.items()}, {p: v[..., j] for p, v in sat.items()}

    def variables(self) -> dict[str, tuple[str, str]]:
        """``{var name: (part, param)}`` for this group's transform parameters."""
        names = {self.var("adstock", p): ("adstock", p) for p in self.adstock.param_names}
        names.update(
            {self.var("saturation", p): ("saturation", p) for p in self.saturation.param_names}
        )
        return names


class MediaBlock:
    """All channels' carryover and saturation.

    Parameters
    ----------
    channels : channel names, in the user's order.
    adstock, saturation : one transform for all channels, or ``{channel: transform}``
        covering every channel.
    transform_order : ``"adstock_first"`` (the default) or ``"saturation_first"``, for all
        channels or ``{channel: order}`` covering every channel; see the module docstring.

    Raises
    ------
    ValueError : a mapping that does not name every channel exactly, or an unknown order.
    """

    def __init__(
        self,
        channels: Sequence[str],
        adstock: Adstock | Mapping[str, Adstock] | None = None,
        saturation: Saturation | Mapping[str, Saturation] | None = None,
        transform_order: str | Mapping[str, str] = ADSTOCK_FIRST,
    ) -> None:
        self.channels = list(channels)
        ad = _per_channel(self.channels, adstock or GeometricAdstock(max_lag=8), "adstock")
        sat = _per_channel(self.channels, saturation or HillSaturation(), "saturation")
        order = _per_channel(self.channels, transform_order, "transform_order")
        _check_orders(order)
        keys: list[tuple[Adstock, Saturation, str]] = []
        members: list[list[str]] = []
        for ch in self.channels:
            key = (ad[ch], sat[ch], order[ch])
            for i, k in enumerate(keys):
                if k[0] == key[0] and k[1] == key[1] and k[2] == key[2]:
                    members[i].append(ch)
                    break
            else:
                keys.append(key)
                members.append([ch])
        single = len(keys) == 1
        self.groups = [
            ChannelGroup(a, s, m, i, single, o)
            for i, ((a, s, o), m) in enumerate(zip(keys, members, strict=True))
        ]
        self.order = [ch for g in self.groups for ch in g.channels]
        self.max_lag = max(g.adstock.max_lag for g in self.groups)

    def max_lags(self) -> dict[str, int]:
        """Each channel's adstock length (weeks), in user order."""
        return {ch: self.adstock_of(ch).max_lag for ch in self.channels}

    def adstock_of(self, channel: str) -> Adstock:
        return next(g.adstock for g in self.groups if channel in g.channels)

    def saturation_of(self, channel: str) -> Saturation:
        return next(g.saturation for g in self.groups if channel in g.channels)

    def transform_order_of(self, channel: str) -> str:
        """``"adstock_first"`` or ``"saturation_first"``: the order of ``channel``'s
        transforms."""
        return next(g.transform_order for g in self.groups if channel in g.channels)

    def reorder(self, array: np.ndarray, axis: int = -1) -> np.ndarray:
        """``array`` with its channel axis taken from user order into internal order."""
        idx = [self.channels.index(ch) for ch in self.order]
        return np.take(array, idx, axis=axis)

    def slices(self) -> list[slice]:
        out, start = [], 0
        for g in self.groups:
            out.append(slice(start, start + len(g.channels)))
            start += len(g.channels)
        return out

    # -- PyMC ---------------------------------------------------------------------------------
    def coords(self) -> dict[str, list[str]]:
        if len(self.groups) == 1:
            return {}
        return {g.dim: g.channels for g in self.groups}

    def build(self, scaled_spend: np.ndarray, data_name: str = "spend", *, fused: bool = True):
        """The media block of the PyMC model (call inside its ``pm.Model`` context).

        Each channel's curve is divided by its value at a typical week's spend (scaled spend
        1), so the model's effect parameter is the weekly contribution of a typical active
        week. That quantity is what the data pin down most directly; the effect at full
        saturation (a far extrapolation) would be strongly correlated with the curve's shape
        and slow NUTS down.

        ``scaled_spend`` ``(G, T, C)`` is data, registered as ``pm.Data`` once per group.
        With ``fused`` (the default) an adstock-first group whose curve declares a kernel
        (:attr:`~mmmkit.saturation.Saturation.kernel`) is one Op over channel-major spend
        ``(C_g, G, T)``: adstock, curve and the effect-weighted sum over channels in one
        cache-friendly pass, forward and gradient. Otherwise (other curves, or
        ``fused=False``, the reference the kernel is tested against) the lagged copies of
        spend are precomputed (``(C_g, G*T, L)``, :func:`channel_major_lags`), adstock is one
        matrix-vector product per channel and the curve (the transform's own code) is applied
        elementwise. A saturation-first group applies its curve to spend ``(G, T, C_g)``
        once per cell and convolves the result with the weights (``L`` shifted copies).

        Returns
        -------
        graph : :class:`MediaGraph`, the response ``(G, T, C)`` and weighted sums of it.
        params : ``{var name: tensor (C_g,)}`` the transform parameters created, for
            :meth:`channel_response`.
        """
        parts, params = [], {}
        for g, sl in zip(self.groups, self.slices(), strict=True):
            name = data_name if g.single else f"{data_name}_group{g.index}"
            for part, transform in (("adstock", g.adstock), ("saturation", g.saturation)):
                for p in transform.param_names:
                    var = g.var(part, p)
                    params[var] = transform.priors[p].create(var, dims=g.dim)
            ad, sat = g.split_params(params)
            kernel = g.kernel if fused else None
            if kernel is not None:
                data = shared_data(f"{name}_channel_major", np.ascontiguousarray(
                    scaled_spend[..., sl].transpose(2, 0, 1), dtype=float), weeks_axis=2)
            elif g.saturation_first:  # the curve of each week, then the carryover of it
                data = shared_data(f"{name}_geo_week", np.ascontiguousarray(
                    scaled_spend[..., sl], dtype=float), weeks_axis=1)
            else:
                data = shared_data(f"{name}_lags",
                                   channel_major_lags(scaled_spend[..., sl], g.adstock.max_lag),
                                   weeks_axis=1)
            parts.append(_GroupGraph(g, sl, data, g.adstock.weights(**ad), sat, kernel))
        return MediaGraph(parts, scaled_spend.shape[0]), params

    def channel_response(self, channel: str, lags, params):
        """One channel's normalised response (PyTensor) from its lagged scaled spend.

        ``lags`` is ``(L_c, ...)`` — e.g. ``(L_c, G', W')`` for a lift test's geos and weeks,
        with ``L_c`` the channel's own ``max_lag``; ``params`` is the dict :meth:`build`
        returned.
        """
        import pytensor.tensor as pt

        g = next(g for g in self.groups if channel in g.channels)
        ad, sat = g.channel_params(params, channel)
        lags = pt.as_tensor_variable(lags)
        w = g.adstock.weights(**ad)  # (L_c,)
        # lags along axis 0, broadcast over the others (indexing keeps broadcastability
        # static, which a reshape with symbolic sizes would lose)
        w = w[(slice(None), *((None,) * (lags.ndim - 1)))]
        at_one = g.saturation.apply(1.0, **sat)
        if g.saturation_first:  # the curve of zero spend before t = 0 is 0
            return pt.sum(g.saturation.apply(lags, **sat) * w, axis=0) / at_one
        return g.saturation.apply(pt.sum(lags * w, axis=0), **sat) / at_one

    # -- numpy on posterior draws ------------------------------------------------------------------
    def evaluate(self, params: Mapping[str, np.ndarray], scaled_spend: np.ndarray) -> np.ndarray:
        """Saturated media for a batch of draws.

        Parameters
        ----------
        params : ``{var name: (S, C_g)}`` transform parameters of ``S`` draws.
        scaled_spend : ``(G, T, C)`` scaled spend (internal order); spend before ``t = 0`` is
            zero, so prepend history to carry it in.

        Returns
        -------
        ``(S, G, T, C)`` response relative to a typical week's (``1`` at scaled spend 1).
        """
        from mmmkit.media_kernel import CURVES, adstock_saturation_draws

        parts = []
        for g, sl in zip(self.groups, self.slices(), strict=True):
            ad, sat = g.split_params(params)
            w = g.adstock.weights(**ad)  # (S, C_g, L): the model's adstock, as in its graph
            kernel = g.kernel
            if kernel is not None:  # the model's own kernel: one pass, no lag array
                parts.append(adstock_saturation_draws(
                    kernel, scaled_spend[..., sl], w, *(sat[p] for p in CURVES[kernel])))
                continue
            # (1, G, T, C_g) spend by (S, 1, C_g, L) weights: (S, G, T, C_g)
            sat = {p: v[:, None, None, :] for p, v in sat.items()}
            parts.append(g.apply(np, scaled_spend[None, ..., sl], w[:, None], sat))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def variable_names(self) -> list[str]:
        return [name for g in self.groups for name in g.variables()]

    def config(self) -> dict:
        """``{"adstock": {channel: config}, "saturation": {channel: config}}``, and
        ``"transform_order"`` only when some channel is saturation first (one value for
        all channels, else ``{channel: order}``), so an adstock-first block's config (and
        every model file holding one) is what it was before the option existed."""
        out = {
            "adstock": {ch: self.adstock_of(ch).config() for ch in self.channels},
            "saturation": {ch: self.saturation_of(ch).config() for ch in self.channels},
        }
        orders = {ch: self.transform_order_of(ch) for ch in self.channels}
        if any(o != ADSTOCK_FIRST for o in orders.values()):
            uniform = len(set(orders.values())) == 1
            out["transform_order"] = orders[self.channels[0]] if uniform else orders
        return out


@dataclass
class _GroupGraph:
    group: ChannelGroup
    columns: slice  # the group's channels in internal order
    data: object  # pm.Data: spend (C_g, G, T) for the kernel, (G, T, C_g) saturation
    #               first, else lags (C_g, G*T, L)
    weights: object  # adstock kernel (C_g, L)
    sat: dict  # curve parameters, each (C_g,)
    kernel: str | None  # the fused kernel computing the group's curve, or None: its own code

    def curve_args(self):
        """The curve's parameters in the order the kernel takes them."""
        from mmmkit.media_kernel import CURVES

        return [self.sat[p] for p in CURVES[self.kernel]]

    def at_one(self):
        """The curve at a typical week's spend (scaled spend 1), ``(C_g,)``: the normaliser."""
        return self.group.saturation.apply(1.0, **self.sat)

    def response(self, n_geos: int):
        """Normalised response ``(G, T, C_g)``."""
        import pytensor.tensor as pt

        from mmmkit.media_kernel import adstock_saturation_op

        if self.kernel is not None:
            curve = adstock_saturation_op(self.kernel, self.data, self.weights,
                                          *self.curve_args())
            return curve.transpose(1, 2, 0)  # normalised in the kernel
        if self.group.saturation_first:  # data: spend (G, T, C_g)
            return self.group.apply(pt, self.data, self.weights, self.sat)
        # adstock as one batched matrix-vector product per channel: BLAS reads the lag data
        # once forward and once for the weights' gradient, about twice as fast as
        # broadcasting the weights over a (L, G, T, C) array
        # (pt.matmul compiles to a slower Blockwise loop in PyTensor 2.38; batched_dot's
        # deprecation notice has no faster replacement yet, so it is silenced here)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            adstocked = pt.batched_dot(self.data, self.weights)  # (C_g, G*T)
        n_channels = len(self.group.channels)
        adstocked = adstocked.reshape((n_channels, n_geos, -1)).transpose(1, 2, 0)
        return self.group.saturation.apply(adstocked, **self.sat) / self.at_one()

    def weighted(self, effect, n_geos: int):
        """``sum_c effect[g, c] response[g, t, c]`` over the group's channels, ``(G, T)``."""
        import pytensor.tensor as pt

        from mmmkit.media_kernel import adstock_saturation_op

        if not self.group.single:  # (a no-op slice would still change the graph's form)
            effect = effect[:, self.columns]
        if self.kernel is not None:
            # the kernel normalises by the curve at 1 itself: dividing the effect by it here
            # would compute that curve twice once PyMC has cloned the graph (the intercept's
            # prior and the likelihood), and the two copies would not merge
            return adstock_saturation_op(self.kernel, self.data, self.weights,
                                         *self.curve_args(), coef=effect)
        return pt.sum(self.response(n_geos) * effect[:, None, :], axis=-1)


class MediaGraph:
    """The media block inside the PyMC model, from :meth:`MediaBlock.build`.

    :meth:`weighted` is what the likelihood needs and the fast path (no ``(G, T, C)`` array
    with the fused kernel); :meth:`response` is for the terms that need each channel's own
    response (ROAS-parameterised priors).
    """

    def __init__(self, groups: list[_GroupGraph], n_geos: int) -> None:
        self._groups = groups
        self._n_geos = n_geos
        self._response = None

    def response(self):
        """Normalised response of every channel, ``(G, T, C)`` in internal channel order."""
        import pytensor.tensor as pt

        if self._response is None:
            parts = [g.response(self._n_geos) for g in self._groups]
            self._response = parts[0] if len(parts) == 1 else pt.concatenate(parts, axis=-1)
        return self._response

    def weighted(self, effect):
        """``sum_c effect[g, c] response[g, t, c]``, ``(G, T)``; ``effect`` is ``(G, C)``."""
        terms = [g.weighted(effect, self._n_geos) for g in self._groups]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


def channel_major_lags(scaled_spend: np.ndarray, max_lag: int) -> np.ndarray:
    """Lagged spend ``(G, T, C)`` laid out ``(C, G*T, L)`` for the model's batched adstock.

    Row ``g*T + t`` of channel ``c`` holds ``x[g, t], x[g, t-1], ..., x[g, t-L+1]`` (zeros
    before the first week), so adstock is ``lags[c] @ weights[c]``.
    """
    lags = lag_stack(scaled_spend, max_lag)  # (L, G, T, C)
    n_lags, n_geos, n_weeks, n_channels = lags.shape
    return np.ascontiguousarray(
        lags.transpose(3, 1, 2, 0).reshape(n_channels, n_geos * n_weeks, n_lags))


def _check_orders(orders: Mapping[str, object]) -> None:
    wrong = {ch: o for ch, o in orders.items() if o not in TRANSFORM_ORDERS}
    if wrong:
        raise ValueError(
            f"transform_order must be {ADSTOCK_FIRST!r} (carryover of spend, then the curve) "
            f"or {SATURATION_FIRST!r} (the curve of each week's spend, then its carryover), "
            f"for all channels or per channel; got {wrong}."
        )


def _per_channel(channels: list[str], spec, what: str) -> dict:
    if isinstance(spec, Mapping):
        missing = [ch for ch in channels if ch not in spec]
        extra = [k for k in spec if k not in channels]
        if missing or extra:
            raise ValueError(
                f"The {what} mapping must name every channel exactly: missing {missing}, "
                f"not channels {extra}."
            )
        return dict(spec)
    return dict.fromkeys(channels, spec)
