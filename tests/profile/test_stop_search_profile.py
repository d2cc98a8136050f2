"""Stop and search per ward and month, checked against an independent geopandas/pandas count."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from snt_geo.errors import SchemaError
from snt_geo.io import read_wards
from snt_geo.io.stop_search import read_stop_and_search
from snt_geo.profile.stop_search import (
    describe_stop_search,
    stop_search_monthly,
    stop_search_profile,
)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def city(shared_data):
    wards = _quiet(
        read_wards, shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward.shp"
    )
    wards = wards[wards["borough_code"] == "E09000001"]
    searches = _quiet(
        read_stop_and_search, shared_data / "police-uk-city-of-london/stop-and-search"
    )
    return wards, searches


@pytest.fixture(scope="module")
def camden(shared_data):
    wards = _quiet(
        read_wards,
        shared_data / "london-wards-2022-camden-lewisham/Wards_May_2022_UK_BFC_V2_Camden.zip",
    )
    searches = _quiet(
        read_stop_and_search,
        [
            shared_data
            / "police-uk-metropolitan-stop-and-search"
            / f"2024-0{m}-metropolitan-stop-and-search.csv.gz"
            for m in (7, 8)
        ],
    )
    return wards, searches


def _reference(wards, searches):
    """Each search's ward by sjoin: the first ward (in wards' order) the point intersects."""
    order = pd.Series(np.arange(len(wards)), index=wards.index)
    joined = gpd.sjoin(searches, wards[["geometry"]], predicate="intersects", how="inner")
    joined["pos"] = order[joined["ward_code"]].to_numpy()
    joined = joined.sort_values("pos", kind="stable")
    return joined[~joined.index.duplicated(keep="first")]


@pytest.mark.parametrize("area", ["city", "camden"])
def test_counts_match_an_independent_count(area, request):
    wards, searches = request.getfixturevalue(area)
    prof = stop_search_profile(wards, searches)
    ref = _reference(wards, searches)
    assert prof.index.equals(pd.Index(wards.index, name="ward_code"))
    expected = ref.groupby("ward_code").size().reindex(wards.index, fill_value=0)
    np.testing.assert_array_equal(prof["searches"], expected)
    nfa = ref["outcome"].astype(str).str.lower().str.contains("no further action")
    expected_nfa = nfa.groupby(ref["ward_code"]).sum().reindex(wards.index, fill_value=0)
    np.testing.assert_array_equal(prof["no_further_action"], expected_nfa)
    busy = prof["searches"] > 0
    np.testing.assert_allclose(
        prof.loc[busy, "nfa_share"], (expected_nfa / expected)[busy.to_numpy()], rtol=1e-12
    )
    assert prof.loc[~busy, "nfa_share"].isna().all()
    by_object = pd.crosstab(ref["ward_code"], ref["object_of_search"].astype(str))
    method = prof.attrs["method"]
    for col, label in method.objects.items():
        if label == "not recorded":
            continue
        want = by_object[label].reindex(wards.index, fill_value=0) if label in by_object else 0
        np.testing.assert_array_equal(prof[col], want, err_msg=col)
    assert method.searches_in_wards == len(ref) == prof["searches"].sum()
    assert method.searches_in_wards + method.searches_outside_wards == method.searches_in_period
    assert method.searches_in_period == len(searches)


def test_monthly_sums_to_the_profile(city):
    wards, searches = city
    monthly = stop_search_monthly(
        wards, searches, months=pd.period_range("2019-01", "2019-12", freq="M")
    )
    prof = stop_search_profile(
        wards, searches, months=pd.period_range("2019-01", "2019-12", freq="M")
    )
    assert len(monthly) == len(wards) * 12
    summed = (
        monthly.drop(columns=["nfa_share", "arrest_share"])
        .groupby(level="ward_code", sort=False)
        .sum()
    )
    pd.testing.assert_frame_equal(
        summed.loc[prof.index], prof.drop(columns=["nfa_share", "arrest_share"]), check_names=False
    )
    in_2019 = (searches["month"].dt.year == 2019).sum()
    assert prof.attrs["method"].searches_in_period == in_2019
    assert "Stop and search counted per ward, 2019-01 to 2019-12" in prof.attrs["method"].describe()


def test_sentence_for_a_briefing(city):
    wards, searches = city
    prof = stop_search_profile(wards, searches)
    ward = prof["searches"].idxmax()
    text = describe_stop_search(prof, ward)
    assert text.startswith(f"{prof.loc[ward, 'searches']:,} stop and searches, mostly for ")
    assert f"{round(100 * prof.loc[ward, 'nfa_share'])}% ended in no further action" in text
    quiet = prof["searches"].idxmin()
    if prof.loc[quiet, "searches"] == 0:
        assert describe_stop_search(prof, quiet) == "No stop and search recorded in the ward."


def test_bad_input(city):
    wards, searches = city
    with pytest.raises(TypeError, match="`searches` must be a GeoDataFrame"):
        stop_search_profile(wards, pd.DataFrame(searches))
    with pytest.raises(SchemaError, match="missing column 'outcome'"):
        stop_search_profile(wards, searches.drop(columns="outcome"))
    with pytest.raises(ValueError, match="`months` must be months such as '2019-01'"):
        stop_search_profile(wards, searches, months="spring")
    before = searches.copy()
    stop_search_profile(wards, searches)
    pd.testing.assert_frame_equal(searches, before)
