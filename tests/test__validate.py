"""snt_geo._validate: the house message for every argument check."""

from __future__ import annotations

import numpy as np
import pytest

from snt_geo._validate import (
    check_choice,
    check_fraction,
    check_non_negative,
    check_positive,
    check_whole,
)


def test_house_message():
    with pytest.raises(
        ValueError, match=r"^`cell_size_m` must be a positive number of metres; got -250\.$"
    ):
        check_positive("cell_size_m", -250, unit="metres")


@pytest.mark.parametrize("bad", [0, -1.0, np.nan, np.inf, True, "5", None])
def test_positive_refuses(bad):
    with pytest.raises(ValueError, match="`distance_m` must be a positive number"):
        check_positive("distance_m", bad, unit="metres")


def test_positive_accepts_numpy_and_returns_float():
    assert check_positive("distance_m", np.int64(5)) == 5.0
    assert check_positive("n", 3.0, integer=True) == 3.0
    with pytest.raises(ValueError, match="a positive whole number; got 2.5"):
        check_positive("n", 2.5, integer=True)


def test_non_negative_and_hint():
    assert check_non_negative("snap_m", 0) == 0.0
    with pytest.raises(ValueError, match=r"non-negative number of metres; got -1\. Pass 0"):
        check_non_negative("snap_m", -1, unit="metres", hint="Pass 0 for exact touching.")


def test_whole():
    assert check_whole("permutations", np.int32(9)) == 9
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match=r"`permutations` must be a whole number >= 0"):
            check_whole("permutations", bad)


def test_fraction_intervals():
    assert check_fraction("min_share", 0, low_open=False) == 0.0
    with pytest.raises(ValueError, match=r"`min_share` must be a fraction in \[0, 1\); got 1\."):
        check_fraction("min_share", 1, low_open=False)
    with pytest.raises(ValueError, match=r"a probability in \(0, 1\); got 0\."):
        check_fraction("alpha", 0, what="a probability")


def test_choice():
    assert check_choice("adjacency", "rook", ("queen", "rook")) == "rook"
    with pytest.raises(ValueError, match=r"`adjacency` must be 'queen' or 'rook'; got 'x'\."):
        check_choice("adjacency", "x", ("queen", "rook"))
    with pytest.raises(ValueError, match=r"must be one of 'a', 'b' or 'c'"):
        check_choice("m", "d", "abc")
