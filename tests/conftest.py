"""Shared fitted models: fitting is the expensive step, so each is fitted once per session."""

from __future__ import annotations

import warnings

import pytest

import mmmkit as mk
from mmmkit.simulate import scenario

# chart fixtures (no_open_figures, model, grouped_model) for the three chart test files
pytest_plugins = ["plot_fixtures"]

# Small but real fits for the API tests (the recovery tests fit at default settings).
FAST_FIT = dict(draws=300, tune=300, chains=2, seed=3, progress=False)


@pytest.fixture(scope="session")
def national_sim():
    return scenario("national-small", seed=0)


@pytest.fixture(scope="session")
def national_fit(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(national_sim.data, **FAST_FIT)
    return model


@pytest.fixture(scope="session")
def panel_sim():
    return mk.simulate.simulate(n_geos=3, n_weeks=60, n_channels=2, seed=5)


@pytest.fixture(scope="session")
def panel_fit(panel_sim):
    model = mk.MMM(**panel_sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(panel_sim.data, **FAST_FIT)
    return model


@pytest.fixture(scope="session")
def panel_small_sim():
    return scenario("panel-small", seed=0)


@pytest.fixture(scope="session")
def panel_small_fit(panel_small_sim):
    """The issue's 20-geo x 104-week x 4-channel panel at default settings (shared by the
    recovery and scenario acceptance tests: one fit, several checks)."""
    import time

    model = mk.MMM(**panel_small_sim.model_kwargs())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(panel_small_sim.data, seed=1, progress=False)
    print(f"\npanel-small fit: {time.perf_counter() - start:.0f} s {model.fit_info_}")
    return model


# Known-truth models (every draw the true parameters) for the scenario and optimiser tests
@pytest.fixture(scope="session")
def nat_sim():
    return mk.simulate.simulate(n_geos=1, n_weeks=70, n_channels=3, seed=11)


@pytest.fixture(scope="session")
def nat_truth(nat_sim):
    from truth import model_from_truth

    return model_from_truth(nat_sim)


@pytest.fixture(scope="session")
def geo_sim():
    return mk.simulate.simulate(n_geos=4, n_weeks=60, n_channels=3, seed=12)


@pytest.fixture(scope="session")
def geo_truth(geo_sim):
    from truth import model_from_truth

    return model_from_truth(geo_sim)


# Longest files first: the two workers take whole files in collection order (--dist loadfile),
# so a long file collected last runs alone at the end while the other worker idles (a cold
# run's last two minutes were one worker's). Order within a file is kept. test_cli.py before
# test_many.py: its subprocess compiles their shared specification into the disk cache.
HEAVY_FIRST = ["test_recovery.py", "test_notebooks.py", "test_configurations.py",
               "test_cli.py", "test_many.py", "test_model.py", "test_examples.py",
               "test_refresh.py", "test_recovery_independent.py", "test_scenarios.py",
               "test_calibration.py", "test_evaluation.py", "test_uneven.py", "test_io.py",
               "test_actuals.py", "test_tracking.py"]


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
