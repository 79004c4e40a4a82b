"""Type checks on numbers read back from JSON: whole numbers and finite numbers, not booleans.

A model file's specification and provenance are JSON, where ``true`` is a Python ``bool``,
which is also an ``int``; these checks keep ``True`` from passing as ``1``.
"""

from __future__ import annotations

import math


def is_int(value) -> bool:
    """A whole number (``int``, not ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite ``int`` or ``float`` (not ``bool``, ``nan`` or ``inf``)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))
