"""Pick numpy or PyTensor for a computation, so each transform's math is written once."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np


def is_tensor(value: Any) -> bool:
    """True for PyTensor variables (symbolic), False for numbers and numpy arrays."""
    try:
        from pytensor.graph.basic import Variable
    except ImportError:  # pragma: no cover - pytensor is a hard dependency
        return False
    return isinstance(value, Variable)


def namespace(*values: Any) -> ModuleType:
    """``pytensor.tensor`` if any value is symbolic, else ``numpy``."""
    if any(is_tensor(v) for v in values):
        import pytensor.tensor as pt

        return pt
    return np


def as_array(xp: ModuleType, value: Any):
    """``value`` as an array of the namespace (floats for numpy)."""
    if xp is np:
        return np.asarray(value, dtype=float)
    return xp.as_tensor_variable(value)
