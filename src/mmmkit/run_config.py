"""Run configurations: one TOML file that says what ``mmmkit fit CONFIG`` fits and writes.

The file has five tables (only ``[data]`` is required)::

    [data]                      # the weekly table, a CSV or Parquet file
    path = "sales.csv"          # relative to this file
    date = "week"
    target = "revenue"
    channels = ["tv", "search"]
    geo = "region"              # optional: a geo panel
    controls = ["price"]        # optional
    dayfirst = true             # optional: how to read dates written 03/04/2023
    date_format = "%d.%m.%Y"    # optional, instead of dayfirst

    [model]                     # every key optional; the MMM defaults otherwise
    adstock = "geometric"       # or {class = "weibull", max_lag = 10}, or one per channel
    saturation = "hill"
    seasonality = 2
    trend = true
    drift = false               # or true, or {knot_weeks = 26}
    likelihood = "normal"
    kpi_unit = "EUR"
    currency = "EUR"
    [model.priors]              # model-level priors by name, as mk.Prior takes them
    sigma = {dist = "HalfNormal", sigma = 0.2}
    [model.roas_priors]         # priors on ROAS itself, per channel
    tv = {dist = "LogNormal", mu = 0.7, sigma = 0.3}

    [fit]                       # MMM.fit's settings
    draws = 1000
    tune = 1000
    chains = 4
    seed = 0

    [output]                    # where the results go (relative to this file)
    folder = "output"
    model = "model.nc"
    report = true               # or a file name, "report.html" by default

    [tracking]                  # MLflow (pip install "mmmkit[mlflow]"), off by default
    mlflow = true
    experiment = "weekly-mmm"
    tracking_uri = "mlruns"     # a plain path is relative to this file

The model's keys take the forms :meth:`mmmkit.MMM.config` writes, in TOML: transforms by
name (``"geometric"``, ``"GeometricAdstock"``) or as a table with ``class`` and the
transform's options (``max_lag``, ``kind``, ``priors``); per channel as a table naming every
channel (``[model.adstock]`` with ``tv = "weibull"`` and ``search = {class = "geometric",
max_lag = 4}``); priors as ``{dist = ..., <parameter> = ...}``. The specification is built
into the JSON form :func:`mmmkit.io.check_config` checks and :func:`mmmkit.io.model_from_config`
turns into the model, the same path a saved model file takes.

Every problem raises :class:`ConfigError` (a :class:`~mmmkit.errors.DataError`, so a
``ValueError``) before any data is read or any sampling starts, naming the file, the key and
its line and saying what to change: ``mmmkit.toml, line 14: [fit] draws must be a whole
number >= 1, got "many"; e.g. draws = 1000.`` A TOML syntax error names the file and the
line and column tomllib reports. Errors of the data file itself (a column the file lacks,
a negative spend) name the data file and the ``[data]`` key.

``read_config(path) -> RunConfig``, ``load_data(config) -> DataFrame``,
``fit_from_config(config, data=None) -> MMM``, ``read_table(path) -> DataFrame``.
"""

from __future__ import annotations

import difflib
import inspect
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from mmmkit.adstock import ADSTOCK_KINDS, ADSTOCKS
from mmmkit.approximate import METHODS as APPROX_METHODS
from mmmkit.drift import Drift
from mmmkit.errors import DataError
from mmmkit.graph import LIKELIHOODS
from mmmkit.io import check_config, model_from_config
from mmmkit.jsonvalues import is_int, is_number
from mmmkit.model import MMM, SAMPLERS
from mmmkit.priors import Prior
from mmmkit.saturation import SATURATION_KINDS, SATURATIONS
from mmmkit.specification import MAX_SEASONALITY, check_unit
from mmmkit.validation import MISSING_WEEKS

__all__ = ["DATA_SUFFIXES", "SECTIONS", "ConfigError", "RunConfig", "Tracking",
           "fit_from_config", "load_data", "read_config", "read_table"]

DATA_SUFFIXES = (".csv", ".parquet", ".pq")
DEFAULT_OUTPUT = {"folder": "output", "model": "model.nc", "report": True, "review": True}
DEFAULT_REPORT = "report.html"
KeyPath = tuple[str, ...]


class ConfigError(DataError):
    """A run configuration that cannot be used as written.

    The message names the file, the key (``[fit] draws``) and its line, and says what to
    change. Attributes ``path`` (the config file), ``key`` (the key path, e.g.
    ``("fit", "draws")``, or ``None``) and ``line`` (1-based, or ``None``).
    """

    def __init__(self, message: str, *, path: Path | None = None,
                 key: KeyPath | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path, self.key, self.line = path, key, line


class Tracking(NamedTuple):
    """The ``[tracking]`` table: MLflow on or off, and where runs go (``None``: MLflow's own
    default, e.g. the ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` variables)."""

    mlflow: bool = False
    experiment: str | None = None
    tracking_uri: str | None = None
    run_name: str | None = None


# -- where a key is written ---------------------------------------------------------------------
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


def _key_parts(text: str) -> KeyPath:
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in re.findall(_KEY_PART, text))


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line (1-based) of every table header and key assignment of a TOML text, by the
    key's full path (``("fit", "draws")``); a path written twice keeps its first line.

    tomllib returns values without positions, so the lines are found in the text: headers
    ``[a.b]`` and ``key =`` / ``dotted.key =`` lines at the start of a line (keys inside an
    inline table are found by the key holding the table).
    """
    table: KeyPath = ()
    out: dict[KeyPath, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _key_parts(header.group(1))
            out.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            out.setdefault(table + _key_parts(assign.group(1)), number)
    return out


def _label(key: KeyPath) -> str:
    """``("fit", "draws")`` -> ``"[fit] draws"``; ``("data",)`` -> ``"[data]"``."""
    if len(key) == 1:
        return f"[{key[0]}]"
    return f"[{'.'.join(key[:-1])}] {key[-1]}"


def _toml(value: Any) -> str:
    """A value as TOML writes it (``true``, ``"many"``, ``[1, 2]``), for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


class _Located:
    """Errors at a key of one config file: the message names the file, the key and its
    line (the nearest enclosing key or table written in the file when the key itself is not,
    e.g. a key inside an inline table, or a missing key: its table's header)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, key_lines(text)

    def line(self, key: KeyPath) -> int | None:
        for k in range(len(key), 0, -1):
            if key[:k] in self.lines:
                return self.lines[key[:k]]
        return None

    def where(self, key: KeyPath) -> str:
        line = self.line(key)
        return f"{self.path}, line {line}" if line else str(self.path)

    def error(self, key: KeyPath, problem: str) -> ConfigError:
        """``<file>, line <n>: [table] key <problem>``."""
        return ConfigError(f"{self.where(key)}: {_label(key)} {problem}", path=self.path,
                           key=key, line=self.line(key))

    def wrap(self, key: KeyPath, err: Exception) -> ConfigError:
        """``<file>, line <n>: [table] key: <the message of err>`` (an mmmkit check's)."""
        return ConfigError(f"{self.where(key)}: {_label(key)}: {err}", path=self.path,
                           key=key, line=self.line(key))


# -- value checks: each returns the value or raises ValueError("must be ..., got ...") ---------
def _text(value, key: KeyPath):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be text, e.g. {key[-1]} = \"...\", got {_toml(value)}.")
    return value


def _names(value, key: KeyPath):
    if (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
        raise ValueError(f"must be a list of column names, e.g. {key[-1]} = [\"tv\", "
                         f"\"search\"], got {_toml(value)}.")
    twice = sorted({v for v in value if value.count(v) > 1})
    if twice:
        raise ValueError(f"names {twice} twice; list each column once.")
    return value


def _bool(value, key: KeyPath):
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false (no quotes), got {_toml(value)}.")
    return value


def _whole(low: int, example: int) -> Callable:
    def check(value, key: KeyPath):
        if not is_int(value) or value < low:
            raise ValueError(f"must be a whole number >= {low}, got {_toml(value)}; e.g. "
                             f"{key[-1]} = {example}.")
        return int(value)
    return check


def _choice(options: tuple[str, ...]) -> Callable:
    def check(value, key: KeyPath):
        if value not in options:
            raise ValueError(f"must be one of {', '.join(_toml(o) for o in options)}, got "
                             f"{_toml(value)}.")
        return value
    return check


def _acceptance(value, key: KeyPath):
    if not is_number(value) or not 0 < value < 1:
        raise ValueError("is the NUTS acceptance rate, a number strictly between 0 and 1 "
                         f"(0.9; 0.95-0.99 after divergences), got {_toml(value)}.")
    return float(value)


def _unit(value, key: KeyPath):
    return check_unit(_text(value, key), key[-1])


def _seasonality(value, key: KeyPath):
    value = _whole(0, 2)(value, key)
    if value > MAX_SEASONALITY:
        raise ValueError(f"is the yearly Fourier order, at most {MAX_SEASONALITY} for weekly "
                         f"data (2-4 is usual), got {value}.")
    return value


def _report(value, key: KeyPath):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower().endswith((".html", ".htm")):
        return value
    raise ValueError(f"must be true, false or an .html file name, got {_toml(value)}.")


_DATA = {"path": _text, "date": _text, "target": _text, "channels": _names, "geo": _text,
         "controls": _names, "dayfirst": _bool, "date_format": _text}
_FIT = {"draws": _whole(1, 1000), "tune": _whole(1, 1000), "chains": _whole(1, 4),
        "seed": _whole(0, 0), "sampler": _choice(SAMPLERS), "target_accept": _acceptance,
        "method": _choice(("nuts", *APPROX_METHODS)), "init": _choice(("jitter", "advi")),
        "low_rank": _bool, "cores": _whole(1, 2), "progress": _bool}
_OUTPUT = {"folder": _text, "model": _text, "report": _report, "review": _bool}
_TRACKING = {"mlflow": _bool, "experiment": _text, "tracking_uri": _text, "run_name": _text}
# [model] keys checked by a plain value check; the structured ones are built apart
_MODEL_PLAIN = {"seasonality": _seasonality, "trend": _bool,
                "likelihood": _choice(LIKELIHOODS), "kpi_unit": _unit, "currency": _unit,
                "geo_seasonality": _bool, "missing_weeks": _choice(MISSING_WEEKS)}
_MODEL_BUILT = ("adstock", "saturation", "drift", "priors", "roas_priors")
#: the tables of a run configuration and their keys
SECTIONS: dict[str, tuple[str, ...]] = {
    "data": tuple(_DATA), "model": (*_MODEL_PLAIN, *_MODEL_BUILT), "fit": tuple(_FIT),
    "output": tuple(_OUTPUT), "tracking": tuple(_TRACKING)}
_REQUIRED_DATA = ("path", "date", "target", "channels")


def _check_keys(loc: _Located, table: Mapping, known, key: KeyPath, what: str) -> None:
    """Every key of ``table`` (at ``key``) is one of ``known``."""
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise loc.error((*key, name), f"is not {what}; {hint}the keys are "
                            f"{', '.join(known)}.")


def _table(loc: _Located, value, key: KeyPath, example: str) -> dict:
    if not isinstance(value, dict):
        raise loc.error(key, f"must be a table, e.g. {example}, got {_toml(value)}.")
    return value


def _plain(loc: _Located, table: Mapping, checks: Mapping[str, Callable],
           key: KeyPath) -> dict:
    """``table``'s keys checked one by one, with the key's line on failure."""
    out = {}
    for name, value in table.items():
        try:
            out[name] = checks[name](value, (*key, name))
        except ValueError as err:
            raise loc.error((*key, name), str(err)) from None
    return out


# -- the [model] table -------------------------------------------------------------------------
def _prior(loc: _Located, value, key: KeyPath) -> dict:
    """One prior ``{dist = "LogNormal", mu = 0.7, sigma = 0.3}`` as JSON, checked by Prior."""
    _table(loc, value, key, '{dist = "HalfNormal", sigma = 0.2}')
    if not isinstance(value.get("dist"), str):
        raise loc.error(key, "must name its distribution, e.g. "
                        f"{key[-1]} = {{dist = \"HalfNormal\", sigma = 0.2}}, got {_toml(value)}.")
    try:
        return Prior.from_dict(value).to_dict()
    except (TypeError, ValueError) as err:
        raise loc.wrap(key, err) from None


def _priors(loc: _Located, value, key: KeyPath) -> dict:
    _table(loc, value, key, '{sigma = {dist = "HalfNormal", sigma = 0.2}}')
    return {name: _prior(loc, p, (*key, name)) for name, p in value.items()}


def _transform(loc: _Located, value, key: KeyPath, part: str) -> dict:
    """One transform (a name, or a table with ``class`` and options) as its ``config()``."""
    kinds, classes = ((ADSTOCK_KINDS, ADSTOCKS) if part == "adstock"
                      else (SATURATION_KINDS, SATURATIONS))
    names = sorted(kinds)
    spec = {"class": value} if isinstance(value, str) else value
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise loc.error(key, f"must be a transform name ({', '.join(names)}) or a table with "
                        f"a class, e.g. {{class = \"{names[0]}\"}}, got {_toml(value)}.")
    name = spec["class"].strip()
    short = name.lower().replace("-", "_").replace(" ", "_")
    cls = classes.get(name) or kinds.get(short)
    if cls is None:
        where = key if isinstance(value, str) else (*key, "class")
        raise loc.error(where, f"names no {part}: {_toml(name)}; use one of {', '.join(names)} "
                        f"(or the class names {', '.join(sorted(classes))}).")
    options = [p for p in inspect.signature(cls).parameters if p != "self"]
    rest = {k: v for k, v in spec.items() if k != "class"}
    _check_keys(loc, rest, options, key, f"an option of {cls.__name__}")
    if "priors" in rest:
        _table(loc, rest["priors"], (*key, "priors"), "{slope = {dist = \"LogNormal\", ...}}")
        _check_keys(loc, rest["priors"], cls.param_names, (*key, "priors"),
                    f"a parameter of {cls.__name__}")
        rest["priors"] = {k: Prior.from_dict(v)
                          for k, v in _priors(loc, rest["priors"], (*key, "priors")).items()}
    if "max_lag" in rest:
        rest["max_lag"] = _plain(loc, {"max_lag": rest["max_lag"]},
                                 {"max_lag": _whole(1, 8)}, key)["max_lag"]
    try:
        return cls(**rest).config()
    except (TypeError, ValueError) as err:
        raise loc.wrap(key, err) from None


def _transforms(loc: _Located, value, key: KeyPath, channels: list[str]) -> dict:
    """``{channel: transform config}`` from one transform for all or a table per channel."""
    part = key[-1]
    if isinstance(value, str) or not isinstance(value, dict) or "class" in value:
        one = _transform(loc, value, key, part)
        return dict.fromkeys(channels, one)
    for ch in value:
        if ch not in channels:
            raise loc.error((*key, ch), f"is not a channel of [data] channels {channels}; "
                            f"give one {part} per channel, or one for all "
                            f"({part} = \"{'geometric' if part == 'adstock' else 'hill'}\").")
    missing = [ch for ch in channels if ch not in value]
    if missing:
        raise loc.error(key, f"gives no {part} for {missing}: a table per channel must name "
                        f"every channel of [data] channels, or give one {part} for all.")
    return {ch: _transform(loc, value[ch], (*key, ch), part) for ch in channels}


def _drift(loc: _Located, value, key: KeyPath):
    if isinstance(value, bool):
        return Drift().to_config() if value else None
    _table(loc, value, key, "{knot_weeks = 26}")
    _check_keys(loc, value, ("knot_weeks",), key, "an option of the drift")
    if "knot_weeks" in value:
        _plain(loc, value, {"knot_weeks": _whole(4, 26)}, key)
    try:
        return Drift(**value).to_config()
    except (TypeError, ValueError) as err:
        raise loc.wrap(key, err) from None


def _specification(loc: _Located, model: Mapping, data: Mapping) -> dict:
    """The JSON specification (:meth:`MMM.config` form) of ``[data]`` and ``[model]``."""
    key = ("model",)
    plain = _plain(loc, {k: v for k, v in model.items() if k in _MODEL_PLAIN}, _MODEL_PLAIN,
                   key)
    channels = data["channels"]
    for ch in model.get("roas_priors", {}) if isinstance(model.get("roas_priors"), dict) else ():
        if ch not in channels:
            raise loc.error((*key, "roas_priors", ch), f"is not a channel of [data] channels "
                            f"{channels}; ROAS priors are set per channel.")
    config = {
        "date": data["date"], "target": data["target"], "channels": channels,
        "geo": data.get("geo"), "controls": data.get("controls", []),
        "adstock": _transforms(loc, model.get("adstock", "geometric"), (*key, "adstock"),
                               channels),
        "saturation": _transforms(loc, model.get("saturation", "hill"),
                                  (*key, "saturation"), channels),
        "seasonality": plain.get("seasonality", 2), "trend": plain.get("trend", True),
        "drift": _drift(loc, model.get("drift", False), (*key, "drift")),
        "likelihood": plain.get("likelihood", "normal"),
        "priors": _priors(loc, model.get("priors", {}), (*key, "priors")),
        "roas_priors": _priors(loc, model.get("roas_priors", {}), (*key, "roas_priors")),
        "lift_tests": None, "dayfirst": data.get("dayfirst"),
        "date_format": data.get("date_format"), "kpi_unit": plain.get("kpi_unit"),
        "currency": plain.get("currency"),
        "geo_seasonality": plain.get("geo_seasonality", False),
        "missing_weeks": plain.get("missing_weeks", "error"),
    }
    try:
        check_config(config)
        model_from_config(MMM, config)
    except (TypeError, ValueError) as err:
        raise loc.wrap(_blamed(str(err), config), err) from None
    return config


def _blamed(message: str, config: Mapping) -> KeyPath:
    """The key an error of :func:`check_config` or the MMM constructor is about."""
    named = re.search(r"field '?(\w+)", message)
    if named and named.group(1) in config:
        field_name = named.group(1)
        return ("data", field_name) if field_name in _DATA else ("model", field_name)
    prior = re.search(r"parameter '(\w+)' to set a prior on", message)
    if prior:
        return ("model", "priors", prior.group(1))
    for name in ("roas_priors", "priors", "drift", "channels", "controls", "geo", "date",
                 "target", "dayfirst", "date_format"):
        if name in message:
            return ("data", name) if name in _DATA else ("model", name)
    return ("model",)


# -- the configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class RunConfig:
    """A checked run configuration (:func:`read_config`).

    Attributes
    ----------
    path : the config file (absolute).
    data_path : the data file (absolute; ``[data] path`` relative to the config file).
    specification : the model's JSON specification, the form :meth:`mmmkit.MMM.config`
        writes (a new model: :meth:`new_model`).
    fit : keyword arguments of :meth:`mmmkit.MMM.fit` (``progress`` is ``False`` unless the
        file says otherwise: scheduled runs write logs, not progress bars).
    output_folder, model_file : where the fitted model goes (absolute).
    report_file : the HTML report, or ``None`` with ``[output] report = false``.
    review : whether the report includes :func:`mmmkit.review.review` (prior draws, a few
        seconds).
    tracking : the :class:`Tracking` settings.
    """

    path: Path
    data_path: Path
    specification: dict
    fit: dict
    output_folder: Path
    model_file: Path
    report_file: Path | None
    review: bool
    tracking: Tracking
    text: str = field(repr=False, default="")

    def new_model(self) -> MMM:
        """An unfitted :class:`~mmmkit.MMM` with this specification."""
        return model_from_config(MMM, self.specification)

    def line(self, *key: str) -> int | None:
        """The line of ``key`` (e.g. ``line("data", "path")``) in the file, or of the nearest
        enclosing table written there; ``None`` when neither is."""
        return _Located(self.path, self.text).line(tuple(key))

    def error(self, key: KeyPath, problem: str) -> ConfigError:
        """A :class:`ConfigError` naming this file, ``key`` and its line."""
        return _Located(self.path, self.text).error(tuple(key), problem)


def _parse(path: Path) -> tuple[str, dict]:
    if not path.is_file():
        raise FileNotFoundError(f"no run configuration at {path}: give the path of a .toml "
                                "file (see examples/mmmkit.toml).")
    text = path.read_text(encoding="utf-8")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        at = re.search(r"\(at line (\d+), column (\d+)\)", message)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        where = f"{path}, line {at.group(1)}, column {at.group(2)}" if at else str(path)
        line = int(at.group(1)) if at else None
        raise ConfigError(f"{where}: not valid TOML: {reason}. Fix the file there (text needs "
                          "quotes, target = \"sales\"; each key once per table).",
                          path=path, line=line) from None


def _data_table(loc: _Located, raw: dict) -> dict:
    if "data" not in raw:
        raise ConfigError(f"{loc.path}: has no [data] table; add one naming the data file and "
                          'its columns: [data] path = "sales.csv", date = "week", target = '
                          '"sales", channels = ["tv", "search"].', path=loc.path, key=("data",))
    data = _table(loc, raw["data"], ("data",), '[data] path = "sales.csv"')
    _check_keys(loc, data, SECTIONS["data"], ("data",), "a key of [data]")
    for name in _REQUIRED_DATA:
        if name not in data:
            raise loc.error(("data", name), f"is missing: {_REQUIRED_HINT[name]}.")
    data = _plain(loc, data, _DATA, ("data",))
    if not data["channels"]:
        raise loc.error(("data", "channels"), "names no channel: list the spend columns.")
    both = sorted(set(data["channels"]) & set(data.get("controls", [])))
    if both:
        raise loc.error(("data", "controls"), f"names {both}, which [data] channels names "
                        "too; a column is a channel or a control.")
    return data


_REQUIRED_HINT = {
    "path": 'name the data file, relative to this config, e.g. path = "sales.csv"',
    "date": 'name the week column, e.g. date = "week"',
    "target": 'name the KPI column, e.g. target = "sales"',
    "channels": 'list the spend columns, e.g. channels = ["tv", "search"]',
}


def read_config(path) -> RunConfig:
    """Read and check a run configuration (see the module docstring for the format).

    Everything is checked before any data is read: the TOML syntax, every table and key
    name, every value's type and range, the transforms and priors (through the same checks
    as a saved model's specification, :func:`mmmkit.io.check_config`) and the model itself
    (built once, so the :class:`~mmmkit.MMM` constructor's own checks run too).

    Parameters
    ----------
    path : the ``.toml`` file.

    Returns
    -------
    RunConfig

    Raises
    ------
    FileNotFoundError : no file at ``path``.
    ConfigError : anything wrong in the file; the message names the file, key and line.
    """
    path = Path(path).expanduser().resolve()
    text, raw = _parse(path)
    loc = _Located(path, text)
    _check_keys(loc, raw, SECTIONS, (), "a table of a run configuration")
    data = _data_table(loc, raw)
    tables = {}
    for name in ("model", "fit", "output", "tracking"):
        tables[name] = _table(loc, raw.get(name, {}), (name,), f"[{name}]")
        _check_keys(loc, tables[name], SECTIONS[name], (name,), f"a key of [{name}]")
    spec = _specification(loc, tables["model"], data)
    fit = {"progress": False, **_plain(loc, tables["fit"], _FIT, ("fit",))}
    output = {**DEFAULT_OUTPUT, **_plain(loc, tables["output"], _OUTPUT, ("output",))}
    folder = (path.parent / output["folder"]).resolve()
    report = output["report"]
    return RunConfig(
        path=path, data_path=(path.parent / data["path"]).resolve(), specification=spec,
        fit=fit, output_folder=folder, model_file=folder / output["model"],
        report_file=(folder / (DEFAULT_REPORT if report is True else report)
                     if report else None),
        review=output["review"],
        tracking=_tracking(path, _plain(loc, tables["tracking"], _TRACKING, ("tracking",))),
        text=text)


def _tracking(path: Path, table: dict) -> Tracking:
    uri = table.get("tracking_uri")
    if uri is not None and ":" not in uri:  # a plain path: relative to the config file
        uri = (path.parent / uri).resolve().as_uri()
    return Tracking(mlflow=table.get("mlflow", False), experiment=table.get("experiment"),
                    tracking_uri=uri, run_name=table.get("run_name"))


# -- the data ----------------------------------------------------------------------------------
def read_table(path, *, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A weekly table from a CSV or Parquet file, as :meth:`mmmkit.MMM.fit` takes it.

    Dates are left as the file has them (the model reads them, with its ``dayfirst`` and
    ``date_format``); ``text_columns`` (the geo column) are read as text, so a region code
    ``"01"`` keeps its leading zero.

    Raises
    ------
    FileNotFoundError : no file at ``path``.
    DataError : not a ``.csv`` or ``.parquet`` file, or one that cannot be read.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path}.")
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise DataError(f"{path}: a data file must be CSV (.csv) or Parquet (.parquet), not "
                        f"{suffix or 'a file without a suffix'}; write the table as one of them.")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str))
        frame = pd.read_parquet(path)
    except (ValueError, OSError, ImportError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({type(err).__name__}: "
                        f"{err}); check that the file is a complete table.") from None
    for column in text_columns:
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame


def load_data(config: RunConfig) -> pd.DataFrame:
    """The data file of ``config``, with every column ``[data]`` names present.

    Raises
    ------
    ConfigError : the file is missing or unreadable (naming ``[data] path``), or lacks a
        column ``[data]`` names (naming that key, its line and the file's columns).
    """
    spec = config.specification
    where = ("data", "path")
    try:
        frame = read_table(config.data_path, text_columns=(spec["geo"],) if spec["geo"] else ())
    except (FileNotFoundError, DataError) as err:
        raise config.error(where, f"gives the data file, but {str(err).rstrip('.')}; paths "
                           f"are relative to {config.path.parent}.") from None
    columns = [str(c) for c in frame.columns]
    for role in ("date", "target", "geo", "channels", "controls"):
        named = spec[role] if isinstance(spec[role], list) else [spec[role]]
        for name in named:
            if name is not None and name not in columns:
                close = difflib.get_close_matches(name, columns, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise config.error(("data", role), f"names {name!r}, which is not a column of "
                                   f"{config.data_path}{hint}; its columns are "
                                   f"{', '.join(columns)}. Fix the name here or in the file.")
    return frame


def fit_from_config(config, data: pd.DataFrame | None = None, **fit_overrides) -> MMM:
    """Fit the model of a run configuration on its data: what ``mmmkit fit CONFIG`` fits.

    Parameters
    ----------
    config : a :class:`RunConfig` or the path of a ``.toml`` file.
    data : the table to fit (default: the config's data file, :func:`load_data`).
    **fit_overrides : :meth:`mmmkit.MMM.fit` settings that replace the file's ``[fit]``.

    Returns
    -------
    The fitted :class:`~mmmkit.MMM` (nothing is written; the CLI saves it).

    Raises
    ------
    ConfigError : a problem of the file, or of the data (e.g. a negative spend, a gap in the
        weeks): the message names the data file, the config file and ``[data] path``'s line,
        then the row and column as :func:`mmmkit.validate_frame` reports them.
    """
    if not isinstance(config, RunConfig):
        config = read_config(config)
    frame = load_data(config) if data is None else data
    model = config.new_model()
    try:
        return model.fit(frame, **{**config.fit, **fit_overrides})
    except ConfigError:
        raise
    except DataError as err:
        line = config.line("data", "path")
        raise ConfigError(f"{config.data_path} (the [data] path of {config.path}"
                          f"{f', line {line}' if line else ''}): {err}", path=config.path,
                          key=("data", "path"), line=line) from None
