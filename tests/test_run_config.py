"""The TOML run configuration read directly (the command line's use of it is in
tests/test_cli.py): errors carry the file, the key and its line before any data is read."""

from __future__ import annotations

from pathlib import Path

import pytest

import mmmkit as mk
from mmmkit import run_config

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
[data]
path = "sales.csv"
date = "week"
target = "revenue"
channels = ["tv", "search"]

[model]
saturation = "hill"

[fit]
draws = 200
"""


def test_a_config_error_names_the_file_the_key_and_its_line(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(GOOD.replace("draws = 200", "draws = \"many\""))
    with pytest.raises(run_config.ConfigError) as info:
        run_config.read_config(path)
    err = info.value
    assert isinstance(err, mk.DataError)
    assert err.path == path and err.line == 11 and "[fit] draws" in str(err)
    assert f"{path}, line 11" in str(err)


def test_an_unknown_table_and_a_bad_transform_are_refused_before_any_data(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(GOOD + "\n[sampler]\nchains = 4\n")
    with pytest.raises(run_config.ConfigError, match="sampler"):
        run_config.read_config(path)
    path.write_text(GOOD.replace('saturation = "hill"', 'saturation = "sigmoid"'))
    with pytest.raises(run_config.ConfigError, match="line 8"):
        run_config.read_config(path)  # sales.csv does not exist: the data are never read


def test_example_config_reads_and_names_real_columns():
    config = run_config.read_config(ROOT / "examples" / "mmmkit.toml")
    frame = run_config.load_data(config)
    assert set(config.specification["channels"]) <= set(frame.columns)
    assert config.fit["chains"] >= 2 and config.report_file is not None


def test_key_lines_finds_headers_dotted_and_inline_keys():
    text = ('[data]\npath = "x.csv"\n\n[model]\nadstock.tv = "weibull"\n'
            '[model.priors]\n"sigma" = {dist = "HalfNormal", sigma = 1}\n')
    lines = run_config.key_lines(text)
    assert lines[("data",)] == 1 and lines[("data", "path")] == 2
    assert lines[("model", "adstock", "tv")] == 5
    assert lines[("model", "priors", "sigma")] == 7
