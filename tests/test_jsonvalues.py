"""The JSON number checks (:mod:`mmmkit.jsonvalues`) that model files are read with."""

from __future__ import annotations

import math

import pytest

from mmmkit.jsonvalues import is_int, is_number


@pytest.mark.parametrize(("value", "whole", "number"), [
    (3, True, True), (0, True, True), (-2, True, True), (2.5, False, True), (2.0, False, True),
    (True, False, False), (False, False, False), (math.nan, False, False),
    (math.inf, False, False), ("3", False, False), (None, False, False), ([1], False, False)])
def test_whole_and_finite_numbers_but_never_booleans(value, whole, number):
    assert is_int(value) is whole
    assert is_number(value) is number
