"""Errors mmmkit raises for bad input."""

from __future__ import annotations


class DataError(ValueError):
    """The input table cannot be modelled as given.

    The message names the column, the row (date, and geo for a panel) and what is wrong, and
    says what to change. Raised before any sampling starts.
    """
