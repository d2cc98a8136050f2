"""snt_geo._warn: warnings point at the analyst's line, at any call depth inside snt_geo."""

from __future__ import annotations

from pathlib import Path

import pytest

import snt_geo
from snt_geo._warn import warn_at_caller


def test_a_direct_call_points_here():
    with pytest.warns(UserWarning, match="careful") as caught:
        warn_at_caller("careful")
    assert Path(caught[0].filename).name == Path(__file__).name


def test_the_assessment_profile_warning_points_at_the_call():
    # ward_profile's account of incidents outside every ward was shown at a line inside
    # snt_geo/tasking/_steps.py when the profile ran inside the assessment.
    sample = snt_geo.load_sample()
    with pytest.warns(UserWarning, match="outside every ward") as caught:
        snt_geo.tasking_assessment(sample.wards, sample.incidents, period=("2023-01", "2023-06"))
    mine = [w for w in caught if "outside every ward" in str(w.message)]
    assert mine and {Path(w.filename).name for w in mine} == {Path(__file__).name}


def test_filters_still_apply():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", UserWarning)
        warn_at_caller("hidden")
    assert not caught
