# %% [markdown]
# # Budget planning: what-ifs, a forward plan and an optimised split, each with its interval
#
# A fitted media mix model is most useful for the questions a budget owner asks:
#
# 1. Where does each channel saturate: beyond which spend does the next unit return less
#    than it costs?
# 2. What if we move 10% of one channel's budget to another?
# 3. What if we double TV?
# 4. Next quarter: what does a changed plan add over repeating last year's same quarter?
# 5. What is the best split of the same budget, within limits the teams can live with?
#
# Every answer is computed draw by draw from the posterior, so every answer comes with a 90%
# credible interval and a probability that it helps. Lifts count the carryover after the
# changed weeks.
#
# **Data and model.** Robyn's simulated weekly revenue (MIT licence, bundled), with exactly
# the model of story `01_national_robyn` (the same specification, so in one Python session
# the compiled sampler is reused). Revenue and spend share one currency, so a ROAS of 1 is
# break-even. Robyn publishes no true effects: these answers are as good as the model, which
# story 01 checks on held-out weeks.
#
# With `MMMKIT_FAST=1` (the test suite) the fit runs on reduced draws: expect warnings about
# low effective sample sizes, and do not act on those numbers.

# %%
import os
from pathlib import Path

import numpy as np
import pandas as pd

import mmmkit as mk
from mmmkit import datasets, report, scenarios

FAST = bool(os.environ.get("MMMKIT_FAST"))
FIT = dict(draws=200, tune=200, chains=2) if FAST else dict(draws=1000, tune=1000, chains=4)
PROB = 0.9  # every interval below is a 90% credible interval
OUT = Path("out") / "03_budget_planning"

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


def say(what, row, unit="revenue"):
    """One line: mean, interval and probability of a gain, from a ``summary()`` row."""
    print(f"{what}: {row['mean']:+,.0f} {unit} [{row['lower']:+,.0f}, {row['upper']:+,.0f}]; "
          f"P(gain) {row['prob_positive']:.0%}")


# %% [markdown]
# ## The model (as in story 01)

# %%
df = datasets.load("robyn")
df["event1"] = (df["events"] == "event1").astype(float)
df["event2"] = (df["events"] == "event2").astype(float)
CHANNELS = ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"]
CONTROLS = ["competitor_sales_B", "newsletter", "event1", "event2"]
model = mk.MMM(
    date="DATE",
    target="revenue",
    channels=CHANNELS,
    controls=CONTROLS,
    adstock=mk.GeometricAdstock(max_lag=8),
    saturation=mk.HillSaturation(),
    seasonality=2,
    trend=True,
)
model.fit(df, **FIT, seed=1, progress=False)
spent = df[CHANNELS].sum()
print(f"Fitted on {len(df)} weeks; media spend over them: {spent.sum():,.0f} currency units.")
print(model.roas(prob=PROB, marginal=True).round(2)
      .to_string(header=["marginal ROAS mean", "median", "90% lower", "90% upper"]))

# %% [markdown]
# ## 1. Response curves and where each channel saturates
#
# A response curve scales a channel's actual weekly pattern up and down (0 to 4 times) and
# traces the extra revenue against the channel's total spend. Its slope is the marginal ROAS.
# The **saturation point** here is the spend beyond which the marginal ROAS stays below 1:
# past it, each extra unit of spend returns less than a unit of revenue.

# %%
# up to 4 times the actual spend, so that the curves reach break-even for most channels
GRID = np.linspace(0, 4, 41)
curves = scenarios.response_curves(model, multipliers=GRID)
sat = curves.saturation_point(threshold=1.0, prob=PROB)
print("Break-even spend (marginal ROAS = 1) over the 208 weeks, currency units:")
print(pd.DataFrame({
    "actual spend": sat["current_spend"].map("{:,.0f}".format),
    "break-even spend, median [90% interval]": sat.apply(
        lambda r: f"{r['median']:,.0f} [{r['lower']:,.0f}, {r['upper']:,.0f}]", axis=1),
    "P(already past it)": sat["prob_saturated"].map("{:.0%}".format),
}).to_string())
print("(inf: still above break-even at 4 times the actual spend; 0: below it at any spend)")

# %%
show(mk.plots.response_curves(model, multipliers=GRID), "response_curves")

# %% [markdown]
# ## 2. Move 10% of out-of-home's budget to Facebook
#
# `scenarios.move` takes the amount out of OOH in proportion to its weekly spend and adds it
# to Facebook the same way, so total spend is unchanged and the answer is pure revenue.

# %%
amount = 0.10 * spent["ooh_S"]
moved = scenarios.move(model, amount, "ooh_S", ["facebook_S"])
summary = moved.summary(prob=PROB)
print(f"Moving {amount:,.0f} currency units (10% of OOH's spend) to Facebook:")
say("  revenue lost on OOH", summary.loc["ooh_S"])
say("  revenue gained on Facebook", summary.loc["facebook_S"])
say("  net change in revenue", summary.loc["total"])

# %% [markdown]
# ## 3. Double TV
#
# TV's spend is doubled in every week it ran. The incremental ROAS is the extra revenue per
# extra unit of spend; below 1 the extra TV would not pay for itself.

# %%
doubled = scenarios.shift(model, {"tv_S": +1.0})
say(f"Doubling TV (+{spent['tv_S']:,.0f} currency units) adds", doubled.summary(PROB).loc["tv_S"])
iroas = doubled.incremental_roas(prob=PROB).loc["tv_S"]
pays = float((doubled.incremental_roas_draws.sel(channel="tv_S") > 1).mean())
print(f"Incremental ROAS of the extra TV: {iroas['mean']:.2f} revenue per unit of spend "
      f"[{iroas['lower']:.2f}, {iroas['upper']:.2f}]; P(it pays for itself) {pays:.0%}.")

# %% [markdown]
# ## 4. A forward plan for next quarter
#
# The reference is "the same 13 weeks as last year", re-dated (`plan_from_history`). The
# alternative cuts OOH by 20% and gives that money to search and Facebook in equal parts.
# Both start right after the fitted weeks, so the fitted spend carries over into both alike.

# %%
start = df["DATE"].max() + pd.Timedelta(weeks=1)
reference = scenarios.plan_from_history(model, start=start, weeks=13)
cut = 0.20 * reference["ooh_S"].sum()
alternative = scenarios.plan_from_history(model, start=start, weeks=13, scale={
    "ooh_S": 0.8,
    "search_S": 1 + 0.5 * cut / reference["search_S"].sum(),
    "facebook_S": 1 + 0.5 * cut / reference["facebook_S"].sum(),
})
plan_lift = scenarios.incremental_lift(model, alternative, reference=reference)
print(f"Next quarter ({start.date()} + 13 weeks): last year's plan spends "
      f"{reference[CHANNELS].sum().sum():,.0f}; the alternative moves {cut:,.0f} from OOH to "
      "search and Facebook.")
say("Revenue of the alternative vs last year's plan", plan_lift.summary(PROB).loc["total"])

# %% [markdown]
# ## 5. The best split of the same budget
#
# `optimize_budget` keeps each channel's weekly pattern and searches for the channel totals
# that maximise expected revenue. The bounds say what the teams can execute: every channel
# between half and one and a half times what it spent, and TV at most 4 million. The plan
# also reports how much the optimal split itself is uncertain: the spread of the splits that
# each posterior draw alone would choose.

# %%
bounds = {ch: scenarios.relative(-0.5, 0.5) for ch in CHANNELS}
bounds["tv_S"] = (0.5 * spent["tv_S"], 4_000_000)
plan = scenarios.optimize_budget(model, bounds=bounds, seed=0)
print(f"Solver converged: {plan.converged}. Spend in currency units; lift in revenue over the "
      "208 weeks and their carryover, with its 90% interval:")
table = plan.summary(prob=PROB)
print(table.to_string(formatters={
    "historical": "{:,.0f}".format, "allocation": "{:,.0f}".format, "change": "{:+,.0f}".format,
    "change_pct": "{:+.0f}%".format, "lift_mean": "{:+,.0f}".format,
    "lift_lower": "{:+,.0f}".format, "lift_upper": "{:+,.0f}".format,
}))
say("Extra revenue of the optimised split, same budget", plan.lift.summary(PROB).loc["total"])
print("How sure is the split? Optimal spend per channel across posterior draws "
      "(currency units, 90% range):")
print(plan.uncertainty[["median", "lower", "upper"]].to_string(float_format="{:,.0f}".format))

# %%
show(mk.plots.budget_plan(model, plan), "budget_plan")

# %% [markdown]
# The report can carry the plan, so the team sees the recommendation next to the model's
# health checks.

# %%
path = report.write_report(model, OUT / "report.html", title="Robyn: budget plan", plan=plan,
                           scenario={"move 10% OOH to Facebook": moved, "double TV": doubled})
print(f"report written: {path}")

# %% [markdown]
# ## 6. A planner page for the meeting
#
# Planners and finance want to try their own splits, many times, without Python.
# `mk.planner.write_planner` writes one HTML file that works offline: a slider and a
# currency box per channel for the next quarter-sized period (the last 13 fitted weeks by
# default), the change in revenue with its 90% interval and the chance that it is positive,
# marginal ROAS at the plan, a warning when a channel goes beyond the spend the data contain,
# and buttons for the optimiser's split at a few budget levels. Its numbers are the ones
# `scenarios.shift` gives on the same posterior draws.

# %%
page = mk.planner.write_planner(model, OUT / "planner.html")
print(f"planner written: {page} ({page.stat().st_size / 1e6:.2f} MB)")

