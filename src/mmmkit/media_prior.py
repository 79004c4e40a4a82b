"""The default prior on channel effects: media share of the KPI, split by share of spend.

Each channel's effect level is the model's ``channel_effect`` (its weekly contribution, as a
share of the geo's mean target, at a typical active week's spend; see :mod:`mmmkit.graph`).
A prior that gives every channel the same effect level, whatever it spends, invents large
effects for small channels: a channel with 3% of the budget and a data-poor series then keeps
a prior contribution as large as TV's, so its ROAS comes out many times too high. This was
seen on held-out data (weakly identified channels at 1.5-3.5x their true ROAS).

The default here is the neutral statement an analyst would make before seeing the data:

* media together drive a share ``m`` of the KPI, ``m ~ priors["media_share"]``
  (``Beta(2, 8)``: median 18%, 90% between 4% and 43%), learned from the data and shared by
  all channels, and
* a priori every unit of currency works equally well, so channel ``c``'s share of the
  media-driven KPI is its share of spend ``w[c]``, up to a channel's own factor
  ``exp(offset[c])``, ``offset[c] ~ priors["channel_effect_offset"]`` (``Normal(0, 0.7)``:
  a channel is within a factor 3.2 of the average channel's ROAS with 90% probability).

So ``channel_effect_mu[c] = log(m) + log(w[c] / r[c]) + offset[c]`` where ``r[c]`` is the
channel's mean response at the fitted spend (its share of the KPI per unit of effect). The
implied prior ROAS has the same median for every channel, ``m * KPI / spend``, and a channel
the data say little about stays near the average channel's ROAS, which the data identify far
better than any one channel's, instead of near an arbitrary effect level. This is partial
pooling of ROAS across channels; Meridian's default ROI prior (one LogNormal shared by all
channels) states the same belief with a fixed, unit-bound centre.

Passing ``priors={"channel_effect_mu": Prior(...)}`` restores a free prior on the absolute
log effect level of every channel (no media share, no spend-share centre).
"""

from __future__ import annotations

import numpy as np

from mmmkit.priors import Prior

MEDIA_SHARE = "media_share"
OFFSET = "channel_effect_offset"
ABSOLUTE = "channel_effect_mu"

DEFAULTS: dict[str, Prior] = {
    MEDIA_SHARE: Prior("Beta", alpha=2.0, beta=8.0),
    OFFSET: Prior("Normal", mu=0.0, sigma=0.7),
}
# The absolute prior's old default, offered for overriding only (see the module docstring).
ABSOLUTE_DEFAULT = Prior("Normal", mu=float(np.log(0.1)), sigma=1.0)


def spend_share_mode(priors) -> bool:
    """Whether ``priors`` (a model's merged priors) use the media-share parameterisation."""
    return ABSOLUTE not in priors


def log_centre(spend: np.ndarray, scaled_spend: np.ndarray,
               target_scale: np.ndarray) -> np.ndarray:
    """``log(w[c] / r[c])``, the spend-share centre of each channel's log effect ``(C,)``.

    Parameters
    ----------
    spend : ``(G, T, C)`` currency, the fitted period (model channel order).
    scaled_spend : ``(G, T, C)`` the same divided by the geo-channel's typical active week.
    target_scale : ``(G,)`` each geo's mean target (KPI units).

    Notes
    -----
    ``r[c]`` is the channel's mean scaled spend over the fitted weeks, averaged over geos with
    the geos' KPI scales as weights: the media term's share of the KPI per unit of effect
    when the response is near linear around a typical week (``response(1) = 1`` by the
    model's anchoring). The curve's shape is unknown a priori, so no shape enters the centre.
    """
    totals = spend.sum(axis=(0, 1))
    w = totals / totals.sum() if totals.sum() > 0 else np.full(totals.shape, 1 / totals.size)
    weights = target_scale / target_scale.sum()
    r = np.einsum("g,gc->c", weights, scaled_spend.mean(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((w > 0) & (r > 0), w / r, 1.0)  # a silent channel: any centre will do
    return np.log(ratio)


def prior_log_effect_draws(priors, rng: np.random.Generator, size: int, n_channels: int,
                           centre: np.ndarray | None = None) -> np.ndarray:
    """Draws ``(size, n_channels)`` of ``channel_effect_mu``'s prior (numpy).

    ``centre`` (from :func:`log_centre`) shifts the media-share draws; it is irrelevant for
    spreads and may be omitted there.
    """
    if not spend_share_mode(priors):
        return priors[ABSOLUTE].sample(rng, (size, n_channels))
    share = priors[MEDIA_SHARE].sample(rng, (size, 1))
    offset = priors[OFFSET].sample(rng, (size, n_channels))
    base = 0.0 if centre is None else np.asarray(centre)[None, :]
    return np.log(share) + base + offset
