"""mmmkit: Bayesian media mix modeling on PyMC.

Build an :class:`MMM`, ``fit`` it on a weekly table, read contributions and ROAS with credible
intervals, and ask what-if questions in :mod:`mmmkit.scenarios`.
"""

import warnings as _warnings

# ArviZ 0.23 announces its 1.0 migration on import; it is noise for mmmkit's users.
_warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")
_warnings.filterwarnings("ignore", message=".*ArviZ.*", category=FutureWarning)


def _quiet_blas_notice() -> None:
    """PyTensor logs a 4-line notice on every compile where it links no BLAS library ("Using
    NumPy C-API based implementation for BLAS functions"). mmmkit's graphs do their heavy work
    in numba kernels, so the notice says nothing a user can act on; only that line is dropped,
    every other PyTensor message stays. The same for its warning "PyTensor could not link to a
    BLAS installation" (C-compiled graphs only; the kernels mmmkit samples with are numba)."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS installation",
                            category=UserWarning)

    class _Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "NumPy C-API based implementation for BLAS" not in record.getMessage()

    logging.getLogger("pytensor.tensor.blas").addFilter(_Drop())


_quiet_blas_notice()

from mmmkit import (  # noqa: E402
    actuals,
    averaging,
    changes,
    datasets,
    evaluation,
    events,
    many,
    plan_files,
    planner,
    plots,
    provenance,
    report,
    review,
    scenarios,
    simulate,
    summaries,
)
from mmmkit.actuals import PlanCheck, plan_vs_actual  # noqa: E402
from mmmkit.adstock import (  # noqa: E402
    Adstock,
    BinomialAdstock,
    DelayedAdstock,
    GeometricAdstock,
    WeibullAdstock,
)
from mmmkit.averaging import ModelAverage  # noqa: E402
from mmmkit.changes import compare_models  # noqa: E402
from mmmkit.drift import Drift  # noqa: E402
from mmmkit.errors import DataError, ModelFileError  # noqa: E402
from mmmkit.many import ManyFits, fit_many  # noqa: E402
from mmmkit.model import MMM, FitWarning, NotFittedError  # noqa: E402
from mmmkit.plan_files import SavedPlan, load_plan, save_plan  # noqa: E402
from mmmkit.priors import Prior  # noqa: E402
from mmmkit.saturation import (  # noqa: E402
    HillSaturation,
    LogisticSaturation,
    MichaelisMentenSaturation,
    Saturation,
)
from mmmkit.validation import validate_frame  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "MMM",
    "Adstock",
    "BinomialAdstock",
    "DataError",
    "DelayedAdstock",
    "Drift",
    "FitWarning",
    "GeometricAdstock",
    "HillSaturation",
    "LogisticSaturation",
    "ManyFits",
    "MichaelisMentenSaturation",
    "ModelAverage",
    "ModelFileError",
    "NotFittedError",
    "PlanCheck",
    "Prior",
    "Saturation",
    "SavedPlan",
    "WeibullAdstock",
    "actuals",
    "averaging",
    "changes",
    "compare_models",
    "datasets",
    "evaluation",
    "events",
    "fit_many",
    "load_plan",
    "many",
    "plan_files",
    "plan_vs_actual",
    "planner",
    "plots",
    "provenance",
    "report",
    "review",
    "save_plan",
    "scenarios",
    "simulate",
    "summaries",
    "validate_frame",
]
