"""Errors and warnings (:mod:`mmmkit.errors`): what users catch and where warnings point."""

from __future__ import annotations

import warnings

import mmmkit as mk
from mmmkit.errors import DataError, FitWarning, ModelFileError, warn_user


def test_error_types_are_what_users_catch():
    assert issubclass(DataError, ValueError) and issubclass(ModelFileError, DataError)
    assert mk.DataError is DataError and mk.FitWarning is FitWarning
    assert issubclass(FitWarning, UserWarning)


def test_warn_user_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_user("look at this", FitWarning)  # this line
    assert caught[0].filename == __file__
    assert caught[0].category is FitWarning and str(caught[0].message) == "look at this"
