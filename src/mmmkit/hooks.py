"""Callbacks run after a public step finishes, for integrations that must not be imported by
the estimator (experiment tracking lives two layers above :mod:`mmmkit.model`).

``register(event, callback)`` adds ``callback(obj)`` for ``event`` (``"fit"``), returning a
function that removes it again; ``run(event, obj)`` calls each in order. A failing callback
never undoes the step that triggered it: its exception is turned into a warning naming it,
because a fitted model must not be lost to a tracking server that is down.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

__all__ = ["EVENTS", "register", "registered", "run"]

EVENTS = ("fit",)
_CALLBACKS: dict[str, list[Callable]] = {event: [] for event in EVENTS}


def register(event: str, callback: Callable) -> Callable[[], None]:
    """Call ``callback(obj)`` after every ``event``; returns the function that unregisters it."""
    if event not in _CALLBACKS:
        raise ValueError(f"event must be one of {EVENTS}, got {event!r}.")
    if not callable(callback):
        raise ValueError(f"callback must be callable, got {type(callback).__name__}.")
    _CALLBACKS[event].append(callback)

    def remove() -> None:
        if callback in _CALLBACKS[event]:
            _CALLBACKS[event].remove(callback)

    return remove


def registered(event: str) -> list[Callable]:
    """The callbacks of ``event``, in the order they run (a copy)."""
    return list(_CALLBACKS[event])


def run(event: str, obj) -> None:
    """Call every callback of ``event`` with ``obj``; a failure becomes a warning."""
    for callback in list(_CALLBACKS[event]):
        try:
            callback(obj)
        except Exception as exc:
            name = getattr(callback, "__qualname__", repr(callback))
            warnings.warn(f"the {event!r} callback {name} failed ({type(exc).__name__}: {exc}); "
                          "the result itself is fine.", RuntimeWarning, stacklevel=3)
