"""fit_many: many independent fits in this process or on a Dask LocalCluster, alike.

One LocalCluster (a worker in its own process) serves the whole module; every fit is a tiny
national model (60 weeks, 2 channels, 150 + 150 draws x 2 chains) of one specification, so
each process compiles it once. Run alone with
``.venv/bin/python -m pytest tests/test_many.py -q -p no:cacheprovider`` (about two minutes).
"""

from __future__ import annotations

import functools
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import evaluation as ev
from mmmkit.many import TABLE_COLUMNS, ManyFits, fit_many, job_seed, refresh_many

FIT = dict(draws=150, tune=150, chains=2)
SEED = 7


def _kwargs(sim) -> dict:
    """The specification of tests/test_cli.py's config (and test_tracking's): compiled once
    in the suite, loaded from PyTensor's disk cache by every later process."""
    return {**sim.model_kwargs(), "adstock": mk.GeometricAdstock(max_lag=4), "seasonality": 1,
            "priors": {"sigma": mk.Prior("HalfNormal", sigma=0.3)}}


@pytest.fixture(scope="module")
def sims():
    return {f"brand_{k}": mk.simulate.simulate(n_geos=1, n_weeks=60, n_channels=2, seed=k)
            for k in (1, 2, 3)}


@pytest.fixture(scope="module")
def jobs(sims):
    spec = mk.MMM(**_kwargs(sims["brand_1"]))
    out = {label: (spec, sim.data) for label, sim in sims.items()}
    # a factory instead of a model (picklable for the workers: no test-module function)
    out["brand_3"] = (functools.partial(mk.MMM, **_kwargs(sims["brand_3"])),
                      sims["brand_3"].data)
    out["broken"] = (spec, sims["brand_1"].data.drop(columns="tv"))  # a channel missing
    return out


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    with cluster, distributed.Client(cluster) as c:
        yield c


BACKTEST = dict(folds=2, test_weeks=4, min_train_weeks=40, seed=3, progress=False, **FIT)
REFRESH = ("brand_1", "brand_2")


def _local_run(jobs, spec, df):
    """The local side of every comparison, fitted with ``client=None`` (module level: a
    spawned process imports it): the jobs, a back-test, and job ``brand_2`` fitted alone with
    its label's seed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        fits = fit_many(jobs, fit_kwargs=FIT, seed=SEED, progress=False)
        alone_spec, alone_df = jobs["brand_2"]
        alone = alone_spec.clone().fit(alone_df, seed=job_seed(SEED, "brand_2"),
                                       progress=False, **FIT)
        # last quarter's models on 52 weeks, then refreshed on all 60
        short = fit_many({label: (jobs[label][0], jobs[label][1].iloc[:52]) for label in REFRESH},
                         fit_kwargs=FIT, seed=SEED, progress=False)
        refreshed = refresh_many({label: short[label] for label in REFRESH},
                                 {label: jobs[label][1] for label in REFRESH}, fit_kwargs=FIT,
                                 seed=SEED, progress=False)
        return fits, ev.backtest(spec, df, **BACKTEST), alone, short, refreshed


def _warm_up(spec, df):
    """Compile the module's specification once, so that PyTensor's on-disk numba cache holds
    it (module level: a spawned process imports it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        spec.clone().fit(df, seed=0, progress=False, **FIT)


def _in_a_fresh_process(fn, *args):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(scope="module")
def local_run(jobs, sims):
    """``_local_run`` in a fresh Python process, as a user's own session runs it, after a
    warm-up process has filled PyTensor's on-disk compile cache.

    Why: a process that compiles a graph cold runs slightly different machine code (the
    same function to rounding) from one that loads it from the disk cache, and NUTS turns
    the last bit into other draws (measured: same seed, different posterior, cold vs warm
    cache; warm vs warm identical). The Dask workers start after the warm-up, so every
    process compared here loads the same cached code, as does any run on a warm cache."""
    spec, df = mk.MMM(**_kwargs(sims["brand_1"])), sims["brand_1"].data
    _in_a_fresh_process(_warm_up, spec, df)
    return _in_a_fresh_process(_local_run, jobs, spec, df)


@pytest.fixture(scope="module")
def local_fits(local_run):
    return local_run[0]


@pytest.fixture(scope="module")
def dask_fits(jobs, client, local_run):  # after the warm-up: see local_run
    return fit_many(jobs, client, fit_kwargs=FIT, seed=SEED, progress=False)


def _assert_same_posterior(a: mk.MMM, b: mk.MMM) -> None:
    assert set(a.idata.posterior.data_vars) == set(b.idata.posterior.data_vars)
    for name in a.idata.posterior.data_vars:
        np.testing.assert_array_equal(a.idata.posterior[name].values,
                                      b.idata.posterior[name].values, err_msg=name)


def test_local_and_cluster_fits_have_identical_posteriors(local_fits, dask_fits, jobs):
    assert isinstance(dask_fits, ManyFits)
    assert local_fits.labels == dask_fits.labels == list(jobs)
    assert list(local_fits) == list(dask_fits) == ["brand_1", "brand_2", "brand_3"]
    for label in local_fits:
        _assert_same_posterior(local_fits[label], dask_fits[label])
        np.testing.assert_array_equal(
            local_fits[label].idata.posterior_predictive["sales"].values,
            dask_fits[label].idata.posterior_predictive["sales"].values)
    # the same draws, really from elsewhere; the caller's spec was never fitted
    assert (local_fits.table["worker"] == "local").all()
    assert dask_fits.table["worker"].str.startswith("tcp://").all()
    assert jobs["brand_1"][0].idata is None
    # different labels, different seeds, so different draws
    assert not np.array_equal(local_fits["brand_1"].idata.posterior["sigma"].values,
                              local_fits["brand_2"].idata.posterior["sigma"].values)


def test_a_failing_job_reports_its_error_and_the_others_finish(local_fits, dask_fits):
    for fits in (local_fits, dask_fits):
        table = fits.table
        assert list(table.columns) == list(TABLE_COLUMNS) and table.index.name == "label"
        assert set(fits.failed) == {"broken"}
        assert fits.failed["broken"].startswith("DataError: ") and "'tv'" in fits.failed["broken"]
        assert table.loc["broken", "status"] == "failed"
        assert table.drop(index="broken")["status"].isin(["ok", "warned"]).all()
        ok = table.drop(index="broken")
        assert (ok["seconds"] > 0).all() and (ok["divergences"] >= 0).all()
        assert ok["max_r_hat"].notna().all() and ok["min_ess_bulk"].notna().all()
        assert (ok["error"] == "").all()
        assert "broken" not in fits and len(fits) == 3
        with pytest.raises(KeyError, match="failed"):
            fits["broken"]
        with pytest.raises(mk.DataError, match="'tv'"):
            fits.raise_failed()
        assert "4 jobs" in repr(fits) and "1 failed" in repr(fits)
    warned = local_fits.table["status"] == "warned"
    assert all(local_fits.warnings[label] for label in warned[warned].index)


def test_each_worker_compiles_the_specification_once(dask_fits):
    """mmmkit's in-process compile cache serves later jobs of the same specification on a
    worker: 3 jobs on the worker, one compile (the suite's cluster has one worker process, to
    keep the 2-core suite short; bench_many.py runs two)."""
    table = dask_fits.table.drop(index="broken")
    reused = table["compile_reused"].astype(bool)
    assert reused.sum() >= 1
    assert ((~reused).groupby(table["worker"]).sum() <= 1).all()


def test_a_jobs_seed_follows_its_label_and_reproduces_it(local_fits, local_run, jobs):
    assert job_seed(SEED, "brand_1") == job_seed(SEED, "brand_1") == 4220316158  # any process
    assert job_seed(SEED, 3) == job_seed(SEED, "3") != job_seed(SEED + 1, 3)
    table = local_fits.table
    assert list(table["seed"]) == [job_seed(SEED, label) for label in jobs]
    _assert_same_posterior(local_run[2], local_fits["brand_2"])  # model.fit(seed=job_seed)


def test_a_grouped_frame_fans_out_by_group_into_saved_files(sims, client, dask_fits, tmp_path,
                                                            capsys):
    """On the cluster (whose worker holds the compile already), each worker writing its
    job's file."""
    frame = pd.concat([sim.data.assign(brand=label) for label, sim in sims.items()],
                      ignore_index=True)
    spec = mk.MMM(**_kwargs(sims["brand_1"]))
    fits = fit_many(spec, client, by="brand", data=frame, fit_kwargs=FIT, seed=SEED,
                    save_dir=tmp_path / "fits", keep="files")
    err = capsys.readouterr().err
    assert "fit_many (dask): 3/3 done, 0 failed" in err and "left" in err
    assert list(fits) == sorted(sims)
    for label in sims:
        path = fits[label]
        assert isinstance(path, Path) and path == tmp_path / "fits" / f"{label}.nc"
        assert path.exists() and fits.table.loc[label, "path"] == str(path)
    models = fits.models  # read back from the files
    for label, sim in sims.items():
        np.testing.assert_array_equal(models[label].data_.target[0], sim.data["sales"])
        assert "brand" not in models[label].config()["controls"]
    # each group fits with its label's seed, as the explicit job of that label does
    assert list(fits.table["seed"]) == [job_seed(SEED, label) for label in sorted(sims)]


@pytest.fixture
def no_fitting(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a fit started before the arguments were checked")

    monkeypatch.setattr(mk.MMM, "fit", refuse)


def test_bad_arguments_raise_before_any_fit(jobs, no_fitting, tmp_path):
    spec, df = jobs["brand_1"]
    cases = [
        (dict(jobs=jobs, keep="all"), ValueError, "keep must be"),
        (dict(jobs=jobs, keep="files"), ValueError, "save_dir"),
        (dict(jobs=jobs, client=object()), ValueError, "dask.distributed.Client"),
        (dict(jobs=jobs, fit_kwargs={"seed": 1}), ValueError, "must not hold 'seed'"),
        (dict(jobs=jobs, fit_kwargs={"draw": 10}), ValueError, "does not take"),
        (dict(jobs=jobs, fit_kwargs={"draws": 0}), ValueError, "draws must be"),
        (dict(jobs=jobs, fit_kwargs=[("draws", 10)]), ValueError, "fit_kwargs must be"),
        (dict(jobs=jobs, seed=-1), ValueError, "seed must be"),
        (dict(jobs=[]), ValueError, "empty"),
        (dict(jobs="brand_1"), ValueError, "jobs must be"),
        (dict(jobs=[spec]), ValueError, r"\(spec, df\) pair"),
        (dict(jobs={"a": ("not a model", df)}), ValueError, "spec must be"),
        (dict(jobs={"a": (spec, "data.csv")}), ValueError, "DataFrame"),
        (dict(jobs={1: (spec, df), "1": (spec, df)}), ValueError, "same as text"),
        (dict(jobs={"a b": (spec, df), "a_b": (spec, df)}, save_dir=tmp_path), ValueError,
         "both be saved"),
        (dict(jobs=spec, by="brand"), ValueError, "go together"),
        (dict(jobs=spec, by="brand", data=df), mk.DataError, "not a column"),
        (dict(jobs=spec, by="tv", data=df), ValueError, "the model itself uses"),
        (dict(jobs=spec, by="brand", data=df.assign(brand=[None] + ["x"] * (len(df) - 1))),
         mk.DataError, "blank"),
    ]
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            fit_many(**kwargs, progress=False)


def test_without_dask_a_client_says_what_to_install(jobs, monkeypatch, no_fitting):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(ImportError, match=r'pip install "mmmkit\[dask\]"'):
        fit_many(jobs, client=object(), progress=False)


def test_backtest_on_the_cluster_scores_as_a_local_run(sims, client, local_run):
    spec, df = mk.MMM(**_kwargs(sims["brand_1"])), sims["brand_1"].data
    here = local_run[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        there = ev.backtest(spec, df, client=client, **BACKTEST)
    assert list(here.index) == [1, 2] and list(here["train_weeks"]) == [52, 56]
    pd.testing.assert_frame_equal(here, there)


def test_compare_specs_fits_the_candidates_on_the_cluster(sims, client):
    # two names for one specification: the worker's compile serves both (the suite's time);
    # that compare ranks different specifications right is tests/test_evaluation.py's
    sim = sims["brand_1"]
    specs = {"first": mk.MMM(**_kwargs(sim)), "second": mk.MMM(**_kwargs(sim))}
    with pytest.raises(ValueError, match="ic must be"):
        ev.compare_specs(specs, sim.data, ic="aic")
    with pytest.raises(ValueError, match="at least two"):
        ev.compare_specs({"first": specs["first"]}, sim.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        table = ev.compare_specs(specs, sim.data, client=client, progress=False, **FIT)
    assert set(table.index) == {"first", "second"}
    assert list(table["rank"]) == [0, 1] and "pareto_k_bad" in table
    assert specs["first"].idata is None and specs["second"].idata is None


def test_refresh_many_refreshes_saved_models_here_and_on_the_cluster(local_run, jobs, client,
                                                                     tmp_path):
    """The quarterly refresh of many models: from their saved files on the workers, the same
    posteriors as a local refresh of the fitted models, each with its previous scales."""
    short, here = local_run[3], local_run[4]
    files = {label: tmp_path / f"{label}.nc" for label in REFRESH}
    for label in REFRESH:
        short[label].save(files[label])
    extended = {label: jobs[label][1] for label in REFRESH}  # 60 weeks: 8 new ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        there = refresh_many(files, extended, client, fit_kwargs=FIT, seed=SEED,
                             progress=False)
    assert list(here) == list(there) == list(REFRESH)
    for label in REFRESH:
        _assert_same_posterior(here[label], there[label])
        assert len(here[label].fitted_data().dates) == 60
        np.testing.assert_array_equal(here[label].fitted_data().spend_scale,
                                      short[label].fitted_data().spend_scale)
        assert here[label].fit_info_["refresh"] == "full"
    with pytest.raises(ValueError, match="same labels"):
        refresh_many(files, {"brand_1": extended["brand_1"]})
    with pytest.raises(ValueError, match="fitted MMM or the path"):
        refresh_many({"x": tmp_path / "none.nc"}, {"x": extended["brand_1"]})
