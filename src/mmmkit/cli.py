"""The ``mmmkit`` command line, for scheduled runs (cron, Airflow, CI).

``mmmkit fit CONFIG``
    Fit the model a TOML run configuration describes (:mod:`mmmkit.run_config`; see
    ``examples/mmmkit.toml``) and write the model file and the HTML report.
``mmmkit report MODEL``
    Write the HTML report of a saved model.
``mmmkit plan MODEL --budget B [--bounds tv=0:50000 search=-20%:+30%]``
    Optimise the split of a budget; write the plan file and a CSV of its summary.
``mmmkit refresh MODEL DATA [--config CONFIG]``
    Refit the model's specification on an extended history; write the new model and what
    changed (:func:`mmmkit.compare_models`).
``mmmkit compare OLD NEW``
    What changed between two fitted models, in words; written to a text file.
``mmmkit check MODEL ACTUALS [--plan PLAN] [--fail-on-drift]``
    The actual weeks against the model's (or a plan's) prediction
    (:func:`mmmkit.actuals.plan_vs_actual`); with ``--fail-on-drift`` it exits 3 when the
    actuals drifted, for a scheduler to alert on.
``mmmkit card MODEL``
    What was fitted, on which data, how and when.

Each command prints a short plain summary (what was written where; the headline numbers
with their units and credible intervals) and exits 0. Bad input (a config key, a missing
column, an unreadable file) prints one line on stderr naming the file, the key and what to
change, and exits 2; ``--debug`` shows the traceback instead. An unexpected error exits 1.
Warnings (a fit to look at) are printed as ``warning: ...`` lines on stderr.

``--mlflow`` (or ``[tracking] mlflow = true`` in the config) logs what each command
computes to MLflow (:mod:`mmmkit.tracking`), to the run named by ``MLFLOW_RUN_ID`` or a new
one, at ``--tracking-uri`` / ``MLFLOW_TRACKING_URI``.

Output files go to ``--out`` (a folder; default the folder of the first model file), named
after the model file: ``model-report.html``, ``model-plan.csv``, ``model-refreshed.nc`` ...
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from mmmkit.diagnostics import ESS_LIMIT, R_HAT_LIMIT
from mmmkit.errors import DataError
from mmmkit.formatting import level, number, ratio, signed
from mmmkit.run_config import (
    ConfigError,
    Tracking,
    fit_from_config,
    load_data,
    read_config,
    read_table,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_DRIFT", "EXIT_ERROR", "build_parser", "main",
           "parse_bounds"]

EXIT_BAD_INPUT = 2
EXIT_ERROR = 1
EXIT_DRIFT = 3  # mmmkit check --fail-on-drift: the actuals left the predicted band
PLAN_SUFFIX = ".nc"  # mmmkit.plan_files writes netCDF


# -- the parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The ``mmmkit`` argument parser (one subcommand per command)."""
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", help="show the traceback of an error")
    common = argparse.ArgumentParser(add_help=False, parents=[debug])
    common.add_argument("--prob", type=float, default=0.9,
                        help="credible-interval level of the numbers shown (default 0.9)")
    common.add_argument("--mlflow", action="store_true",
                        help="log to MLflow (pip install \"mmmkit[mlflow]\")")
    common.add_argument("--experiment", help="MLflow experiment of a new run")
    common.add_argument("--tracking-uri", help="MLflow tracking URI (default "
                        "MLFLOW_TRACKING_URI)")
    common.add_argument("--run-name", help="name of a new MLflow run")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", type=Path,
                     help="folder for the files written (default: the model file's folder)")
    parser = argparse.ArgumentParser(
        prog="mmmkit", description="Bayesian media mix models for scheduled runs: fit from a "
        "TOML config, report, plan budgets, refresh on new weeks, compare and check.",
        epilog=f"Exit status: 0 done; {EXIT_BAD_INPUT} bad input (one line on stderr naming "
        f"the file, the key and what to change); {EXIT_ERROR} an unexpected error (--debug "
        f"shows it); {EXIT_DRIFT} check --fail-on-drift found drift. A run configuration: "
        "examples/mmmkit.toml. 'mmmkit COMMAND --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("fit", parents=[common], help="fit the model of a TOML config",
                       description="Fit the model a TOML run configuration describes and "
                       "write the model file (and the report) to its [output] folder.")
    p.add_argument("config", type=Path, help="the run configuration (.toml)")
    p.add_argument("--progress", action="store_true", help="show the sampler's progress")
    p = sub.add_parser("report", parents=[common, out], help="write the HTML report")
    p.add_argument("model", type=Path, help="a model file written by mmmkit fit")
    p.add_argument("--no-review", action="store_true",
                   help="leave out the review section (it draws from the prior)")
    p = sub.add_parser("plan", parents=[common, out], help="optimise a budget split")
    p.add_argument("model", type=Path)
    p.add_argument("--budget", type=_amount, required=True,
                   help="total spend over the planning period (currency)")
    p.add_argument("--bounds", nargs="+", default=None, metavar="CHANNEL=LOW:HIGH",
                   help="limits on a channel's total: tv=0:50000 (currency, either side may "
                   "be empty) or tv=-20%%:+30%% (relative to its historical spend)")
    p.add_argument("--start", help="first week of the planning period (default the first "
                   "fitted week)")
    p.add_argument("--end", help="last week of the planning period (default the last)")
    p.add_argument("--objective", default="mean", choices=("mean", "quantile",
                                                            "mean_minus_std"))
    p.add_argument("--uncertainty", type=int, default=40, metavar="DRAWS",
                   help="posterior draws optimised one by one for the split's interval "
                   "(0 skips it; default 40)")
    p.add_argument("--note", help="a note saved with the plan")
    p = sub.add_parser("refresh", parents=[common, out],
                       help="refit on an extended history and compare")
    p.add_argument("model", type=Path)
    p.add_argument("data", type=Path, help="the extended weekly table (CSV or Parquet)")
    p.add_argument("--config", type=Path,
                   help="take the sampler settings from this config's [fit] (default: the "
                   "old model's)")
    p.add_argument("--informed", action="store_true",
                   help="start from priors informed by the old posterior")
    p.add_argument("--progress", action="store_true")
    p = sub.add_parser("compare", parents=[common, out], help="what changed between fits")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--budget", type=_amount, help="budget to split under both models "
                   "(default the new fit's actual spend over the planning period)")
    p = sub.add_parser("check", parents=[common, out],
                       help="actual weeks against the prediction (or a plan)")
    p.add_argument("model", type=Path)
    p.add_argument("actuals", type=Path, help="the weeks to check (CSV or Parquet)")
    p.add_argument("--plan", type=Path, help="a plan file written by mmmkit plan")
    p.add_argument("--fail-on-drift", action="store_true",
                   help=f"exit {EXIT_DRIFT} when the actuals drifted from the prediction")
    p = sub.add_parser("card", parents=[debug], help="what was fitted, how and when")
    p.add_argument("model", type=Path)
    return parser


def _amount(text: str) -> float:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount; write e.g. 500000") \
            from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: an amount must be >= 0")
    return value


def parse_bounds(items: Sequence[str] | None) -> dict | None:
    """``["tv=0:50000", "search=-20%:+30%"]`` -> ``{"tv": (0.0, 50000.0), "search":
    relative(-0.2, 0.3)}`` for :func:`mmmkit.optimize.optimize_budget` (an empty side: no
    limit there)."""
    if not items:
        return None
    from mmmkit.optimize import relative

    out: dict = {}
    for item in items:
        channel, eq, span = item.partition("=")
        low, colon, high = span.partition(":")
        try:
            if not (eq and colon and channel.strip()):
                raise ValueError
            sides = [side.strip() for side in (low, high) if side.strip()]
            if "%" in span and not all(side.endswith("%") for side in sides):
                raise ValueError  # one side relative, the other an amount
            if "%" in span:
                lo = float(low.strip().rstrip("%")) / 100 if low.strip() else -1.0
                hi = float(high.strip().rstrip("%")) / 100 if high.strip() else float("inf")
                out[channel.strip()] = relative(lo, hi)
            else:
                out[channel.strip()] = (float(low) if low.strip() else None,
                                        float(high) if high.strip() else None)
        except ValueError:
            raise ValueError(f"--bounds {item!r}: write CHANNEL=LOW:HIGH in currency "
                             "(tv=0:50000; either side may be empty) or relative to the "
                             "channel's historical spend (tv=-20%:+30%).") from None
    return out


# -- what the commands print -----------------------------------------------------------------
def _fit_lines(model) -> list[str]:
    data = model.fitted_data()
    info = model.fit_info_
    where = "national" if model.geo is None else f"{data.n_geos} geos"
    how = (f"{info.get('chains')} chains x {info.get('draws')} draws after "
           f"{info.get('tune')} tuning" if info.get("method") == "nuts"
           else f"{info.get('method')} draft, {info.get('draws')} draws")
    seconds = sum(v for k, v in info.items() if k.endswith("_seconds")
                  and isinstance(v, int | float))
    return [f"Fitted {model.target} ({model.kpi_label}) on {data.n_weeks} weeks, "
            f"{data.dates[0]:%Y-%m-%d} to {data.dates[-1]:%Y-%m-%d}, {where}: {how}, "
            f"{seconds:.0f} s.", _health_line(model)]


def _health_line(model) -> str:
    diag = (model.provenance_ or {}).get("diagnostics") or dict(model.diagnostics())
    r_hat, ess = diag.get("max_r_hat"), diag.get("min_ess_bulk")
    r_text = ("r-hat not available (one chain)" if r_hat is None or r_hat != r_hat
              else f"largest r-hat {r_hat:.3f} (want <= {R_HAT_LIMIT})")
    ess_text = ("" if ess is None or ess != ess
                else f", smallest bulk ESS {ess:.0f} (want >= {ESS_LIMIT})")
    return (f"Health: {diag.get('divergences', 0)} divergences of {diag.get('draws')} draws, "
            f"{r_text}{ess_text}.")


def _roas_lines(model, prob: float) -> list[str]:
    table = model.roas(prob=prob)
    width = max(len(str(ch)) for ch in table.index)
    even = " (1 = break-even)" if model.kpi_is_revenue else ""
    lines = [f"ROAS, {table.attrs['units']}{even}: mean ({level(prob)} interval)"]
    lines += [f"  {ch:<{width}}  {ratio(r['mean']):>8}  ({ratio(r['lower'])} to "
              f"{ratio(r['upper'])})" for ch, r in table.iterrows()]
    return lines


def _plan_lines(plan, prob: float, model) -> list[str]:
    summary = plan.summary(prob)
    money = model.spend_label
    dates = plan.weekly_plan["date"].values
    lines = [f"Budget plan: {number(plan.budget)} {money} over {len(dates)} weeks "
             f"({str(dates[0])[:10]} to {str(dates[-1])[:10]}), objective {plan.objective}"
             f"{'' if plan.converged else ', NOT converged: ' + str(plan.message)}.",
             f"  {'channel':<12} {'historical':>12} {'plan':>12} {'change':>12}  ({money})"]
    for ch, r in summary.iterrows():
        pct = r["change_pct"]
        lines.append(f"  {ch!s:<12} {number(r['historical']):>12} "
                     f"{number(r['allocation']):>12} {signed(r['change']):>12}"
                     + (f" ({pct:+.1f}%)" if pct == pct and abs(pct) != float("inf") else ""))
    total = summary.loc["total"]
    lines.append(f"Expected lift of the plan against the actual spend of those weeks: "
                 f"{signed(total['lift_mean'])} {model.kpi_label} ({level(prob)} interval "
                 f"{signed(total['lift_lower'])} to {signed(total['lift_upper'])}).")
    if plan.binding:
        lines.append(f"At a bound (the data would move these further): "
                     f"{', '.join(plan.binding)}.")
    return lines


# -- the commands --------------------------------------------------------------------------------
@contextlib.contextmanager
def _tracked(args, command: str, settings: Tracking | None = None) -> Iterator:
    """The :mod:`mmmkit.tracking` module inside an MLflow run when tracking is on, else
    ``None``."""
    settings = settings or Tracking()
    if not (args.mlflow or settings.mlflow):
        yield None
        return
    from mmmkit import tracking

    with tracking.use_run(experiment=args.experiment or settings.experiment,
                          tracking_uri=args.tracking_uri or settings.tracking_uri,
                          run_name=args.run_name or settings.run_name,
                          tags={"mmmkit.command": command}) as run:
        yield tracking
        mlflow = tracking.mlflow_module()
        print(f"Logged to MLflow run {run.info.run_id} (experiment {run.info.experiment_id}) "
              f"at {mlflow.get_tracking_uri()}.")


def _out(args, model_path: Path) -> Path:
    folder = args.out if args.out is not None else model_path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _load(path: Path):
    from mmmkit.model import MMM

    return MMM.load(path)


def cmd_fit(args) -> int:
    """``mmmkit fit CONFIG``."""
    from mmmkit.report import write_report

    config = read_config(args.config)
    data = load_data(config)
    with _tracked(args, "fit", config.tracking) as tracking:
        model = fit_from_config(config, data, **({"progress": True} if args.progress else {}))
        config.output_folder.mkdir(parents=True, exist_ok=True)
        model.save(config.model_file)
        report = (write_report(model, config.report_file, prob=args.prob,
                               review=config.review) if config.report_file else None)
        if tracking is not None:
            tracking.log_model(model, model_file=config.model_file, report_file=report,
                               prob=args.prob)
            tracking.log_file(config.path)
        lines = [*_fit_lines(model), *_roas_lines(model, args.prob),
                 f"Wrote model: {config.model_file}"]
        if report is not None:
            lines.append(f"Wrote report: {report}")
        print("\n".join(lines))
    return 0


def cmd_report(args) -> int:
    """``mmmkit report MODEL``."""
    from mmmkit.report import write_report

    model = _load(args.model)
    path = _out(args, args.model) / f"{args.model.stem}-report.html"
    with _tracked(args, "report") as tracking:
        write_report(model, path, prob=args.prob, review=not args.no_review)
        if tracking is not None:
            tracking.log_file(path)
        print("\n".join([_health_line(model), *_roas_lines(model, args.prob),
                         f"Wrote report: {path}"]))
    return 0


def cmd_plan(args) -> int:
    """``mmmkit plan MODEL --budget B``."""
    from mmmkit import plan_files
    from mmmkit.optimize import optimize_budget

    model = _load(args.model)
    bounds = parse_bounds(args.bounds)
    folder = _out(args, args.model)
    with _tracked(args, "plan") as tracking:
        plan = optimize_budget(model, args.budget, bounds, start=args.start, end=args.end,
                               objective=args.objective, n_uncertainty=args.uncertainty)
        plan_path = folder / f"{args.model.stem}-plan{PLAN_SUFFIX}"
        csv_path = folder / f"{args.model.stem}-plan.csv"
        plan_files.save_plan(plan, plan_path, note=args.note, model=model)
        plan.summary(args.prob).to_csv(csv_path)
        if tracking is not None:
            tracking.log_plan(plan, prob=args.prob, plan_file=plan_path)
        print("\n".join([*_plan_lines(plan, args.prob, model), f"Wrote plan: {plan_path}",
                         f"Wrote summary: {csv_path}"]))
    return 0


def _refit_settings(args) -> dict:
    """``refresh``'s sampler settings: the config's ``[fit]``, else the old model's own
    (:meth:`mmmkit.MMM.refresh` defaults to them), without a progress bar."""
    settings = dict(read_config(args.config).fit) if args.config is not None else {
        "progress": False}
    if args.progress:
        settings["progress"] = True
    return settings


def cmd_refresh(args) -> int:
    """``mmmkit refresh MODEL DATA``."""
    from mmmkit.changes import compare_models

    old = _load(args.model)
    settings = _refit_settings(args)
    data = read_table(args.data, text_columns=(old.geo,) if old.geo else ())
    folder = _out(args, args.model)
    new_path = folder / f"{args.model.stem}-refreshed.nc"
    text_path = folder / f"{args.model.stem}-refreshed-changes.txt"
    with _tracked(args, "refresh") as tracking:
        try:
            new = old.refresh(data, informed=args.informed, **settings)
        except ConfigError:
            raise
        except DataError as err:
            raise DataError(f"{args.data}: {err}") from None
        new.save(new_path)
        changes = compare_models(old, new, prob=args.prob)
        text_path.write_text(changes.summary() + "\n", encoding="utf-8")
        if tracking is not None:
            tracking.log_model(new, model_file=new_path, prob=args.prob)
            tracking.log_comparison(changes)
        print("\n".join([*_fit_lines(new), *_roas_lines(new, args.prob), "What changed:",
                         changes.summary(), f"Wrote model: {new_path}",
                         f"Wrote changes: {text_path}"]))
    return 0


def cmd_compare(args) -> int:
    """``mmmkit compare OLD NEW``."""
    from mmmkit.changes import compare_models

    old, new = _load(args.old), _load(args.new)
    folder = _out(args, args.old)
    stem = f"{args.old.stem}-vs-{args.new.stem}"
    with _tracked(args, "compare") as tracking:
        changes = compare_models(old, new, prob=args.prob, budget=args.budget)
        text_path, csv_path = folder / f"{stem}.txt", folder / f"{stem}-channels.csv"
        text_path.write_text(changes.summary() + "\n", encoding="utf-8")
        changes.channels.to_csv(csv_path)
        if tracking is not None:
            tracking.log_comparison(changes)
        print("\n".join([changes.summary(), f"Wrote changes: {text_path}",
                         f"Wrote table: {csv_path}"]))
    return 0


def cmd_check(args) -> int:
    """``mmmkit check MODEL ACTUALS [--plan PLAN]``."""
    from mmmkit.actuals import plan_vs_actual

    model = _load(args.model)
    plan = None
    if args.plan is not None:
        from mmmkit.plan_files import load_plan

        plan = load_plan(args.plan)
    actual = read_table(args.actuals, text_columns=(model.geo,) if model.geo else ())
    path = _out(args, args.model) / f"{args.actuals.stem}-check.txt"
    with _tracked(args, "check") as tracking:
        try:
            result = plan_vs_actual(model, actual, plan, prob=args.prob)
        except DataError as err:
            raise DataError(f"{args.actuals}: {err}") from None
        text = result.text()
        path.write_text(text + "\n", encoding="utf-8")
        if tracking is not None:
            tracking.log_check(result, check_file=path)
        lines = [text, f"Wrote check: {path}"]
        if result.drift:
            lines.append("Drift: the actuals left the model's predicted band (see above); "
                         "refit or refresh the model before planning with it.")
        print("\n".join(lines))
    return EXIT_DRIFT if result.drift and args.fail_on_drift else 0


def cmd_card(args) -> int:
    """``mmmkit card MODEL``."""
    print(_load(args.model).card())
    return 0


COMMANDS = {"fit": cmd_fit, "report": cmd_report, "plan": cmd_plan, "refresh": cmd_refresh,
            "compare": cmd_compare, "check": cmd_check, "card": cmd_card}


# -- running -------------------------------------------------------------------------------------
def _bad_input(err: BaseException) -> bool:
    """Whether ``err`` is about the user's input (exit 2) rather than a bug (exit 1)."""
    if isinstance(err, DataError | ValueError | FileNotFoundError | IsADirectoryError
                  | PermissionError):
        return True
    if isinstance(err, ImportError):  # an optional package to install, not a missing module
        return "pip install" in str(err)
    return type(err).__module__.startswith("mlflow")  # e.g. a store MLflow refuses


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmmkit`` command line; returns the exit status (0, 1 or 2)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2, already printed)
        return int(stop.code or 0)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return COMMANDS[args.command](args)
        except KeyboardInterrupt:
            print(f"mmmkit {args.command}: interrupted.", file=sys.stderr)
            return 130
        except Exception as err:  # every error becomes one line (see the module docstring)
            if args.debug:
                traceback.print_exc()
            text = " ".join(str(err).split()) or type(err).__name__
            if type(err).__module__.startswith("mlflow"):
                text = f"MLflow: {text}"
            if _bad_input(err):
                print(f"mmmkit {args.command}: error: {text}", file=sys.stderr)
                return EXIT_BAD_INPUT
            print(f"mmmkit {args.command}: unexpected error ({type(err).__name__}: {text}); "
                  "run again with --debug for the traceback.", file=sys.stderr)
            return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
