"""The callback registry that lets integrations (experiment tracking) follow fits."""

from __future__ import annotations

import pytest

from mmmkit import hooks


def test_callbacks_run_in_order_and_unregister():
    seen = []
    remove_a = hooks.register("fit", lambda obj: seen.append(("a", obj)))
    remove_b = hooks.register("fit", lambda obj: seen.append(("b", obj)))
    try:
        hooks.run("fit", 1)
        assert seen == [("a", 1), ("b", 1)]
    finally:
        remove_a()
        remove_b()
    hooks.run("fit", 2)
    assert seen == [("a", 1), ("b", 1)]
    remove_a()  # removing twice is harmless


def test_a_failing_callback_warns_and_the_others_still_run():
    seen = []

    def broken(obj):
        raise ConnectionError("tracking server down")

    removers = [hooks.register("fit", broken), hooks.register("fit", seen.append)]
    try:
        with pytest.warns(RuntimeWarning, match="broken failed .*tracking server down"):
            hooks.run("fit", "model")
    finally:
        for remove in removers:
            remove()
    assert seen == ["model"]
    assert hooks.registered("fit") == []


def test_bad_registrations_are_refused():
    with pytest.raises(ValueError, match="event must be one of"):
        hooks.register("predict", print)
    with pytest.raises(ValueError, match="callback must be callable"):
        hooks.register("fit", "not a function")
