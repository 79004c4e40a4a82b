"""Errors and warnings mmmkit raises: bad input, unreadable files, fits to look at."""

from __future__ import annotations


class DataError(ValueError):
    """The input table cannot be modelled as given.

    The message names the column, the row (date, and geo for a panel) and what is wrong, and
    says what to change. Raised before any sampling starts.
    """


class ModelFileError(DataError):
    """A file given to :meth:`mmmkit.MMM.load` is not a model file mmmkit can read back.

    One error for every way a file can fail to be a complete, consistent file written by
    :meth:`mmmkit.MMM.save`: not netCDF at all (random bytes, an empty file, a CSV), truncated,
    a group or array missing, metadata that is not mmmkit's JSON, or a specification field of
    the wrong type or value. The message reads ``not a readable mmmkit model file: <path>:
    <what is wrong and what to do>``.
    """


class FitWarning(UserWarning):
    """A fit or a prediction the analyst should look at before relying on it."""


def warn_user(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the first frame outside mmmkit: the user's own line.

    A fixed ``stacklevel`` breaks as soon as a call passes through one more internal layer
    (a decorator, a helper) and the warning then names an mmmkit file the user never wrote.
    """
    import os
    import sys
    import warnings

    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
