"""Method records survive combining results, or the failure says what to do: never a KeyError.

pandas keeps ``attrs`` through ``pd.concat`` only when every input's attrs are equal, so two
results of different runs lose their records. ``snt_geo.method_of`` says so and points at
``snt_geo.concat_results``, which keeps every input's record.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import snt_geo
from snt_geo.datasets import load_sample
from snt_geo.errors import SntGeoError
from snt_geo.linkage import find_hotspots
from snt_geo.tasking import tasking_assessment


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def two_runs(sample):
    """Gi* cells of the sample's robberies at two cell sizes: two different method records."""
    robbery = sample.incidents[sample.incidents["crime_type"] == "Robbery"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return (
            find_hotspots(robbery, area=sample.wards, cell_size_m=100),
            find_hotspots(robbery, area=sample.wards, cell_size_m=150),
        )


def test_concat_of_one_run_keeps_the_record(two_runs):
    a, _ = two_runs
    combined = pd.concat([a.iloc[:10], a.iloc[10:]])
    assert combined.attrs["method"].describe() == a.attrs["method"].describe()
    assert snt_geo.method_of(combined) == a.attrs["method"]  # pandas copies attrs


def test_concat_of_two_runs_fails_saying_what_to_do(two_runs):
    a, b = two_runs
    combined = pd.concat([a, b])
    with pytest.raises(SntGeoError, match=r"pd\.concat.*snt_geo\.concat_results") as caught:
        snt_geo.method_of(combined).describe()
    assert not isinstance(caught.value, KeyError)


def test_concat_results_keeps_both_records(two_runs):
    a, b = two_runs
    combined = snt_geo.concat_results([a, b], keys=["100 m", "150 m"])
    assert len(combined) == len(a) + len(b)
    text = snt_geo.method_of(combined).describe()
    assert text.startswith("(1) ") and "(2) " in text
    assert "100 m" in text and "150 m" in text


def test_assessment_tables_of_two_periods_combine(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        runs = [
            tasking_assessment(sample.wards, sample.incidents, period=p, permutations=9)
            for p in (("2023-01", "2023-03"), ("2023-04", "2023-06"))
        ]
    frames = [r.to_frame() for r in runs]
    with pytest.raises(SntGeoError, match="concat_results"):
        snt_geo.method_of(pd.concat(frames))
    combined = snt_geo.concat_results(frames, keys=["Q1", "Q2"])
    text = snt_geo.method_of(combined).describe()
    assert "2023-01..2023-03" in text and "2023-04..2023-06" in text
