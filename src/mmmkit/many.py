"""Many independent fits: one specification per brand, back-test fold or candidate.

:func:`fit_many` fans out a list of jobs, each a ``(spec, df)`` pair, and returns their fitted
models as one labelled :class:`ManyFits` with a table of how each went. The jobs run in this
process one after the other (``client=None``) or on the workers of a
``dask.distributed.Client`` (``pip install "mmmkit[dask]"``), one task per job, the same code
on a laptop's :class:`~distributed.LocalCluster` and on a cluster's scheduler.
:func:`refresh_many` does the same for the quarterly refresh of many saved models (each job
:meth:`MMM.refresh` of a fitted model or its file on the job's extended history).

What makes the two ways agree:

* **Seeds.** Each job's fit seed is derived from ``seed`` and the job's label
  (:func:`job_seed`: :class:`numpy.random.SeedSequence` over ``seed`` and a SHA-256 of the
  label's text, not Python's salted ``hash``), so a job's posterior depends on neither the
  worker that ran it nor the order: the same jobs and seed give identical draws in a loop
  here and on a cluster, and ``model.fit(df, seed=job_seed(seed, label))`` reproduces one job.
* **Worker set-up.** Every fit runs inside :func:`mmmkit._threads.one_blas_thread` (one BLAS
  thread; Dask's nanny also starts worker processes with ``OMP/MKL/OPENBLAS_NUM_THREADS=1``)
  and samples its chains as :meth:`MMM.fit` does (nutpie threads, ``cores`` as given in
  ``fit_kwargs``, default one per chain up to the cores the worker sees). The compiled
  sampler is cached per specification in each process (:data:`mmmkit.inference.COMPILED`),
  so a worker that fits a second job of the same specification, on other weeks or another
  brand's numbers, reuses its compile: ``ManyFits.table["compile_reused"]`` says so per job.
* **Failures stay with their job.** A job whose frame, factory, fit or save raises is recorded
  as ``"failed"`` with the error's type and message; the other jobs finish. A worker that dies
  is reported the same way (Dask retries its task elsewhere first).

Models travel between processes as Dask serialises task arguments and results, in memory
(cloudpickle: a fitted MMM is plain Python objects and numpy arrays, ~0.25 MB for a small
national fit). Nothing is pickled to disk: with ``save_dir=`` each worker writes its model with
:meth:`MMM.save` (netCDF + JSON, no pickle) as soon as it is fitted, so a worker that dies
later loses nothing, and ``keep="files"`` sends back only the path.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mmmkit import inference
from mmmkit._threads import one_blas_thread
from mmmkit.errors import DataError, FitWarning
from mmmkit.model import MMM
from mmmkit.validation import check_fit_args

__all__ = ["TABLE_COLUMNS", "ManyFits", "Refresh", "fit_many", "fresh_model", "job_seed",
           "refresh_many", "run_job"]

KEEP = ("models", "files")
DASK_HINT = 'pip install "mmmkit[dask]"'
# one row per job in ManyFits.table, in this order (the index is the label)
TABLE_COLUMNS = ("status", "seconds", "divergences", "max_r_hat", "min_ess_bulk", "seed",
                 "compile_seconds", "compile_reused", "worker", "error", "warnings", "path")
_FIT_SIGNATURE = inspect.signature(MMM.fit).parameters
FIT_OPTIONS = tuple(name for name in _FIT_SIGNATURE if name not in ("self", "df", "seed"))


# ---------------------------------------------------------------------------------------------
# One job
# ---------------------------------------------------------------------------------------------
def fresh_model(model_or_factory: MMM | Callable[[], MMM]) -> MMM:
    """An unfitted model from an MMM (cloned: the given one is never changed) or from a
    zero-argument factory (called; a fitted model it returns is cloned).

    Raises
    ------
    TypeError : neither an MMM nor a function returning one.
    """
    if isinstance(model_or_factory, MMM):
        return model_or_factory.clone()
    if callable(model_or_factory):
        model = model_or_factory()
        if not isinstance(model, MMM):
            raise TypeError(f"The model factory must return an mmmkit.MMM, got {model!r}.")
        return model.clone() if model.idata is not None else model
    raise TypeError(
        f"Expected an mmmkit.MMM or a function returning one, got {type(model_or_factory)}.")


def job_seed(seed: int, label: Any) -> int:
    """The fit seed :func:`fit_many` gives the job ``label`` under ``seed``.

    ``numpy.random.SeedSequence([seed, *sha256(str(label))])``'s first 32-bit word: the same
    in every process, Python version and machine (Python's ``hash`` of text is salted per
    process), and unrelated between labels. Labels count by their text: ``3`` and ``"3"``
    share a seed.

    Returns
    -------
    int in ``0 .. 2**32 - 1``.
    """
    digest = hashlib.sha256(str(label).encode("utf-8")).digest()
    words = [int(w) for w in np.frombuffer(digest[:16], dtype="<u4")]
    return int(np.random.SeedSequence([int(seed), *words]).generate_state(1)[0])


@dataclass(frozen=True)
class Refresh:
    """A refresh job's specification: the previous fit, a fitted :class:`MMM` or the path of
    its saved file (read where the job runs), refreshed on the job's frame with
    :meth:`MMM.refresh` (``informed`` as there)."""

    previous: Any
    informed: bool = False

    def run(self, df: pd.DataFrame, seed: int, fit_kwargs: Mapping[str, Any]) -> MMM:
        old = self.previous if isinstance(self.previous, MMM) else MMM.load(self.previous)
        return old.refresh(df, informed=self.informed, seed=seed, **fit_kwargs)


def run_job(label: Any, spec: MMM | Callable[[], MMM], df: pd.DataFrame, *, seed: int,
            fit_kwargs: Mapping[str, Any], path: str | None = None,
            keep: str = "models") -> dict[str, Any]:
    """Fit one job and describe how it went; what :func:`fit_many` runs on each worker.

    Never raises for the job's own failure (any ``Exception`` from the factory, the frame,
    the fit or the save): the record then has ``status="failed"`` and the error. A
    ``KeyboardInterrupt`` is not caught.

    Parameters
    ----------
    label : the job's label (for the record).
    spec : an unfitted MMM (fitted as given: pass a clone) or a zero-argument factory.
    df : the job's weekly table.
    seed : the fit seed (:func:`job_seed`).
    fit_kwargs : further :meth:`MMM.fit` arguments.
    path : where to :meth:`MMM.save` the fitted model (``None``: not saved).
    keep : ``"models"`` returns the fitted model in the record, ``"files"`` only ``path``.

    Returns
    -------
    dict with the :data:`TABLE_COLUMNS` fields plus ``label``, ``model`` (the fitted MMM or
    ``None``) and ``exception`` (the exception object of a failure, else ``None``).
    """
    record: dict[str, Any] = {
        "label": label, "status": "failed", "seconds": np.nan, "divergences": np.nan,
        "max_r_hat": np.nan, "min_ess_bulk": np.nan, "seed": seed, "compile_seconds": np.nan,
        "compile_reused": None, "worker": _where(), "error": "", "warnings": [],
        "path": None, "model": None, "exception": None}
    start = time.perf_counter()
    try:
        with one_blas_thread(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FitWarning)
            if isinstance(spec, Refresh):
                model = spec.run(df, seed, fit_kwargs)
            else:
                model = spec if isinstance(spec, MMM) else fresh_model(spec)
                record["compile_reused"] = _compile_cached(model, df, fit_kwargs)
                model.fit(df, seed=seed, **fit_kwargs)
        record["warnings"] = _sort_warnings(caught)
        if path is not None:
            model.save(path)
            record["path"] = path
    except Exception as exc:  # the job's failure is its record, see docstring
        record.update(error=f"{type(exc).__name__}: {exc}", exception=_portable(exc),
                      seconds=time.perf_counter() - start)
        return record
    diagnostics = model.diagnostics()
    record.update(
        status="warned" if record["warnings"] else "ok", seconds=time.perf_counter() - start,
        divergences=int(diagnostics["divergences"]), max_r_hat=float(diagnostics["max_r_hat"]),
        min_ess_bulk=float(diagnostics["min_ess_bulk"]),
        compile_seconds=float(model.fit_info_.get("compile_seconds", np.nan)),
        model=model if keep == "models" else None)
    return record


def _compile_cached(model: MMM, df: pd.DataFrame, fit_kwargs: Mapping[str, Any]) -> bool | None:
    """Whether this process already holds the nutpie compile the fit will use (``None`` when
    the fit compiles nothing through mmmkit's cache, e.g. ``sampler="pymc"``)."""
    if fit_kwargs.get("sampler", "nutpie") != "nutpie":
        return None
    key = model.compile_key(model.prepare(df), fit_kwargs.get("lift_tests"))
    return key in inference.COMPILED


def _sort_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The fit's :class:`FitWarning` texts; any other warning is issued again as it was."""
    texts: list[str] = []
    for w in caught:
        if issubclass(w.category, FitWarning):
            if str(w.message) not in texts:  # the frame's checks run twice (see run_job)
                texts.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return texts


def _portable(exc: Exception) -> Exception:
    """``exc``, or a ``RuntimeError`` with its text when it would not survive pickling (a
    Dask result travels pickled; one exception that cannot would fail the whole record)."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # any failure to round-trip
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _where() -> str:
    """The Dask worker's address, or ``"local"`` outside a worker."""
    if "distributed" not in sys.modules:
        return "local"
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


# ---------------------------------------------------------------------------------------------
# The collection of results
# ---------------------------------------------------------------------------------------------
class ManyFits(Mapping):
    """The fitted jobs of :func:`fit_many`, by label, with a table of how each went.

    A read-only mapping ``label -> fitted MMM`` (``keep="models"``) or ``label -> Path`` of its
    saved file (``keep="files"``) over the jobs that did not fail, in the jobs' order;
    ``fits[label]`` of a failed job raises ``KeyError`` with its error.

    Attributes
    ----------
    keep : ``"models"`` or ``"files"``.
    seconds : wall-clock seconds of the whole fan-out.
    """

    def __init__(self, records: list[dict[str, Any]], *, keep: str, seconds: float) -> None:
        self._records = {r["label"]: r for r in records}
        self.keep = keep
        self.seconds = float(seconds)

    def __getitem__(self, label):
        record = self._records[label]
        if record["status"] == "failed":
            raise KeyError(f"job {label!r} failed ({record['error']}); see fits.failed or "
                           "fits.table.")
        if self.keep == "files":
            return Path(record["path"])
        return record["model"]

    def __iter__(self) -> Iterator:
        return (label for label, r in self._records.items() if r["status"] != "failed")

    def __len__(self) -> int:
        return sum(r["status"] != "failed" for r in self._records.values())

    def __repr__(self) -> str:
        counts = self.table["status"].value_counts()
        parts = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("ok", "warned", "failed"))
        return f"ManyFits({len(self._records)} jobs: {parts}; {self.seconds:.1f} s)"

    @property
    def labels(self) -> list:
        """Every job's label, failed ones included, in the jobs' order."""
        return list(self._records)

    @property
    def models(self) -> dict[Any, MMM]:
        """``{label: fitted MMM}`` of the jobs that did not fail. With ``keep="files"`` each
        is read from its file (:meth:`MMM.load`) on every access: all in memory at once."""
        if self.keep == "files":
            return {label: MMM.load(self[label]) for label in self}
        return {label: self[label] for label in self}

    @property
    def paths(self) -> dict[Any, Path]:
        """``{label: Path}`` of the saved files (empty without ``save_dir``)."""
        return {label: Path(r["path"]) for label, r in self._records.items() if r["path"]}

    @property
    def failed(self) -> dict[Any, str]:
        """``{label: "ErrorType: message"}`` of the failed jobs."""
        return {label: r["error"] for label, r in self._records.items()
                if r["status"] == "failed"}

    @property
    def warnings(self) -> dict[Any, list[str]]:
        """``{label: [FitWarning texts]}`` of the jobs whose fit warned (status ``"warned"``)."""
        return {label: list(r["warnings"]) for label, r in self._records.items()
                if r["warnings"]}

    @property
    def table(self) -> pd.DataFrame:
        """One row per job, indexed by ``label``: ``status`` (``"ok"``, ``"warned"``: the fit
        issued a :class:`FitWarning`, its text in ``warnings``; ``"failed"``: see ``error``),
        ``seconds`` (the job's wall time on its worker, fit and save), ``divergences``,
        ``max_r_hat``, ``min_ess_bulk`` (:meth:`MMM.diagnostics`), ``seed`` (the fit's, from
        :func:`job_seed`), ``compile_seconds``, ``compile_reused`` (the worker already held
        the compile), ``worker`` (Dask address or ``"local"``), ``error`` (``"Type:
        message"``), ``warnings`` (texts joined by newlines), ``path`` (the saved file)."""
        rows = []
        for r in self._records.values():
            row = {c: r[c] for c in TABLE_COLUMNS}
            row["warnings"] = "\n".join(r["warnings"])
            rows.append(row)
        table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS),
                             index=pd.Index(list(self._records), name="label"))
        table.attrs["seconds"] = self.seconds
        return table

    def raise_failed(self) -> None:
        """Raise the first failed job's own exception (a note names its label); nothing when
        every job succeeded. For callers that need all jobs (a back-test)."""
        for label, r in self._records.items():
            if r["status"] == "failed":
                exc = r["exception"] or RuntimeError(r["error"])
                exc.add_note(f"(raised by fit_many job {label!r})")
                raise exc


# ---------------------------------------------------------------------------------------------
# Checking the arguments: everything before any fit starts
# ---------------------------------------------------------------------------------------------
def _job_list(jobs, by, data) -> list[tuple[Any, Any, pd.DataFrame]]:
    """``[(label, spec, df)]`` from any of the accepted forms, each checked."""
    if by is not None or data is not None:
        return _grouped_jobs(jobs, by, data)
    if isinstance(jobs, Mapping):
        items = list(jobs.items())
    elif isinstance(jobs, list | tuple):
        items = list(enumerate(jobs))
    else:
        raise ValueError(
            "jobs must be a mapping {label: (spec, df)}, a list of (spec, df) pairs, or one "
            f"spec with by= and data= (fit_many(spec, by='brand', data=df)); got "
            f"{type(jobs).__name__}.")
    if not items:
        raise ValueError("jobs is empty: give at least one (spec, df) pair.")
    out = []
    for label, job in items:
        if not (isinstance(job, list | tuple) and len(job) == 2):
            raise ValueError(f"job {label!r} must be a (spec, df) pair, got "
                             f"{type(job).__name__}.")
        spec, df = job
        _check_spec(spec, f"job {label!r}")
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"job {label!r}: df must be a pandas DataFrame, got "
                             f"{type(df).__name__}.")
        out.append((label, spec, df))
    return out


def _grouped_jobs(spec, by, data) -> list[tuple[Any, Any, pd.DataFrame]]:
    """One job per value of column ``by`` of ``data``, the column dropped from each frame."""
    if by is None or data is None:
        raise ValueError("by= and data= go together: fit_many(spec, by='brand', data=df) fits "
                         "spec once per value of df's column 'brand'.")
    if not isinstance(by, str):
        raise ValueError(f"by must be one column name (a str), got {by!r}.")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    _check_spec(spec, "spec")
    if by not in data.columns:
        raise DataError(f"by={by!r} is not a column of data (columns: {list(data.columns)}); "
                        "name the column whose values split the table into jobs.")
    if isinstance(spec, MMM):
        used = [spec.date, spec.target, spec.geo, *spec.channels, *spec.controls]
        if by in used:
            raise ValueError(f"by={by!r} is a column the model itself uses; to fit each geo "
                             "on its own, give a national spec (geo=None) with by= the geo "
                             "column.")
    missing = data[by].isna()
    if missing.any():
        raise DataError(f"column {by!r} is blank in {int(missing.sum())} row(s) (first: row "
                        f"{data.index[missing.to_numpy()][0]!r}); fill or drop them.")
    jobs = []
    for value, frame in data.groupby(by, sort=True):
        label = value.item() if isinstance(value, np.generic) else value
        jobs.append((label, spec, frame.drop(columns=by).reset_index(drop=True)))
    return jobs


def _check_spec(spec, where: str) -> None:
    if isinstance(spec, Refresh):
        return
    if isinstance(spec, pd.DataFrame) or not (isinstance(spec, MMM) or callable(spec)):
        raise ValueError(f"{where}: the spec must be an mmmkit.MMM or a zero-argument function "
                         f"returning one (e.g. lambda: mk.MMM(...)), got {type(spec).__name__}.")


def _check_fit_kwargs(fit_kwargs) -> dict[str, Any]:
    """``fit_kwargs`` as a dict, checked like :meth:`MMM.fit` checks its sampler settings;
    ``progress`` off unless asked for (one bar per job would interleave)."""
    if fit_kwargs is None:
        fit_kwargs = {}
    if not isinstance(fit_kwargs, Mapping):
        raise ValueError(f"fit_kwargs must be a mapping of MMM.fit arguments, e.g. "
                         f"{{'draws': 500}}, got {type(fit_kwargs).__name__}.")
    kwargs = dict(fit_kwargs)
    if "seed" in kwargs:
        raise ValueError("fit_kwargs must not hold 'seed': fit_many derives each job's seed "
                         "from its seed= argument and the job's label (see job_seed).")
    unknown = sorted(set(kwargs) - set(FIT_OPTIONS))
    if unknown:
        raise ValueError(f"fit_kwargs has {unknown}, which MMM.fit does not take; its "
                         f"options are {list(FIT_OPTIONS)}.")
    check_fit_args(*(kwargs.get(n, _FIT_SIGNATURE[n].default)
                     for n in ("draws", "tune", "chains", "target_accept")))
    kwargs.setdefault("progress", False)
    return kwargs


def _file_names(labels: list, save_dir) -> list[str | None]:
    """The file of each job under ``save_dir`` (``None`` each without it): the label's text
    with anything but letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``, plus ``.nc``."""
    if save_dir is None:
        return [None] * len(labels)
    folder = Path(save_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"save_dir={str(save_dir)!r} is a file; give a folder (created if "
                         "missing).")
    names = [re.sub(r"[^A-Za-z0-9._-]+", "_", str(label)).strip("._") or "job"
             for label in labels]
    seen: dict[str, Any] = {}
    for label, name in zip(labels, names, strict=True):
        if name in seen:
            raise ValueError(f"jobs {seen[name]!r} and {label!r} would both be saved as "
                             f"{name}.nc in save_dir; give them labels that differ in letters "
                             "or digits.")
        seen[name] = label
    folder.mkdir(parents=True, exist_ok=True)
    return [str(folder / f"{name}.nc") for name in names]


def _check_labels(labels: list) -> None:
    seen: dict[str, Any] = {}
    for label in labels:
        if str(label) in seen:
            raise ValueError(f"labels {seen[str(label)]!r} and {label!r} read the same as text; "
                             "job seeds and file names follow the label's text, so make "
                             "them differ.")
        seen[str(label)] = label


def _check_client(client) -> None:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError(
            "fit_many(client=...) runs the jobs on dask.distributed, which is not installed: "
            f"{DASK_HINT} (or leave client=None to fit them in this process).") from exc
    if not isinstance(client, Client):
        raise ValueError(
            "client must be a dask.distributed.Client (e.g. Client(LocalCluster()) or "
            "Client('tcp://scheduler:8786')), or None to fit in this process; got "
            f"{type(client).__name__}.")
    if client.status not in ("running", "connecting", "newly-created"):
        raise ValueError(f"client is {client.status}; give a running Client.")


def _root_seed(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (or None for fresh randomness), "
                         f"got {seed!r}.")
    return int(seed)


# ---------------------------------------------------------------------------------------------
# Running the jobs
# ---------------------------------------------------------------------------------------------
class _Progress:
    """One line on stderr, rewritten per finished job: done / failed / total, elapsed, left."""

    def __init__(self, total: int, enabled: bool, where: str) -> None:
        self.total, self.enabled, self.where = total, enabled, where
        self.done = self.failed = 0
        self.start = time.perf_counter()
        self.tty = enabled and getattr(sys.stderr, "isatty", lambda: False)()
        self._write()

    def update(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.failed += record["status"] == "failed"
        self._write()

    def close(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _write(self) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        left = (f", ~{_clock(elapsed / self.done * (self.total - self.done))} left"
                if 0 < self.done < self.total else "")
        line = (f"fit_many ({self.where}): {self.done}/{self.total} done, {self.failed} "
                f"failed, {_clock(elapsed)} elapsed{left}")
        sys.stderr.write(f"\r{line:<78}" if self.tty else line + "\n")
        sys.stderr.flush()


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _failed_record(task: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """The record of a job whose task itself failed (a worker died, a result did not travel)."""
    return {"label": task["label"], "status": "failed", "seconds": np.nan,
            "divergences": np.nan, "max_r_hat": np.nan, "min_ess_bulk": np.nan,
            "seed": task["seed"], "compile_seconds": np.nan, "compile_reused": None,
            "worker": "", "error": f"{type(exc).__name__}: {exc}", "warnings": [],
            "path": None, "model": None, "exception": exc}


def _run_local(tasks: list[dict[str, Any]], bar: _Progress) -> list[dict[str, Any]]:
    records = []
    for task in tasks:
        records.append(run_job(**task))
        bar.update(records[-1])
    return records


def _run_dask(client, tasks: list[dict[str, Any]], bar: _Progress) -> list[dict[str, Any]]:
    """One task per job, gathered as they finish; a task that fails is its job's failure."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]  # task keys only: unique per call, no effect on any result
    futures = {}
    for i, task in enumerate(tasks):
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(task["label"]))[:40]
        future = client.submit(run_job, pure=False, key=f"fit_many-{token}-{i}-{name}", **task)
        futures[future] = i
    records: list[dict[str, Any] | None] = [None] * len(tasks)
    try:
        for future in as_completed(list(futures)):
            i = futures.pop(future)
            try:
                records[i] = future.result()
            except Exception as exc:  # a lost task is its job's failure
                records[i] = _failed_record(tasks[i], exc)
            future.release()
            bar.update(records[i])
    finally:
        if futures:  # interrupted: stop what has not run
            client.cancel(list(futures))
    return records


def fit_many(
    jobs,
    client=None,
    *,
    by: str | None = None,
    data: pd.DataFrame | None = None,
    fit_kwargs: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    save_dir: str | Path | None = None,
    keep: str = "models",
    progress: bool = True,
) -> ManyFits:
    """Fit many independent models, in this process or on a Dask cluster.

    Parameters
    ----------
    jobs : ``{label: (spec, df)}`` or a list of ``(spec, df)`` pairs (labels ``0 .. n-1``).
        A spec is an :class:`MMM` (only its specification is used: it is cloned, never
        changed) or a zero-argument function returning a fresh one (called on the worker);
        ``df`` is that job's weekly table. With ``by=``: one spec for every job.
    client : ``None`` fits the jobs here, one after the other; a
        ``dask.distributed.Client`` submits one task per job to its workers and gathers the
        results as they finish (``pip install "mmmkit[dask]"``).
    by, data : the grouped form, ``fit_many(spec, by="brand", data=df)``: one job per value of
        ``df``'s column ``by`` (the label), on that group's rows without the column.
    fit_kwargs : :meth:`MMM.fit` arguments for every job (``draws``, ``tune``, ``chains``,
        ``cores``, ``sampler`` ...), not ``seed``. ``progress`` (the sampler's bar) is off
        unless given.
    seed : the root seed; each job fits with :func:`job_seed` ``(seed, label)``, so its
        posterior does not depend on where or in which order it ran. ``None``: fresh
        randomness (not reproducible).
    save_dir : a folder (created if missing) where each fitted model is written as
        ``<label>.nc`` with :meth:`MMM.save` by the process that fitted it, right after its
        fit. On a cluster it must be a path every worker can write (a shared file system).
    keep : ``"models"`` (default) returns the fitted models; ``"files"`` returns the saved
        files' paths instead (needs ``save_dir``), for more jobs than memory holds.
    progress : one line on stderr, updated per finished job: done, failed and total jobs,
        elapsed time and an estimate of the time left. ``False``: silent.

    Returns
    -------
    ManyFits : ``fits[label]`` the fitted MMM (or its path), ``fits.table`` one row per job
        (status, seconds, diagnostics, error, path), ``fits.failed`` the errors.

    Raises
    ------
    ValueError, mmmkit.DataError : malformed jobs or arguments, before any fit starts (a
        job's own bad data fails only that job).
    ImportError : ``client`` given but dask.distributed is not installed.

    Notes
    -----
    Give Dask workers one thread each (``LocalCluster(threads_per_worker=1)``, ``dask worker
    --nthreads 1``) and as many cores as a fit has chains: a fit runs its chains as threads
    of its own, and two jobs in one worker process would share its compile cache and
    warning filters. Callbacks registered with :func:`mmmkit.hooks.register` run only in the
    process that fits (this one for ``client=None``, not on workers).

    Examples
    --------
    >>> fits = mk.fit_many(spec, by="brand", data=df, fit_kwargs={"draws": 500})
    >>> fits.table[["status", "seconds", "max_r_hat"]]
    >>> from dask.distributed import Client, LocalCluster
    >>> fits = mk.fit_many(jobs, Client(LocalCluster(n_workers=4, threads_per_worker=1)))
    """
    job_list = _job_list(jobs, by, data)
    labels = [label for label, _, _ in job_list]
    _check_labels(labels)
    kwargs = _check_fit_kwargs(fit_kwargs)
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {KEEP}, got {keep!r}.")
    if keep == "files" and save_dir is None:
        raise ValueError('keep="files" returns the saved files: give save_dir= as well.')
    if client is not None:
        _check_client(client)
    root = _root_seed(seed)
    paths = _file_names(labels, save_dir)
    # an MMM spec is cloned here, once per job: a bad one fails now, and the fit gets a model
    # that shares nothing with the caller's (a factory is called where the job runs)
    tasks = [{"label": label, "spec": spec.clone() if isinstance(spec, MMM) else spec,
              "df": df, "seed": job_seed(root, label), "fit_kwargs": kwargs, "path": path,
              "keep": keep}
             for (label, spec, df), path in zip(job_list, paths, strict=True)]
    start = time.perf_counter()
    bar = _Progress(len(tasks), bool(progress), "local" if client is None else "dask")
    try:
        records = _run_local(tasks, bar) if client is None else _run_dask(client, tasks, bar)
    finally:
        bar.close()
    return ManyFits(records, keep=keep, seconds=time.perf_counter() - start)


def refresh_many(
    previous: Mapping[Any, MMM | str | Path],
    data: Mapping[Any, pd.DataFrame],
    client=None,
    *,
    informed: bool = False,
    fit_kwargs: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    save_dir: str | Path | None = None,
    keep: str = "models",
    progress: bool = True,
) -> ManyFits:
    """Refresh many fitted models on their extended histories, here or on a Dask cluster.

    Each job is ``previous[label].refresh(data[label], informed=informed, seed=job_seed(seed,
    label), **fit_kwargs)`` (:meth:`MMM.refresh`: same specification and scales), run and
    recorded as :func:`fit_many` runs its jobs.

    Parameters
    ----------
    previous : ``{label: fitted MMM or the path of its saved file}``; a path is read by the
        process that runs the job (on a cluster: a path every worker can read).
    data : ``{label: weekly table}`` of each model's whole history, the same labels.
    client, fit_kwargs, seed, save_dir, keep, progress : as for :func:`fit_many`.
    informed : sequential updating for every job (see :mod:`mmmkit.refresh`).

    Raises
    ------
    ValueError : the labels of ``previous`` and ``data`` differ, an entry is neither a fitted
        MMM nor an existing file, or an argument :func:`fit_many` refuses; before any fit.
    """
    if not isinstance(previous, Mapping) or not isinstance(data, Mapping):
        raise ValueError("previous and data must be mappings {label: fitted MMM or path} and "
                         "{label: DataFrame} with the same labels.")
    if set(previous) != set(data):
        raise ValueError(f"previous and data must have the same labels: only in previous "
                         f"{sorted(map(str, set(previous) - set(data)))}, only in data "
                         f"{sorted(map(str, set(data) - set(previous)))}.")
    if not isinstance(informed, bool):
        raise ValueError(f"informed must be True or False, got {informed!r}.")
    jobs = {}
    for label, old in previous.items():
        if isinstance(old, MMM):
            old.fitted_data()  # NotFittedError now, not on a worker
        elif not (isinstance(old, str | Path) and Path(old).is_file()):
            raise ValueError(f"previous[{label!r}] must be a fitted MMM or the path of a saved "
                             f"model file, got {old!r}.")
        jobs[label] = (Refresh(old, informed), data[label])
    return fit_many(jobs, client, fit_kwargs=fit_kwargs, seed=seed, save_dir=save_dir,
                    keep=keep, progress=progress)
