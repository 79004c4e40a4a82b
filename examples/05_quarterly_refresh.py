# %% [markdown]
# # One quarter to the next: plan, the quarter happens, refresh, what changed, plan vs actual
#
# Teams do not fit a media mix model once. Every quarter they fit it again with the new
# weeks, ask why the recommendation moved, and check whether last quarter's plan delivered
# what the model promised. This story walks one such turn:
#
# 1. **Last quarter**: fit the model, make a budget plan for the next 13 weeks, save both as
#    files (no pickle), with a note on who fitted it and why.
# 2. **The quarter happens**: 13 new weeks of spend and revenue arrive.
# 3. **Plan vs actual**: in a new session, load the model and the plan; set the model's
#    prediction for the spend that was actually used against the revenue that happened.
# 4. **Refresh**: refit on the extended history with the same specification and the same
#    scales, so the two posteriors compare number by number.
# 5. **What changed**: ROAS before and after with intervals and the chance that each moved,
#    the recommended split for the same budget under each model, the data's changes.
# 6. **The report** with a "What changed" section, for finance.
#
# The same steps run from a scheduled script with the `mmmkit` command line (the end of
# this story).
#
# **Data and model.** Robyn's simulated weekly revenue (bundled, MIT licence) with the model
# of story 01. "Last quarter's" model sees all but the last 26 weeks; the next 13 weeks play
# the quarter that happened. Robyn publishes no true effects, so this story shows the
# workflow; stories 01 and 04 show how far the numbers can be trusted.
#
# With `MMMKIT_FAST=1` (the test suite) the fits run on reduced draws: expect warnings about
# low effective sample sizes, and do not act on those numbers.

# %%
import os
from pathlib import Path

import mmmkit as mk
from mmmkit import datasets, report, scenarios

FAST = bool(os.environ.get("MMMKIT_FAST"))
FIT = dict(draws=200, tune=200, chains=2) if FAST else dict(draws=1000, tune=1000, chains=4)
PROB = 0.9  # every interval below is a 90% credible (or predictive) interval
OUT = Path("out") / "05_quarterly_refresh"
OUT.mkdir(parents=True, exist_ok=True)

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
        fig.savefig(OUT / f"{name}.png", dpi=120)  # a bare Figure renders with Agg
        print(f"figure saved: {OUT / f'{name}.png'}")

# %% [markdown]
# ## The data, cut into "before" and "the quarter that happened"

# %%
df = datasets.load("robyn")
df["event1"] = (df["events"] == "event1").astype(float)
df["event2"] = (df["events"] == "event2").astype(float)
CHANNELS = ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"]
CONTROLS = ["competitor_sales_B", "newsletter", "event1", "event2"]
weeks = sorted(df["DATE"].unique())
last_fitted, quarter_end = weeks[-27], weeks[-14]
history = df[df["DATE"] <= last_fitted].reset_index(drop=True)
quarter = df[(df["DATE"] > last_fitted) & (df["DATE"] <= quarter_end)].reset_index(drop=True)
print(f"Last quarter's model: {len(history)} weeks, to {last_fitted:%Y-%m-%d}.")
print(f"The quarter that happened: {len(quarter)} weeks, {quarter['DATE'].min():%Y-%m-%d} "
      f"to {quarter_end:%Y-%m-%d}.")

# %% [markdown]
# ## 1. Last quarter: fit, plan, save
#
# The plan is the optimiser's split of the last 13 fitted weeks' budget, each channel keeping
# its weekly pattern, within 0.5x to 1.5x of its historical share (the default bounds keep the
# plan near spend levels the model has seen). The plan file records which model (data
# fingerprint and specification) it was made with.

# %%
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
model.fit(history, **FIT, seed=1, progress=False)
mk.provenance.annotate(model, note="quarterly model, fitted for next quarter's plan",
                       author="marketing analytics")
plan = scenarios.optimize_budget(model, start=weeks[-39], end=last_fitted)
print(plan.summary(PROB)[["historical", "allocation", "change_pct", "lift_mean", "lift_lower",
                          "lift_upper"]].round(1).to_string())
model.save(OUT / "model_last_quarter.nc")
mk.save_plan(plan, OUT / "plan_next_quarter.nc", note="same budget, best split")
print(model.card())

# %% [markdown]
# ## 2 and 3. The quarter happened: plan vs actual
#
# A new session: nothing in memory but the two files. `mk.plan_vs_actual` asks the model what it
# would have predicted for the spend that was actually used in the new weeks (the fitted weeks'
# spend carrying over into them), week by week with a 90% predictive band, and sets that
# against the revenue that happened. It flags drift when actuals fall outside the band several
# weeks running or improbably often. With the plan it also says how far the plan was followed.

# %%
last_model = mk.MMM.load(OUT / "model_last_quarter.nc")
last_plan = mk.load_plan(OUT / "plan_next_quarter.nc")
print(last_plan.made_with())
check = mk.plan_vs_actual(last_model, quarter, plan=last_plan, prob=PROB, seed=0)
print(check.text())

# %%
show(mk.plots.plan_vs_actual(check), "plan_vs_actual")

# %% [markdown]
# ## 4. Refresh: the same specification and scales on the extended history
#
# `refresh` returns a new fitted model and leaves the old one as it is. The scales (mean spend
# per active week, mean revenue, the controls' centre and spread) stay last quarter's, so each
# parameter keeps its units. By default it is a full refit with the original priors.
# `informed=True` would use last quarter's posterior as the prior and count only the new weeks
# in the likelihood, so the old weeks are never counted twice (see `mmmkit.refresh`).

# %%
new_model = last_model.refresh(df[df["DATE"] <= quarter_end], progress=False)
print(f"Refreshed: {len(new_model.fitted_data().dates)} weeks; scales from "
      f"{new_model.fit_info_['scales_from']}.")

# %% [markdown]
# ## 5. What changed, and why
#
# `compare_models` sets ROAS and marginal ROAS before and after side by side, with the
# probability that each moved (0.9 or more: "up"; 0.1 or less: "down"; otherwise no clear
# move, which is not evidence that nothing changed), the split each model recommends for the
# same budget and weeks, and what changed in the data.

# %%
changes = mk.compare_models(last_model, new_model, prob=PROB)
print(changes.summary())

# %% [markdown]
# ## 6. The report, with a "What changed" section
#
# One self-contained HTML file (no network) for the marketer, planner and finance lead: the
# refreshed model's numbers, its health, the charts, and what changed since last quarter.

# %%
path = report.write_report(new_model, OUT / "report_this_quarter.html", changes=changes,
                           prob=PROB)
print(f"report written: {path}")

# %% [markdown]
# ## The same from a scheduled script
#
# Each step has a command (`mmmkit --help`; the configuration format is in
# `examples/mmmkit.toml`):
#
# ```
# mmmkit fit mmmkit.toml                          # fit, save the model, write the report
# mmmkit plan out/model.nc --budget 1200000       # the best split, saved as a plan file
# mmmkit check out/model.nc quarter.csv --plan out/plan.nc   # plan vs actual
# mmmkit refresh out/model.nc all_weeks.csv       # refit, save, write what changed
# mmmkit compare out/model.nc out/model_refreshed.nc
# ```
#
# With `--mlflow` (and `pip install "mmmkit[mlflow]"`), each command logs its parameters,
# diagnostics, headline numbers and files to the active MLflow run.
