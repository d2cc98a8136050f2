"""snt_geo._method: the method-record base, and what pd.concat does to attrs["method"]."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pandas as pd
import pytest

from snt_geo._method import CombinedMethod, MethodRecord, concat_results, method_of
from snt_geo.errors import SntGeoError


@dataclass(frozen=True, repr=False)
class _DemoMethod(MethodRecord):
    distance_m: float
    n_incidents: int

    def describe(self) -> str:
        return f"Demo within {self.distance_m:g} m of {self.n_incidents} incidents."


def _frame(distance_m: float, n: int) -> pd.DataFrame:
    frame = pd.DataFrame({"v": range(n)})
    frame.attrs["method"] = _DemoMethod(distance_m, n)
    return frame


def test_record_is_frozen_with_dict_repr_and_html():
    record = _DemoMethod(250.0, 3)
    with pytest.raises(FrozenInstanceError):
        record.distance_m = 1.0  # type: ignore[misc]
    assert record.to_dict() == {"distance_m": 250.0, "n_incidents": 3}
    assert "distance_m=250.0" in repr(record)
    html = record._repr_html_()
    assert "Demo within 250 m" in html and "<table>" in html


def test_concat_of_slices_of_one_result_keeps_the_record():
    frame = _frame(250.0, 4)
    joined = pd.concat([frame.iloc[:2], frame.iloc[2:]])
    assert joined.attrs["method"].describe() == "Demo within 250 m of 4 incidents."
    assert method_of(joined) is not None


def test_concat_of_different_runs_explains_what_to_do():
    joined = pd.concat([_frame(250.0, 2), _frame(100.0, 3)])
    assert "method" not in joined.attrs  # pandas drops differing attrs
    with pytest.raises(SntGeoError, match=r"concat_results"):
        method_of(joined)


def test_concat_results_keeps_each_record():
    a, b = _frame(250.0, 2), _frame(100.0, 3)
    joined = concat_results([a, b], keys=["north", "south"])
    record = joined.attrs["method"]
    assert isinstance(record, CombinedMethod)
    assert record.describe() == (
        "(1) Demo within 250 m of 2 incidents. (2) Demo within 100 m of 3 incidents."
    )
    assert len(joined) == 5
    same = concat_results([a, a])
    assert same.attrs["method"] == a.attrs["method"]
    with pytest.raises(SntGeoError, match=r"results\[1\]"):
        concat_results([a, pd.DataFrame({"v": [1]})])
