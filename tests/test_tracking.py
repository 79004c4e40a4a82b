"""mmmkit.tracking against a local MLflow file store in a temporary folder (no server).

One small fit, inside ``with mlflow.start_run():`` after ``tracking.autolog()``; the run is
then read back with ``mlflow.get_run`` and its params, metrics, tags and artifacts checked.
The other logging calls reuse that fitted model. MLflow 3 refuses a file store unless
``MLFLOW_ALLOW_FILE_STORE=true`` (its SQLite store needs SQLAlchemy, which the client-only
``mlflow-skinny`` does not install), so the tests set it. Every test leaves no hook behind.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import mmmkit as mk
from mmmkit import hooks, run_config, tracking

# tests/test_cli.py's run configuration: the same specification (and test_many's), so one
# compile serves them all, loaded from PyTensor's disk cache by every later process
from test_cli import CONFIG

mlflow = pytest.importorskip("mlflow")



def tracking_hooks() -> list:
    return [h for h in hooks.registered("fit")
            if getattr(h, "__qualname__", "") == "mmmkit.tracking.autolog"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A file store in a temporary folder, as the tracking URI while the module runs."""
    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        mlflow.set_tracking_uri((root / "mlruns").as_uri())
        mlflow.set_experiment("mmmkit-tests")
        yield root
        mlflow.set_tracking_uri(previous)


@pytest.fixture(autouse=True)
def no_hook_left():
    yield
    tracking.autolog(disable=True)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    assert not tracking_hooks()


@pytest.fixture(scope="module")
def logged(store):
    """The model fitted with autologging on inside an active run, and that run's id."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=60, n_channels=2, seed=1)
    sim.data.to_csv(store / "history.csv", index=False)
    (store / "run.toml").write_text(CONFIG)
    tracking.autolog()
    try:
        with mlflow.start_run() as run, warnings.catch_warnings():
            warnings.simplefilter("ignore", mk.FitWarning)
            model = run_config.fit_from_config(store / "run.toml")
            assert mlflow.active_run().info.run_id == run.info.run_id  # left open
    finally:
        tracking.autolog(disable=True)
    return model, run.info.run_id


def artifacts(run_id: str, folder: str = "mmmkit") -> set[str]:
    return {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, folder)}


def test_autolog_logs_params_metrics_tags_and_artifacts(logged):
    model, run_id = logged
    run = mlflow.get_run(run_id)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["channels"] == "tv,search" and params["controls"] == "control_1"
    assert params["adstock.tv"] == "GeometricAdstock(max_lag=4)"
    assert params["saturation.search"] == "HillSaturation()"
    assert params["seasonality"] == "1" and params["kpi_unit"] == "EUR"
    assert (params["fit.draws"], params["fit.chains"], params["fit.sampler"]) \
        == ("150", "2", "nutpie")
    metrics = run.data.metrics
    diag = model.diagnostics()
    assert metrics["divergences"] == diag["divergences"]
    assert metrics["max_r_hat"] == pytest.approx(diag["max_r_hat"])
    assert metrics["min_ess_bulk"] == pytest.approx(diag["min_ess_bulk"])
    assert metrics["fit_seconds"] > 0 and metrics["data.weeks"] == 60
    roas = model.roas(prob=0.9)
    for ch in model.channels:
        assert metrics[f"roas.{ch}.mean"] == pytest.approx(roas.loc[ch, "mean"])
        assert metrics[f"roas.{ch}.lower"] <= metrics[f"roas.{ch}.mean"] \
            <= metrics[f"roas.{ch}.upper"]
        assert f"mroas.{ch}.mean" in metrics
    tags = run.data.tags
    assert tags["mmmkit.data_fingerprint"] == model.provenance_["data"]["fingerprint"]
    assert tags["mmmkit.version"] == mk.__version__
    assert tags["mmmkit.last_week"] == model.provenance_["data"]["last_date"]
    assert {"mmmkit/model.nc", "mmmkit/specification.json", "mmmkit/provenance.json",
            "mmmkit/card.txt", "mmmkit/roas.csv"} <= artifacts(run_id)


def test_the_logged_model_file_reloads_to_the_same_numbers(logged, tmp_path):
    model, run_id = logged
    path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="mmmkit/model.nc",
                                               dst_path=str(tmp_path))
    again = mk.MMM.load(path)
    assert again.config() == model.config()
    assert again.roas().equals(model.roas())


def test_autolog_registers_one_hook_and_disable_removes_it():
    tracking.autolog()
    tracking.autolog(log_report=True)
    assert len(tracking_hooks()) == 1
    tracking.autolog(disable=True)
    assert not tracking_hooks()


def test_a_fit_without_an_active_run_gets_a_run_of_its_own(logged):
    model, _ = logged
    tracking.autolog(log_models=False)
    hooks.run("fit", model)  # what MMM.fit calls after a fit, without refitting
    assert mlflow.active_run() is None  # started and ended, like MLflow's autologgers
    last = mlflow.search_runs(order_by=["attributes.start_time DESC"], max_results=1)
    run = mlflow.get_run(last.run_id[0])
    assert run.info.status == "FINISHED" and "roas.tv.mean" in run.data.metrics
    assert "mmmkit/model.nc" not in artifacts(run.info.run_id)


def test_log_model_with_the_report(logged):
    model, _ = logged
    with mlflow.start_run() as run:
        run_id = tracking.log_model(model, report=True, log_model_file=False)
    assert run_id == run.info.run_id
    assert "mmmkit/report.html" in artifacts(run_id)


def test_log_plan_and_comparison(logged):
    from mmmkit.changes import compare_models
    from mmmkit.optimize import optimize_budget

    model, _ = logged
    plan = optimize_budget(model, n_uncertainty=0)
    changes = compare_models(model, model)
    with mlflow.start_run() as run:
        tracking.log_plan(plan)
        tracking.log_comparison(changes)
    data = mlflow.get_run(run.info.run_id).data
    assert data.params["plan.objective"] == "mean"
    assert data.metrics["plan.budget"] == pytest.approx(plan.budget)
    total = plan.summary(0.9).loc["total"]
    assert data.metrics["plan.total.lift_mean"] == pytest.approx(total["lift_mean"])
    assert data.metrics["plan.tv.allocation"] == pytest.approx(plan.allocation["tv"])
    assert data.metrics["compare.weeks_added"] == 0
    assert data.metrics["compare.tv.prob_increase"] == pytest.approx(
        changes.channels.loc["tv", "prob_increase"])
    assert data.tags["compare.tv.moved"] == "unclear"
    assert {"mmmkit/plan.csv", "mmmkit/comparison.txt"} <= artifacts(run.info.run_id)


def test_a_failing_store_warns_and_keeps_the_fit(logged, monkeypatch, tmp_path):
    model, _ = logged
    previous = mlflow.get_tracking_uri()
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")  # a new file store now refuses to open
    mlflow.set_tracking_uri((tmp_path / "refused").as_uri())
    tracking.autolog(log_models=False)
    try:
        with pytest.warns(RuntimeWarning, match="the result itself is fine"):
            hooks.run("fit", model)
    finally:
        mlflow.set_tracking_uri(previous)
    assert model.idata is not None


def test_key_names_are_mlflow_safe_and_distinct():
    keys = tracking.key_names(["TV (linear)", "TV [linear]", "search", "a/b"])
    assert keys == {"TV (linear)": "TV _linear_", "TV [linear]": "TV _linear__2",
                    "search": "search", "a/b": "a_b"}


def test_without_mlflow_every_call_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now raises ImportError
    for call in (tracking.autolog, lambda: tracking.log_model(None),
                 lambda: tracking.log_plan(None)):
        with pytest.raises(ImportError, match=r'pip install "mmmkit\[mlflow\]"'):
            call()
    tracking.autolog(disable=True)  # switching off needs no MLflow


def test_importing_mmmkit_never_imports_mlflow():
    code = ("import sys, mmmkit, mmmkit.tracking, mmmkit.cli, mmmkit.run_config; "
            "assert 'mlflow' not in sys.modules, 'mlflow imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
