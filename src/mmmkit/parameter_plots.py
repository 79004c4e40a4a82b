"""What the model learned and how well it was sampled: carryover, priors vs posteriors, and
the sampler's rank or trace plots.

Imported by :mod:`mmmkit.plots`, which re-exports every public name here: use
``mmmkit.plots.adstock`` etc. The conventions of :mod:`mmmkit.plots` apply.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mmmkit.figures import MAX_PANELS, PREDICTED_COLOR, ImageFigure, channel_colors, grid
from mmmkit.formatting import flat, interval_label
from mmmkit.reading import read, select_channels, select_names
from mmmkit.stats import check_prob, interval, quantile

__all__ = ["adstock", "adstock_weights", "diagnostics", "key_parameters", "prior_posterior"]


# ---------------------------------------------------------------------------------------------
# Adstock
# ---------------------------------------------------------------------------------------------
def adstock_weights(model) -> xr.DataArray:
    """Posterior draws of each channel's carryover kernel.

    Returns
    -------
    DataArray ``(chain, draw, channel, lag)``: the share of a week's spend effect that lands
    ``lag`` weeks later (each kernel sums to 1; lags beyond a channel's own ``max_lag`` are 0).
    """
    model.fitted_data()
    post = model.idata.posterior
    n_lag = model.media.max_lag
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    out = np.zeros((n_chain * n_draw, len(model.channels), n_lag))
    for g in model.media.groups:
        for ch in g.channels:
            params = {p: flat(post[g.var("adstock", p)].sel({g.dim: ch}))
                      for p in g.adstock.param_names}
            w = np.asarray(g.adstock.weights(**params))  # (S, L_g)
            out[:, model.channels.index(ch), : w.shape[-1]] = w
    return xr.DataArray(
        out.reshape(n_chain, n_draw, len(model.channels), n_lag),
        dims=("chain", "draw", "channel", "lag"),
        coords={"chain": post["chain"].values, "draw": post["draw"].values,
                "channel": model.channels, "lag": np.arange(n_lag)},
        name="adstock_weight", attrs={"units": "share of the total effect"},
    )


def adstock(model, channels: str | Sequence[str] | None = None, *, prob: float = 0.9
            ) -> Figure:
    """Each channel's posterior carryover: how a week's spend effect spreads over later weeks.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    channels : channels to draw (default all; a string is one channel).
    prob : level of the band.

    Returns
    -------
    Figure with one axes per channel: the posterior median weight per lag (weeks after the
    spend; weights sum to 1) with its ``prob`` band; the title gives the mean delay (weeks).
    """
    model.fitted_data()
    check_prob(prob)
    weights = adstock_weights(model)
    names = select_channels(model, channels)
    colors = channel_colors(model)
    fig, axes = grid(len(names), 4, 3.3, 2.9, sharey=True)
    top = float(interval(flat(weights.sel(channel=names)), prob)[1].max())
    for ax, ch in zip(axes, names, strict=True):
        w = flat(weights.sel(channel=ch))  # (S, L)
        n_lag = model.media.adstock_of(ch).max_lag
        w = w[:, :n_lag]
        lags = np.arange(n_lag)
        lower, upper = interval(w, prob)
        ax.fill_between(lags, lower, upper, color=colors[ch], alpha=0.25, lw=0,
                        label=interval_label(prob))
        ax.plot(lags, np.median(w, axis=0), "o-", color=colors[ch], ms=4, label="median")
        delay = float((w * lags).sum(axis=1).mean())
        ax.set_title(f"{ch}: mean delay {delay:.1f} weeks", fontsize=9.5)
        ax.set_xlabel("weeks after the spend (lag)")
        ax.set_ylabel("share of the spend's effect")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, min(1.0, top * 1.1) if top > 0 else 1.0)  # shared: one scale for all
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper right")
    fig.suptitle("Carryover (adstock): when each channel's effect lands", fontsize=10.5)
    return fig


# ---------------------------------------------------------------------------------------------
# Priors vs posteriors
# ---------------------------------------------------------------------------------------------
def key_parameters(model) -> list[str]:
    """Names of the parameters worth checking first: media curves, effects, noise."""
    # the effect prior's own variables: media share and offsets, or the absolute level
    effect = (["media_share", "channel_effect_offset"] if "media_share" in model.priors
              else ["channel_effect_mu"])
    names = [*model.media.variable_names(), *effect]
    if len(model.fitted_data().geos) > 1:
        names.append("channel_effect_sigma")
    names.append("sigma")
    if model.likelihood == "studentt":
        names.append("nu")
    return [n for n in names if n in model.idata.posterior]


def _param_units(model, name: str) -> str:
    """What a parameter measures, in words, for axis labels."""
    t = model.target
    for g in model.media.groups:
        if name in g.variables():
            part, p = g.variables()[name]
            transform = g.adstock if part == "adstock" else g.saturation
            kind = type(transform).__name__
            if part == "adstock":
                if p == "alpha" and kind == "GeometricAdstock":
                    return "share carried into the next week"
                if p == "alpha":
                    return "retention rate, 0-1"
                return "weeks" if p in ("theta", "lam") else "shape, unitless"
            if p == "half_saturation":
                return "spend ÷ typical active week"
            if p == "lam":
                return "steepness per typical week's spend"
            return "shape, unitless"
    return {
        "channel_effect_mu": f"log of weekly effect as share of mean {t}",
        "media_share": f"share of {t} driven by media (at median effectiveness)",
        "channel_effect_offset": "log ROAS relative to the average channel",
        "channel_effect_sigma": "sd of log effect across geos",
        "channel_effect": f"weekly effect as share of mean {t}",
        "sigma": f"noise sd as share of mean {t}",
        "nu": "degrees of freedom",
        "intercept": f"share of mean {t}",
        "level": f"share of mean {t}",
        "trend": f"change over the period, share of mean {t}",
        "seasonality": f"share of mean {t}",
        "control_coef": f"share of mean {t} per sd of the control",
        "drift_sigma": f"change of the base level per year, share of mean {t}",
        "drift_geo_sigma": f"a geo's own change per year, share of mean {t}",
        "drift": f"base level's move at each knot, share of mean {t}",
    }.get(name, "model scale")


def prior_posterior(
    model,
    var_names: str | Sequence[str] | None = None,
    n_prior: int = 4000,
    seed: int = 0,
    bins: int = 40,
) -> Figure:
    """Prior against posterior density of each parameter (one panel per element).

    A posterior much narrower than its prior means the data were informative; one that looks
    like its prior means the prior, not the data, sets the answer.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    var_names : parameter names from ``model.priors`` (default :func:`key_parameters`: the
        adstock and saturation parameters, ``media_share`` and ``channel_effect_offset``
        (or ``channel_effect_mu``), ``sigma``...).
    n_prior : prior draws per parameter (``Prior.sample``).
    seed : seed of the prior draws.
    bins : histogram bins per panel.

    Returns
    -------
    Figure with one axes per parameter element (e.g. ``adstock_alpha [tv]``), at most 40:
    prior (grey) and posterior (blue) histograms on the model's scale, whose unit is in the
    x label, each scaled to a peak of 1.
    """
    model.fitted_data()
    post = model.idata.posterior
    names = select_names(var_names, key_parameters(model))
    priors = model.priors
    bad = [n for n in names if n not in priors or n not in post]
    if bad:
        usable = sorted(n for n in priors if n in post)
        raise ValueError(f"No prior and posterior for {bad[0]!r}; choose from {usable}.")
    rng = np.random.default_rng(seed)
    panels = []  # (label, name, prior draws (n,), posterior draws (S,))
    for name in names:
        values = flat(post[name])  # (S, *shape)
        shape = values.shape[1:]
        prior = _prior_draws(priors[name], rng, n_prior, shape)
        dims = [d for d in post[name].dims if d not in ("chain", "draw")]
        for idx in np.ndindex(*shape):
            labels = [str(post[name][d].values[i]) for d, i in zip(dims, idx, strict=True)]
            label = f"{name} [{', '.join(labels)}]" if labels else name
            panels.append((label, name, prior[(slice(None), *idx)], values[(slice(None), *idx)]))
    panels = panels[:MAX_PANELS]
    fig, axes = grid(len(panels), 4, 3.2, 2.5)
    for ax, (label, name, prior, posterior) in zip(axes, panels, strict=True):
        # each on its own bins: a posterior far narrower than its prior would otherwise fall
        # into one or two of the prior's bins; the x range clips the prior's far tails only.
        # Each density is scaled to a peak of 1, so a wide prior stays visible next to a
        # sharp posterior (the comparison is of shape and location, not height).
        lo = min(quantile(prior, 0.005), posterior.min())
        hi = max(quantile(prior, 0.995), posterior.max())
        n_post_bins = int(np.clip(np.sqrt(posterior.size), 10, bins))
        for values, n_bins, rng_, color, alpha, name_ in (
            (prior, bins, (lo, hi), "#9a9a9a", 0.55, "prior"),
            (posterior, n_post_bins, None, PREDICTED_COLOR, 0.65, "posterior"),
        ):
            finite = values[np.isfinite(values)]
            if rng_ is not None and not rng_[1] > rng_[0]:
                rng_ = None
            density, edges = np.histogram(finite, bins=n_bins, range=rng_, density=True)
            peak = density.max() if density.size and density.max() > 0 else 1.0
            ax.stairs(density / peak, edges, fill=True, color=color, alpha=alpha, label=name_)
        ax.set_title(label, fontsize=8.5)
        ax.set_xlabel(_param_units(model, name), fontsize=7.5)
        ax.set_ylabel("density (peak = 1)", fontsize=7.5)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7.5)
    fig.suptitle("Prior (grey) vs posterior (blue): how much the data moved each parameter",
                 fontsize=10.5)
    return fig


def _prior_draws(prior, rng, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """``(n, *shape)`` prior draws; per-channel prior parameters broadcast on the last axis."""
    try:
        return np.broadcast_to(prior.sample(rng, (n, *shape)), (n, *shape))
    except ValueError:  # parameters that do not broadcast to the shape: one shared prior
        draws = prior.sample(rng, n)
        return np.broadcast_to(draws.reshape(n, *([1] * len(shape))), (n, *shape))


# ---------------------------------------------------------------------------------------------
# Sampler diagnostics
# ---------------------------------------------------------------------------------------------
def diagnostics(model, var_names: str | Sequence[str] | None = None, kind: str = "rank"
                ) -> Figure:
    """Sampler diagnostics for the key parameters: rank plots (default) or trace plots.

    Rank plots: for well-mixed chains each chain's histogram of ranks is flat (near the dashed
    line); a chain that sits high or low, or a U or hump shape, means the chains disagree.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    var_names : posterior variables (default the key parameters, see :func:`key_parameters`).
    kind : ``"rank"`` (:func:`arviz.plot_rank`) or ``"trace"`` (:func:`arviz.plot_trace`).

    Returns
    -------
    Figure; the title gives divergences, the largest r-hat and the smallest bulk ESS.
    """
    import warnings

    import arviz as az

    model.fitted_data()
    if kind not in ("rank", "trace"):
        raise ValueError(f"kind must be 'rank' or 'trace', got {kind!r}.")
    post = model.idata.posterior
    names = select_names(var_names, key_parameters(model))
    bad = [n for n in names if n not in post]
    if bad:
        raise ValueError(f"No posterior variable {bad[0]!r}; choose from {list(post.data_vars)}.")
    diag = read(model, "diagnostics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "rank":
            sizes = [int(np.prod([post[n].sizes[d] for d in post[n].dims
                                  if d not in ("chain", "draw")])) for n in names]
            n = min(sum(sizes), MAX_PANELS)
            fig, axes = grid(n, 4, 3.0, 2.3)
            az.plot_rank(model.idata, var_names=names, ax=np.array(axes), show=False)
            for ax in axes:
                ax.tick_params(labelsize=7)
                ax.set_title(ax.get_title(), fontsize=8.5)
                ax.set_xlabel("rank of the draw (all chains)", fontsize=7.5)
                ax.set_ylabel("chain", fontsize=7.5)
        else:
            fig = ImageFigure(figsize=(11, 2.0 * len(names)), layout="constrained")
            axes = fig.subplots(len(names), 2, squeeze=False)
            az.plot_trace(model.idata, var_names=names, axes=axes, show=False, compact=True)
            for ax in axes[:, 1]:
                ax.set_xlabel("draw", fontsize=7.5)
            for ax in axes[:, 0]:
                ax.set_ylabel("density", fontsize=7.5)
    fig.suptitle(
        f"Sampler check ({kind} plots): {int(diag['divergences'])} divergences, largest r-hat "
        f"{diag['max_r_hat']:.3f}, smallest bulk ESS {diag['min_ess_bulk']:,.0f} of "
        f"{int(diag.get('draws', 0)):,} draws", fontsize=10)
    return fig


