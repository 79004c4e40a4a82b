"""The ``mmmkit`` command line on a temporary folder: one small fit from a TOML config (in a
subprocess, as a scheduled run calls it), then report, plan, compare, card, check and
refresh on the model file it wrote, and bad configs that each exit 2 with one line naming
the file, the key and the line.

The commands after ``fit`` run in-process through :func:`mmmkit.cli.main` (same code, no
second interpreter start); ``plan``, ``check`` and ``refresh`` need ``mmmkit.plan_files``,
``mmmkit.actuals`` and :meth:`mmmkit.MMM.refresh` and are skipped while those are missing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mmmkit as mk
from mmmkit import cli

ROOT = Path(__file__).resolve().parents[1]
HISTORY_WEEKS, ALL_WEEKS = 60, 70
HAS_MLFLOW = importlib.util.find_spec("mlflow") is not None

CONFIG = """\
# a small national model for the command-line tests
[data]
path = "history.csv"
date = "date"
target = "sales"
channels = ["tv", "search"]
controls = ["control_1"]

[model]
adstock = {class = "geometric", max_lag = 4}
saturation = "hill"
seasonality = 1
kpi_unit = "EUR"
currency = "EUR"

[model.priors]
sigma = {dist = "HalfNormal", sigma = 0.3}

[fit]
draws = 150
tune = 150
chains = 2
seed = 1

[output]
folder = "out"
model = "model.nc"
report = true
review = false
"""


def needs(module: str):
    present = importlib.util.find_spec(f"mmmkit.{module}") is not None
    return pytest.mark.skipif(not present, reason=f"waits for mmmkit.{module}")


def line_of(text: str, snippet: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``snippet``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mmmkit.cli", *args], capture_output=True,
                          text=True, timeout=900, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    sim = mk.simulate.simulate(n_geos=1, n_weeks=ALL_WEEKS, n_channels=2, seed=1)
    data = sim.data
    data.iloc[:HISTORY_WEEKS].to_csv(root / "history.csv", index=False)
    data.to_csv(root / "extended.csv", index=False)
    data.iloc[HISTORY_WEEKS:].to_csv(root / "actuals.csv", index=False)
    (root / "mmmkit.toml").write_text(CONFIG)
    return root


@pytest.fixture(scope="module")
def fitted(folder) -> tuple[Path, subprocess.CompletedProcess]:
    """``mmmkit fit mmmkit.toml`` in a subprocess (with ``--mlflow`` to a local file store
    when MLflow is installed): the model file and the finished process."""
    args = ["fit", str(folder / "mmmkit.toml")]
    env = {}
    if HAS_MLFLOW:
        args += ["--mlflow", "--tracking-uri", (folder / "mlruns").as_uri(),
                 "--experiment", "cli-test"]
        env["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps file stores behind this
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    return folder / "out" / "model.nc", done


def test_fit_writes_the_model_and_report_and_prints_a_summary(fitted):
    path, done = fitted
    out = done.stdout
    assert "Fitted sales (EUR) on 60 weeks, 2021-01-04 to" in out
    assert "Health:" in out and "divergences" in out and "r-hat" in out
    assert "ROAS, EUR per EUR (1 = break-even): mean (90% interval)" in out
    assert f"Wrote model: {path}" in out
    assert f"Wrote report: {path.parent / 'report.html'}" in out
    model = mk.MMM.load(path)
    assert model.channels == ["tv", "search"] and model.fit_info_["draws"] == 150
    assert model.kpi_label == "EUR" and model.media.max_lag == 4
    assert (path.parent / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not HAS_MLFLOW, reason="mlflow is not installed")
def test_fit_with_mlflow_logs_the_run(fitted, folder, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.MlflowClient(tracking_uri=(folder / "mlruns").as_uri())
    experiment = client.get_experiment_by_name("cli-test")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["channels"] == "tv,search"
    assert run.data.params["fit.draws"] == "150"
    assert run.data.tags["mmmkit.command"] == "fit"
    assert {"divergences", "max_r_hat", "roas.tv.mean", "roas.search.upper"} \
        <= set(run.data.metrics)
    names = {a.path for a in client.list_artifacts(run.info.run_id, "mmmkit")}
    assert {"mmmkit/model.nc", "mmmkit/report.html", "mmmkit/mmmkit.toml"} <= names
    assert f"Logged to MLflow run {run.info.run_id}" in fitted[1].stdout


# -- bad configs ---------------------------------------------------------------------------------
BAD = {
    # name: (replace this, with that, key shown, the line's text)
    "syntax": ('draws = 150', 'draws = ', "not valid TOML", 'draws = '),
    "unknown key": ('draws = 150', 'drawz = 150', "[fit] drawz", 'drawz = 150'),
    "wrong type": ('chains = 2', 'chains = "two"', "[fit] chains", 'chains = "two"'),
    "missing column": ('"search"]', '"serch"]', "[data] channels", 'channels = '),
    "bad transform": ('saturation = "hill"', 'saturation = "hil"', "[model] saturation",
                      'saturation = "hil"'),
    "bad prior": ('sigma = {dist = "HalfNormal", sigma = 0.3}',
                  'sigma = {dist = "HalfNormal", sigma = -1}', "[model.priors] sigma",
                  'sigma = {dist = "HalfNormal", sigma = -1}'),
    "unknown prior": ('sigma = {dist = "HalfNormal", sigma = 0.3}',
                      'sgima = {dist = "HalfNormal", sigma = 0.3}', "[model.priors] sgima",
                      'sgima = {dist'),
    "missing key": ('target = "sales"\n', '', "[data] target", '[data]'),
    "bad section": ('[output]', '[outptu]', "[outptu]", '[outptu]'),
}


def write_bad(folder: Path, name: str) -> tuple[Path, str]:
    old, new, _, _ = BAD[name]
    assert old in CONFIG
    text = CONFIG.replace(old, new)
    path = folder / f"bad-{name.replace(' ', '-')}.toml"
    path.write_text(text)
    return path, text


def test_a_bad_config_in_a_subprocess_exits_2_with_one_line(folder):
    path, text = write_bad(folder, "wrong type")
    done = run_cli("fit", str(path))
    assert done.returncode == 2
    (line,) = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert line.startswith("mmmkit fit: error: ")
    assert f"{path}, line {line_of(text, 'chains = ')}: [fit] chains" in line
    assert "whole number" in line and "Traceback" not in done.stderr
    assert not (folder / "out" / "bad.nc").exists()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_configs_name_the_file_key_and_line(folder, name, capsys):
    path, text = write_bad(folder, name)
    assert cli.main(["fit", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    _, _, key, snippet = BAD[name]
    assert "\n" not in err and "Traceback" not in err
    assert f"{path}, line {line_of(text, snippet)}" in err, err
    assert key in err, err


def test_errors_say_what_to_change(folder, capsys):
    for name, advice in (("unknown key", "did you mean 'draws'?"),
                         ("missing column", "did you mean 'search'?"),
                         ("bad transform", "use one of hill, logistic, michaelis_menten"),
                         ("syntax", "column")):
        path, _ = write_bad(folder, name)
        assert cli.main(["fit", str(path)]) == 2
        assert advice in capsys.readouterr().err, name


def test_debug_shows_the_traceback(folder, capsys):
    path, _ = write_bad(folder, "wrong type")
    assert cli.main(["fit", str(path), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "ConfigError" in err


def test_missing_files_exit_2(folder, capsys):
    assert cli.main(["fit", str(folder / "nothere.toml")]) == 2
    assert "no run configuration at" in capsys.readouterr().err
    assert cli.main(["card", str(folder / "nothere.nc")]) == 2
    assert "No saved model at" in capsys.readouterr().err
    assert cli.main(["report", str(folder / "mmmkit.toml")]) == 2
    assert "not a readable mmmkit model file" in capsys.readouterr().err


def test_usage(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("fit", "report", "plan", "refresh", "compare", "check", "card"):
        assert command in out
    assert cli.main(["plan"]) == 2  # argparse: the model and --budget are required
    assert "required" in capsys.readouterr().err


# -- the commands on the fitted file -------------------------------------------------------------
def test_report(fitted, tmp_path, capsys):
    assert cli.main(["report", str(fitted[0]), "--out", str(tmp_path), "--no-review"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "model-report.html").exists()
    assert f"Wrote report: {tmp_path / 'model-report.html'}" in out
    assert "(90% interval)" in out


def test_card(fitted, capsys):
    assert cli.main(["card", str(fitted[0])]) == 0
    out = capsys.readouterr().out
    assert "Model: 'sales' on 2 channels (tv, search)" in out and "fingerprint" in out


def test_compare(fitted, tmp_path, capsys):
    path = str(fitted[0])
    assert cli.main(["compare", path, path, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Both models were fitted on the same data." in out
    assert (tmp_path / "model-vs-model.txt").read_text().startswith("ROAS of tv")
    assert (tmp_path / "model-vs-model-channels.csv").exists()


@needs("plan_files")
def test_plan(fitted, tmp_path, capsys):
    from mmmkit.plan_files import load_plan

    args = ["plan", str(fitted[0]), "--budget", "2,000,000", "--bounds", "tv=-20%:+30%",
            "search=0:", "--uncertainty", "0", "--out", str(tmp_path), "--note", "test"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "Budget plan: 2,000,000 EUR over 60 weeks" in out
    assert "Expected lift of the plan" in out and "90% interval" in out
    saved = load_plan(tmp_path / "model-plan.nc")
    assert saved is not None
    assert (tmp_path / "model-plan.csv").read_text().startswith("channel,historical")


def test_plan_with_bad_bounds_exits_2(fitted, capsys):
    args = ["plan", str(fitted[0]), "--budget", "100", "--bounds", "tv=abc"]
    assert cli.main(args) == 2
    assert "write CHANNEL=LOW:HIGH" in capsys.readouterr().err


@needs("actuals")
def test_check(fitted, folder, tmp_path, capsys):
    args = ["check", str(fitted[0]), str(folder / "actuals.csv"), "--out", str(tmp_path)]
    assert cli.main(args) in (0, 3)  # 3 only with --fail-on-drift
    out = capsys.readouterr().out
    text = (tmp_path / "actuals-check.txt").read_text()
    assert text.strip() and text.strip() in out and "Wrote check:" in out


@needs("actuals")
@needs("plan_files")
def test_check_against_a_plan_file(fitted, folder, tmp_path, capsys):
    plan = ["plan", str(fitted[0]), "--budget", "500000", "--uncertainty", "0",
            "--out", str(tmp_path)]
    assert cli.main(plan) == 0
    check = ["check", str(fitted[0]), str(folder / "actuals.csv"), "--plan",
             str(tmp_path / "model-plan.nc"), "--out", str(tmp_path), "--fail-on-drift"]
    status = cli.main(check)
    out = capsys.readouterr().out
    assert status in (0, 3) and "Wrote check:" in out
    assert ("Drift: the actuals left" in out) == (status == 3)


@pytest.mark.skipif(not hasattr(mk.MMM, "refresh"), reason="waits for MMM.refresh")
def test_refresh(fitted, folder, tmp_path, capsys):
    args = ["refresh", str(fitted[0]), str(folder / "extended.csv"), "--out", str(tmp_path)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    new = mk.MMM.load(tmp_path / "model-refreshed.nc")
    assert new.fitted_data().n_weeks == ALL_WEEKS
    assert new.fit_info_["draws"] == 150  # the old fit's settings
    assert "Fitted sales (EUR) on 70 weeks" in out and "What changed:" in out
    changes = (tmp_path / "model-refreshed-changes.txt").read_text()
    assert "added" in changes


def test_parse_bounds():
    from mmmkit.optimize import relative

    assert cli.parse_bounds(["tv=-20%:+30%", "search=0:50000", "social=10:", "radio=:+5%"]) \
        == {"tv": relative(-0.2, 0.3), "search": (0.0, 50000.0), "social": (10.0, None),
            "radio": relative(-1.0, 0.05)}
    assert cli.parse_bounds(None) is None
    for bad in ("tv=-20%:500", "tv", "tv=5", "=1:2", "tv=a:b"):
        with pytest.raises(ValueError, match="CHANNEL=LOW:HIGH"):
            cli.parse_bounds([bad])
