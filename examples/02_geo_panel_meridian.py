# %% [markdown]
# # A geo panel: 40 regions, partial pooling and ROAS per geo
#
# When spend and the KPI are known per region, a geo panel gives the model many more
# experiments of nature than one national series: regions spend at different times and in
# different amounts. This story fits Google Meridian's simulated geo data, explains how the
# regions share information (partial pooling), and reads ROAS per channel and per geo.
#
# **The data** (`meridian_geo`, Apache-2.0, bundled with mmmkit): 40 geos x 156 weeks,
# 2021-01-25 to 2024-01-15, one row per geo and week.
#
# * **KPI: `conversions`, a count, not revenue.** So ROAS here is *conversions per unit of
#   spend*. The column `revenue_per_conversion` (about 0.02 currency units) turns it into
#   revenue: revenue ROAS = conversion ROAS x revenue per conversion.
# * **Channels:** `Channel0_spend` .. `Channel4_spend`, in currency units. (The file also has
#   impressions, but each channel's cost per impression is constant, so spend carries the
#   same information.)
# * **Controls:** `competitor_sales_control` and `sentiment_score_control` (standardised),
#   `Promo` (promotion intensity) and `Organic_channel0_impression` (an organic channel: it
#   has no spend, so it gets no ROAS).
# * **`population`** is constant within each geo. mmmkit does not need it: each geo's KPI is
#   divided by its own mean, so effects are shares of a geo's typical KPI, which is what
#   per-capita scaling achieves.
#
# Meridian publishes no true effects for this file, so we judge the fit, not the truth.
# With `MMMKIT_FAST=1` (the test suite) the panel is fitted on very few draws, which is far
# too few for 40 geos: expect convergence warnings, and read the numbers as a demo only.

# %%
import os
from pathlib import Path

import numpy as np
import pandas as pd

import mmmkit as mk
from mmmkit import datasets

FAST = bool(os.environ.get("MMMKIT_FAST"))
# The full run is the default 4 chains x 1000 draws (a minute or two on 2 cores). The quick
# run's 100 warm-up draws are too few to learn a low-rank mass matrix; a diagonal one
# (low_rank=False) adapts sooner and needs a third of the steps.
FIT = (dict(draws=50, tune=100, chains=2, low_rank=False) if FAST
       else dict(draws=1000, tune=1000, chains=4))
PROB = 0.9  # every interval below is a 90% credible interval
OUT = Path("out") / "02_geo_panel_meridian"

try:  # in Jupyter the figures are displayed; as a plain script they are saved as PNG files
    from IPython import get_ipython

    IN_NOTEBOOK = get_ipython() is not None
except ImportError:
    IN_NOTEBOOK = False


def show(fig, name):
    """Display ``fig`` in a notebook, or save it as ``OUT/<name>.png`` from a script."""
    if IN_NOTEBOOK:
        from IPython.display import display

        display(fig)
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        fig.savefig(OUT / f"{name}.png", dpi=120)  # a bare Figure renders with Agg
        print(f"figure saved: {OUT / f'{name}.png'}")


def with_interval(table, digits=1):
    """``mean [lower, upper]`` text per row of a mean/lower/upper table."""
    return table.apply(lambda r: f"{r['mean']:,.{digits}f} [{r['lower']:,.{digits}f}, "
                                 f"{r['upper']:,.{digits}f}]", axis=1)


# %% [markdown]
# ## The data

# %%
df = datasets.load("meridian_geo")
CHANNELS = [f"Channel{i}_spend" for i in range(5)]
CONTROLS = ["competitor_sales_control", "sentiment_score_control", "Promo",
            "Organic_channel0_impression"]
geos = df.groupby("geo").agg(population=("population", "first"),
                             conversions=("conversions", "mean"))
print(f"{df['geo'].nunique()} geos x {df['time'].nunique()} weeks, "
      f"{df['time'].min().date()} to {df['time'].max().date()}.")
print(f"Population per geo: {geos['population'].min():,.0f} to {geos['population'].max():,.0f}; "
      f"mean weekly conversions per geo: {geos['conversions'].min():,.0f} to "
      f"{geos['conversions'].max():,.0f}.")
revenue_per_conversion = df["revenue_per_conversion"].mean()
print(f"Revenue per conversion: {revenue_per_conversion:.4f} currency units on average.")
print(pd.DataFrame({
    "total spend (currency)": df[CHANNELS].sum().map("{:,.0f}".format),
    "geo-weeks without spend": (df[CHANNELS] == 0).mean().map("{:.0%}".format),
}).to_string())

# %% [markdown]
# ## Partial pooling, in one line
#
# For geo `g` and channel `c` the model has its own effect, but the effects of a channel's
# geos are drawn from one distribution:
#
# `log effect[g, c] = mu[c] + sigma[c] * z[g, c]`, with `z ~ Normal(0, 1)`.
#
# `mu[c]` is the channel's typical effect and `sigma[c]`, learned from the data, is how much
# geos differ. A geo with little or noisy data is pulled towards the typical effect; a geo
# with strong evidence keeps its own. That is *partial* pooling: between one effect for all
# (complete pooling, which hides real differences) and 40 separate models (no pooling, which
# over-reads noise in small geos). Adstock and saturation shapes are shared by a channel's
# geos; the baseline (intercept, trend) is per geo.

# %%
model = mk.MMM(
    date="time",
    target="conversions",
    channels=CHANNELS,
    geo="geo",
    controls=CONTROLS,
    adstock=mk.GeometricAdstock(max_lag=8),
    saturation=mk.HillSaturation(),
    seasonality=2,
    trend=True,
)
model.fit(df, **FIT, seed=1, progress=False)
info = model.fit_info_
diag = model.diagnostics()
print(f"Sampled {FIT['chains']} chains x {FIT['draws']} draws in {info['compile_seconds']:.0f} s "
      f"compile + {info['sampling_seconds']:.0f} s sampling.")
print(f"divergences {diag['divergences']:.0f} (want 0), largest r-hat {diag['max_r_hat']:.3f} "
      f"(want <= 1.01), smallest bulk ESS {diag['min_ess_bulk']:.0f} (want >= 400).")

# %% [markdown]
# ## ROAS over all geos
#
# Conversions per unit of spend over the 156 weeks and all geos (carryover after the last
# week included), and the same in revenue using the average revenue per conversion.

# %%
roas = model.roas(prob=PROB)
mroas = model.roas(prob=PROB, marginal=True)
print(pd.DataFrame({
    "ROAS, conversions per unit of spend [90%]": with_interval(roas),
    "marginal ROAS [90%]": with_interval(mroas),
    "revenue ROAS, revenue per unit of spend [90%]": with_interval(
        roas[["mean", "lower", "upper"]] * revenue_per_conversion, 2),
}).to_string())

# %% [markdown]
# ## How different are the geos?
#
# `sigma[c]` is the spread of the log effect across geos: a geo one standard deviation above
# the typical one has an effect `exp(sigma)` times larger.

# %%
sigma = model.idata.posterior["channel_effect_sigma"].stack(sample=("chain", "draw"))
spread = pd.DataFrame({
    "mean": np.exp(sigma.mean("sample").values),
    "lower": np.exp(sigma.quantile((1 - PROB) / 2, "sample").values),
    "upper": np.exp(sigma.quantile(1 - (1 - PROB) / 2, "sample").values),
}, index=pd.Index(CHANNELS, name="channel"))
print("Geo-to-geo factor exp(sigma) per channel [90% interval]:")
print(with_interval(spread, 2).to_string())

# %% [markdown]
# ## ROAS per geo
#
# `model.roas(by_geo=True)` gives every geo-channel pair its own ROAS and interval. Below,
# the five largest and five smallest geos (by conversions) for the channel with the most
# spend, next to the channel's ROAS over all geos. A geo's interval reflects how much its own
# weeks say about the channel; where they say little, the estimate leans on the typical
# effect shared by all geos instead of on the geo's noise.

# %%
by_geo = model.roas(prob=PROB, by_geo=True)
top = df[CHANNELS].sum().idxmax()
size = geos["conversions"].sort_values(ascending=False)
picked = list(size.index[:5]) + list(size.index[-5:])
rows = by_geo.xs(top, level="channel").loc[picked]
print(f"{top}: ROAS per geo, conversions per unit of spend (overall "
      f"{roas.loc[top, 'mean']:.1f} [{roas.loc[top, 'lower']:.1f}, {roas.loc[top, 'upper']:.1f}])")
print(pd.DataFrame({
    "mean weekly conversions": size.loc[picked].map("{:,.0f}".format),
    "ROAS [90%]": with_interval(rows),
    "interval width": (rows["upper"] - rows["lower"]).map("{:.1f}".format),
}).to_string())

# %% [markdown]
# ## Fit, total and per geo
#
# The first chart is the sum over all geos; the second shows the six largest geos, each with
# R² and the share of weeks inside the 90% predictive band in its title.

# %%
show(mk.plots.fit(model), "fit_total")

# %%
show(mk.plots.fit(model, by_geo=True, max_geos=6), "fit_by_geo")

# %%
show(mk.plots.roas(model, marginal=True), "roas")
