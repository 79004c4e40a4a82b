"""Experiment tracking with MLflow: fits, budget plans and model comparisons as MLflow runs.

Optional and off by default: ``pip install "mmmkit[mlflow]"`` (the client-only
``mlflow-skinny``; a full ``mlflow`` works as well). Importing mmmkit, or this module, never
imports MLflow; the functions below do, and raise :class:`ImportError` naming the install
command when it is missing.

``autolog(disable=False, *, log_report=False, log_models=True)``
    Log every successful :meth:`mmmkit.MMM.fit` from now on (a hook of
    :mod:`mmmkit.hooks`), like MLflow's own ``mlflow.<flavor>.autolog()``: to the active run
    when there is one (left open), otherwise to a new run that is ended after the fit. A
    logging failure (a tracking server that is down) becomes a warning; the fit is kept.
``log_model(model, *, report=False, artifact_path="mmmkit", ...) -> run id``
    One fitted model: parameters, diagnostics and headline metrics, tags, the model file,
    its specification, provenance and card, and optionally the HTML report.
``log_plan(plan, ...)``, ``log_comparison(changes, ...)``, ``log_check(check, ...)``,
``log_file(path, ...)``
    A budget plan (:func:`mmmkit.optimize.optimize_budget`), a comparison
    (:func:`mmmkit.changes.compare_models`), a plan-versus-actual check
    (:func:`mmmkit.actuals.plan_vs_actual`), any file (a report).
``use_run(*, experiment=None, tracking_uri=None, run_name=None, tags=None)``
    The run the ``mmmkit`` command line logs to: the active one, else a new one (which
    honours ``MLFLOW_RUN_ID``, ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME``).

What a fit logs (``log_model``):

* params: ``date``, ``target``, ``geo``, ``channels``, ``controls`` (comma-separated),
  ``adstock.<channel>``, ``saturation.<channel>`` (the transform, e.g.
  ``GeometricAdstock(max_lag=8)``), ``seasonality``, ``trend``, ``drift``, ``likelihood``,
  ``kpi_unit``, ``currency``, ``lift_tests`` (count), ``interval_prob``, and the sampler
  settings ``fit.method``, ``fit.sampler``, ``fit.draws``, ``fit.tune``, ``fit.chains``,
  ``fit.seed``, ``fit.target_accept``, ``fit.init``;
* metrics: ``divergences``, ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``, ``draws``,
  ``fit_seconds`` (and each ``fit.<step>_seconds``), ``data.weeks``, ``data.geos``, and per
  channel ``roas.<channel>.mean|lower|upper`` and ``mroas.<channel>.mean|lower|upper``
  (marginal ROAS), KPI units per unit of spend with the ``interval_prob`` interval (0.9);
  a statistic that does not exist (r-hat of one chain) is left out;
* tags: ``mmmkit.version``, ``mmmkit.data_fingerprint`` (:func:`mmmkit.provenance.fingerprint`),
  ``mmmkit.first_week``, ``mmmkit.last_week``, ``mmmkit.fitted_at``, ``mmmkit.source``,
  ``mmmkit.kpi_unit``;
* artifacts under ``mmmkit/``: the model file (``model.nc``, reloads with
  :meth:`mmmkit.MMM.load`), ``specification.json``, ``provenance.json``, ``card.txt``,
  ``roas.csv`` and, with ``report=True``, ``report.html``.

Channel names in metric and param keys keep letters, digits, ``_ - .`` and spaces; any other
character becomes ``_`` (MLflow's rule for names), with a numeric suffix should two channels
then collide. MLflow params are write-once per run: log one model (and one plan) per run,
or use nested runs (``mlflow.start_run(nested=True)``) for several.
"""

from __future__ import annotations

import contextlib
import math
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mmmkit import hooks

__all__ = ["ARTIFACT_PATH", "INSTALL", "autolog", "check_metrics", "comparison_metrics",
           "key_names", "log_check", "log_comparison", "log_file", "log_model", "log_plan",
           "mlflow_module",
           "model_metrics", "model_params", "model_tags", "plan_metrics", "use_run"]

INSTALL = 'pip install "mmmkit[mlflow]"'
ARTIFACT_PATH = "mmmkit"
DEFAULT_PROB = 0.9
FIT_SETTINGS = ("method", "sampler", "draws", "tune", "chains", "seed", "target_accept", "init")
_AUTOLOG: dict[str, Any] = {"remove": None}


def mlflow_module():
    """The ``mlflow`` module, imported now.

    Raises
    ------
    ImportError : MLflow is not installed; the message gives the install command.
    """
    try:
        import mlflow
    except ImportError:
        raise ImportError("mmmkit.tracking logs to MLflow, which is not installed here: "
                          f"{INSTALL} (or pip install mlflow), then run again.") from None
    return mlflow


@contextlib.contextmanager
def _run(mlflow) -> Iterator[Any]:
    """The active run (left open), or a new one ended on exit (``FAILED`` on an error): what
    MLflow's own autologging does."""
    active = mlflow.active_run()
    if active is not None:
        yield active
        return
    run = mlflow.start_run()
    try:
        yield run
    except BaseException:
        mlflow.end_run("FAILED")
        raise
    mlflow.end_run()


@contextlib.contextmanager
def use_run(*, experiment: str | None = None, tracking_uri: str | None = None,
            run_name: str | None = None, tags: Mapping[str, str] | None = None
            ) -> Iterator[Any]:
    """The MLflow run to log to: the active one, else a new one, ended on exit.

    Parameters
    ----------
    experiment : the experiment of a new run (created if missing); default MLflow's (the
        ``MLFLOW_EXPERIMENT_NAME`` variable, else ``Default``).
    tracking_uri : where runs are stored (``http://...`` for a server, ``file:///...`` for
        a local folder); default MLflow's (``MLFLOW_TRACKING_URI``).
    run_name : the new run's name.
    tags : set on the run.

    Yields
    ------
    the ``mlflow.ActiveRun``. A new run (``mlflow.start_run``, which resumes
    ``MLFLOW_RUN_ID`` when set) ends ``FINISHED``, or ``FAILED`` when the block raises.
    """
    mlflow = mlflow_module()
    if tracking_uri is not None:
        mlflow.set_tracking_uri(tracking_uri)
    if mlflow.active_run() is None:
        if experiment is not None:
            mlflow.set_experiment(experiment)
        run = mlflow.start_run(run_name=run_name)
        try:
            if tags:
                mlflow.set_tags(dict(tags))
            yield run
        except BaseException:
            mlflow.end_run("FAILED")
            raise
        mlflow.end_run()
        return
    with _run(mlflow) as run:
        if tags:
            mlflow.set_tags(dict(tags))
        yield run


# -- names and values ----------------------------------------------------------------------------
def key_names(names) -> dict[str, str]:
    """``{name: key}``: each name as MLflow allows it in a metric or param key (letters,
    digits, ``_ - .`` and spaces; anything else ``_``), distinct (``_2``, ``_3`` ... on a
    collision)."""
    out: dict[str, str] = {}
    for name in names:
        key = re.sub(r"[^\w\-. ]", "_", str(name)).strip() or "_"
        base, n = key, 2
        while key in out.values():
            key, n = f"{base}_{n}", n + 1
        out[name] = key
    return out


def _finite(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[key] = number
    return out


def model_params(model, *, prob: float = DEFAULT_PROB) -> dict[str, str]:
    """The params :func:`log_model` logs: the specification and the sampler settings, as
    text (see the module docstring)."""
    spec = model.config()
    keys = key_names(model.channels)
    params: dict[str, Any] = {name: spec[name] for name in ("date", "target", "geo")}
    params["channels"] = ",".join(model.channels)
    params["controls"] = ",".join(model.controls)
    for ch in model.channels:
        params[f"adstock.{keys[ch]}"] = repr(model.media.adstock_of(ch))
        params[f"saturation.{keys[ch]}"] = repr(model.media.saturation_of(ch))
    drift = spec["drift"]
    params.update(seasonality=spec["seasonality"], trend=spec["trend"],
                  drift=f"knot_weeks={drift['knot_weeks']}" if drift else False,
                  likelihood=spec["likelihood"], kpi_unit=spec["kpi_unit"],
                  currency=spec["currency"], lift_tests=len(spec["lift_tests"] or []),
                  interval_prob=prob)
    info = model.fit_info_
    params.update({f"fit.{name}": info[name] for name in FIT_SETTINGS if name in info})
    return {k: str(v) for k, v in params.items()}


def model_metrics(model, *, prob: float = DEFAULT_PROB) -> dict[str, float]:
    """The metrics :func:`log_model` logs: diagnostics, fit time, data size and ROAS and
    marginal ROAS per channel with their ``prob`` interval (finite values only)."""
    record = model.provenance_ or {}
    diag = record.get("diagnostics") or dict(model.diagnostics())
    metrics: dict[str, Any] = {k: diag.get(k) for k in
                               ("divergences", "max_r_hat", "min_ess_bulk", "min_ess_tail",
                                "draws")}
    seconds = {k: v for k, v in model.fit_info_.items()
               if k.endswith("_seconds") and isinstance(v, int | float)}
    metrics.update({f"fit.{k}": v for k, v in seconds.items()})
    if seconds:
        metrics["fit_seconds"] = sum(seconds.values())
    data = model.fitted_data()
    metrics.update({"data.weeks": data.n_weeks, "data.geos": data.n_geos})
    keys = key_names(model.channels)
    for prefix, marginal in (("roas", False), ("mroas", True)):
        table = model.roas(prob=prob, marginal=marginal)
        for ch, row in table.iterrows():
            for stat in ("mean", "lower", "upper"):
                metrics[f"{prefix}.{keys[ch]}.{stat}"] = row[stat]
    return _finite(metrics)


def model_tags(model) -> dict[str, str]:
    """The tags :func:`log_model` sets: mmmkit's version and the data's fingerprint, weeks
    and fit time from ``model.provenance_``."""
    from importlib import metadata

    record = model.provenance_ or {}
    data = record.get("data") or {}
    try:
        version = metadata.version("mmmkit")
    except metadata.PackageNotFoundError:
        version = (record.get("versions") or {}).get("mmmkit", "unknown")
    tags = {"mmmkit.version": version,
            "mmmkit.data_fingerprint": data.get("fingerprint"),
            "mmmkit.first_week": data.get("first_date"),
            "mmmkit.last_week": data.get("last_date"),
            "mmmkit.fitted_at": record.get("fitted_at"),
            "mmmkit.source": record.get("source"),
            "mmmkit.kpi_unit": model.kpi_label,
            "mmmkit.note": record.get("note")}
    return {k: str(v) for k, v in tags.items() if v is not None}


# -- logging -------------------------------------------------------------------------------------
def log_model(model, *, report: bool = False, artifact_path: str = ARTIFACT_PATH,
              model_file=None, report_file=None, log_model_file: bool = True,
              prob: float = DEFAULT_PROB) -> str:
    """Log a fitted model to the active MLflow run (or to a new run, ended afterwards).

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    report : also write and log the HTML report (:func:`mmmkit.report.write_report`; its
        review section draws from the prior, a few seconds).
    artifact_path : the artifact folder of the run.
    model_file, report_file : files already written (by the command line) to log instead
        of writing new ones.
    log_model_file : log the model file (``False``: params, metrics, tags and the small
        text artifacts only).
    prob : the level of the ROAS intervals logged.

    Returns
    -------
    the run's id.

    Raises
    ------
    ImportError : MLflow is not installed.
    mmmkit.NotFittedError : the model is not fitted.
    """
    mlflow = mlflow_module()
    model.fitted_data()
    with _run(mlflow) as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(model_params(model, prob=prob))
        mlflow.log_metrics(model_metrics(model, prob=prob))
        mlflow.set_tags(model_tags(model))
        mlflow.log_dict(model.config(), f"{artifact_path}/specification.json")
        if model.provenance_ is not None:
            mlflow.log_dict(model.provenance_, f"{artifact_path}/provenance.json")
        mlflow.log_text(model.card(), f"{artifact_path}/card.txt")
        mlflow.log_text(model.roas(prob=prob).to_csv(), f"{artifact_path}/roas.csv")
        if log_model_file:
            if model_file is None:
                model_file = Path(tmp) / "model.nc"
                model.save(model_file)
            mlflow.log_artifact(str(model_file), artifact_path)
        if report and report_file is None:
            from mmmkit.report import write_report

            report_file = write_report(model, Path(tmp) / "report.html", prob=prob)
        if report_file is not None:
            mlflow.log_artifact(str(report_file), artifact_path)
        return run.info.run_id


def plan_metrics(plan, *, prob: float = DEFAULT_PROB) -> dict[str, float]:
    """The metrics :func:`log_plan` logs: ``plan.budget``, ``plan.objective_value``,
    ``plan.converged`` (1 or 0) and, per channel and for ``total``,
    ``plan.<channel>.historical|allocation|change|change_pct|lift_mean|lift_lower|lift_upper``
    (currency; lift in KPI units with its ``prob`` interval)."""
    summary = plan.summary(prob)
    keys = key_names(summary.index)
    metrics: dict[str, Any] = {"plan.budget": plan.budget,
                               "plan.objective_value": plan.objective_value,
                               "plan.converged": float(bool(plan.converged))}
    for ch, row in summary.iterrows():
        for column, value in row.items():
            metrics[f"plan.{keys[ch]}.{column}"] = value
    return _finite(metrics)


def log_plan(plan, *, prob: float = DEFAULT_PROB, artifact_path: str = ARTIFACT_PATH,
             plan_file=None) -> str:
    """Log a budget plan (:func:`mmmkit.optimize.optimize_budget`) to the active run (or a
    new one): params ``plan.objective``, ``plan.risk``, ``plan.margin``; :func:`plan_metrics`;
    tag ``mmmkit.plan_binding`` (channels at a bound); artifacts ``plan.csv`` (the summary)
    and ``plan_file`` when given. Returns the run's id."""
    mlflow = mlflow_module()
    with _run(mlflow) as run:
        mlflow.log_params({"plan.objective": str(plan.objective), "plan.risk": str(plan.risk),
                           "plan.margin": str(plan.margin)})
        mlflow.log_metrics(plan_metrics(plan, prob=prob))
        mlflow.set_tags({"mmmkit.plan_binding": ",".join(plan.binding) or "none"})
        mlflow.log_text(plan.summary(prob).to_csv(), f"{artifact_path}/plan.csv")
        if plan_file is not None:
            mlflow.log_artifact(str(plan_file), artifact_path)
        return run.info.run_id


def comparison_metrics(changes) -> dict[str, float]:
    """The metrics :func:`log_comparison` logs: per channel ``compare.<channel>.roas_old``,
    ``roas_new``, ``change``, ``change_lower``, ``change_upper``, ``prob_increase``,
    ``mroas_old``, ``mroas_new``, ``split_old``, ``split_new`` (currency), and
    ``compare.weeks_added``, ``compare.weeks_removed``, ``compare.values_revised``."""
    keys = key_names(changes.channels.index)
    metrics: dict[str, Any] = {}
    for ch, row in changes.channels.iterrows():
        for column in ("roas_old", "roas_new", "change", "change_lower", "change_upper",
                       "prob_increase", "mroas_old", "mroas_new"):
            metrics[f"compare.{keys[ch]}.{column}"] = row[column]
    for ch, row in changes.split.iterrows():
        if ch in keys:
            metrics[f"compare.{keys[ch]}.split_old"] = row["old"]
            metrics[f"compare.{keys[ch]}.split_new"] = row["new"]
    data = changes.data
    metrics.update({"compare.weeks_added": len(data.weeks_added),
                    "compare.weeks_removed": len(data.weeks_removed),
                    "compare.values_revised": len(data.revised)})
    return _finite(metrics)


def log_comparison(changes, *, artifact_path: str = ARTIFACT_PATH) -> str:
    """Log a :class:`mmmkit.changes.ModelChanges` to the active run (or a new one):
    :func:`comparison_metrics`, tags ``compare.<channel>.moved`` (up / down / unclear),
    artifacts ``comparison.txt`` (the summary in words), ``comparison_channels.csv`` and
    ``comparison_split.csv``. Returns the run's id."""
    mlflow = mlflow_module()
    keys = key_names(changes.channels.index)
    with _run(mlflow) as run:
        mlflow.log_metrics(comparison_metrics(changes))
        mlflow.set_tags({f"compare.{keys[ch]}.moved": str(moved)
                         for ch, moved in changes.channels["moved"].items()})
        mlflow.log_text(changes.summary(), f"{artifact_path}/comparison.txt")
        mlflow.log_text(changes.channels.to_csv(), f"{artifact_path}/comparison_channels.csv")
        mlflow.log_text(changes.split.to_csv(), f"{artifact_path}/comparison_split.csv")
        return run.info.run_id


def check_metrics(check) -> dict[str, float]:
    """The metrics :func:`log_check` logs from a :class:`mmmkit.actuals.PlanCheck`:
    ``check.drift`` (1 or 0), ``check.coverage`` (share of weeks inside the band),
    ``check.prob`` (the band's nominal share), ``check.n_points``, ``check.n_outside``,
    ``check.coverage_p_value``, and ``check.<geo or total>.actual|mean|lower|upper|
    difference_pct`` (the KPI summed over the period, KPI units)."""
    metrics: dict[str, Any] = {"check.drift": float(bool(check.drift)),
                               "check.coverage": check.coverage, "check.prob": check.prob,
                               "check.n_points": check.n_points,
                               "check.n_outside": check.n_outside,
                               "check.coverage_p_value": check.coverage_p_value}
    keys = key_names(check.totals.index)
    for name, row in check.totals.iterrows():
        for column in ("actual", "mean", "lower", "upper", "difference_pct"):
            if column in row:
                metrics[f"check.{keys[name]}.{column}"] = row[column]
    return _finite(metrics)


def log_check(check, *, artifact_path: str = ARTIFACT_PATH, check_file=None) -> str:
    """Log a plan-versus-actual check (:func:`mmmkit.actuals.plan_vs_actual`) to the active
    run (or a new one): :func:`check_metrics`, tag ``mmmkit.drift`` (``true``/``false``),
    the text as ``check.txt`` (or ``check_file`` when given). Returns the run's id."""
    mlflow = mlflow_module()
    with _run(mlflow) as run:
        mlflow.log_metrics(check_metrics(check))
        mlflow.set_tags({"mmmkit.drift": str(bool(check.drift)).lower()})
        if check_file is not None:
            mlflow.log_artifact(str(check_file), artifact_path)
        else:
            mlflow.log_text(check.text(), f"{artifact_path}/check.txt")
        return run.info.run_id


def log_file(path, *, artifact_path: str = ARTIFACT_PATH) -> str:
    """Log one file (a report, a plan check) as an artifact of the active run (or a new
    one). Returns the run's id."""
    mlflow = mlflow_module()
    with _run(mlflow) as run:
        mlflow.log_artifact(str(path), artifact_path)
        return run.info.run_id


# -- autologging ---------------------------------------------------------------------------------
def autolog(disable: bool = False, *, log_report: bool = False,
            log_models: bool = True) -> None:
    """Log every successful :meth:`mmmkit.MMM.fit` to MLflow from now on (:func:`log_model`).

    Like ``mlflow.sklearn.autolog()``: a fit inside ``with mlflow.start_run():`` logs to that
    run and leaves it open; a fit with no active run logs to a run of its own, started and
    ended around the logging, so each fit is one run and none is left dangling. Calling it
    again replaces the earlier settings; ``autolog(disable=True)`` stops it.

    Parameters
    ----------
    disable : stop autologging (MLflow need not be installed for this).
    log_report : also log the HTML report of each fit (a few seconds each).
    log_models : log the model file of each fit (its size grows with draws x weeks).

    Raises
    ------
    ImportError : MLflow is not installed (when enabling).

    Notes
    -----
    Every fit logs, including those other mmmkit calls make (the folds of a holdout, a
    refresh): enable it around the fits to track. A logging failure becomes a
    ``RuntimeWarning`` (:mod:`mmmkit.hooks`); the fitted model is never lost to it.
    """
    if _AUTOLOG["remove"] is not None:
        _AUTOLOG["remove"]()
        _AUTOLOG["remove"] = None
    if disable:
        return
    mlflow_module()

    def log_fit(model) -> None:
        log_model(model, report=log_report, log_model_file=log_models)

    log_fit.__qualname__ = "mmmkit.tracking.autolog"
    _AUTOLOG["remove"] = hooks.register("fit", log_fit)
