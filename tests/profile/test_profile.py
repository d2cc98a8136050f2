import copy
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from snt_geo.errors import CRSError, SchemaError, SntGeoError
from snt_geo.io import incidents_from_frame, read_police_uk, read_wards
from snt_geo.io.demographics import read_demographics
from snt_geo.profile.assignment import assign_wards
from snt_geo.profile.profile import (
    ProfileMethod,
    WardProfile,
    profile_info,
    profile_locations,
    profile_monthly,
    theme_columns,
    ward_profile,
)

ESRI = "gla-statistical-gis-boundaries-london/ESRI"
quiet = pytest.mark.filterwarnings("ignore::UserWarning")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------------------------------
# A hand-checkable grid: 3x3 wards of 100 m, columns 0-1 in borough B1, column 2 in B2.


@pytest.fixture
def grid():
    rows = []
    for r in range(3):
        for c in range(3):
            rows.append(
                {
                    "ward_code": f"W{r}{c}",
                    "ward_name": f"Ward {r}{c}",
                    "borough_code": "B1" if c < 2 else "B2",
                    "borough_name": "One" if c < 2 else "Two",
                    "geometry": shapely.box(
                        530000 + 100 * c, 180000 + 100 * r, 530100 + 100 * c, 180100 + 100 * r
                    ),
                }
            )
    return gpd.GeoDataFrame(rows, crs=27700).set_index("ward_code")


def _centre(code):
    r, c = int(code[1]), int(code[2])
    return 530050 + 100 * c, 180050 + 100 * r


def _incidents(rows, crs=27700):
    """rows: (x, y, month, crime_type[, location])."""
    df = pd.DataFrame(
        [r if len(r) == 5 else (*r, "On or near Somewhere") for r in rows],
        columns=["x", "y", "month", "crime_type", "location"],
    )
    return _quiet(
        incidents_from_frame, df, x="x", y="y", crs=crs, month="month", crime_type="crime_type"
    )


@pytest.fixture
def grid_incidents():
    rows = []
    x, y = _centre("W00")
    rows += [(x, y, "2024-03", "Robbery")] * 3 + [(x, y, "2024-03", "Anti-social behaviour")]
    x, y = _centre("W11")
    rows += [(x, y, "2024-02", "Theft from the person")] * 2 + [(x, y, "2024-01", "Burglary")]
    x, y = _centre("W02")
    rows += [(x, y, "2024-03", "Anti-social behaviour")] * 4
    return _incidents(rows)


@pytest.fixture
def population():
    return pd.DataFrame(
        {"population": [2000.0] * 8 + [500.0], "pct_social_rented": np.arange(9.0)},
        index=pd.Index([f"W{r}{c}" for r in range(3) for c in range(3)], name="ward_code"),
    )


def test_grid_known_answers(grid, grid_incidents, population):
    prof = ward_profile(
        grid, grid_incidents, demographics=population, period=("2024-01", "2024-03")
    )
    assert list(prof.wards.index) == list(grid.index)
    assert prof.wards.index.name == "ward_code"
    assert prof.wards.crs.to_epsg() == 27700
    assert prof.wards.loc["W00", "street_crime_count"] == 3
    assert prof.wards.loc["W00", "robbery_count"] == 3
    assert prof.wards.loc["W11", "street_crime_count"] == 2
    assert prof.wards.loc["W11", "theft_from_the_person_count"] == 2
    assert prof.wards.loc["W11", "acquisitive_count"] == 3
    assert prof.wards.loc["W02", "asb_count"] == 4
    assert prof.wards.loc["W00", "incident_count"] == 4
    assert prof.wards["incident_count"].sum() == 11
    # Rates: per 1,000 residents; W22 has 500 < min_population.
    assert prof.wards.loc["W00", "robbery_rate_per_1000"] == pytest.approx(3 / 2000 * 1000)
    assert np.isnan(prof.wards.loc["W22", "asb_rate_per_1000"])
    assert prof.wards.loc["W22", "population_flag"] == "below_min_population"
    assert pd.isna(prof.wards.loc["W00", "population_flag"])
    assert prof.wards.loc["W00", "pct_social_rented"] == 0.0
    # LQ by hand: W00 ASB share 1/4; all wards 5/11; borough B1 (W00, W01, W10, W11, W20, W21)
    # has 1 ASB in 7 incidents.
    assert prof.wards.loc["W00", "asb_lq"] == pytest.approx((1 / 4) / (5 / 11))
    assert prof.wards.loc["W00", "asb_lq_borough"] == pytest.approx((1 / 4) / (1 / 7))
    assert prof.wards.loc["W02", "asb_lq_borough"] == pytest.approx(1.0)  # B2 is all ASB in W02
    assert np.isnan(prof.wards.loc["W01", "asb_lq"])  # no incidents at all
    # Rank within borough by rate (1 = highest).
    assert prof.wards.loc["W00", "asb_rank_borough"] == 1
    assert prof.wards.loc["W02", "asb_rank_borough"] == 1
    assert prof.wards.loc["W12", "asb_rank_borough"] == 2
    assert pd.isna(prof.wards.loc["W22", "asb_rank_borough"])  # no rate
    # Themes present only; in the order of the theme table (composites first).
    info = profile_info(prof)
    assert info.themes == (
        "asb",
        "street_crime",
        "acquisitive",
        "anti_social_behaviour",
        "burglary",
        "robbery",
        "theft_from_the_person",
    )
    assert "drugs_count" not in prof.wards.columns
    assert info.period_rule == "given"


def test_columns_in_documented_order(grid, grid_incidents, population):
    prof = ward_profile(grid, grid_incidents, demographics=population, period="2024-03")
    info = profile_info(prof)
    expected = [
        "ward_name",
        "borough_code",
        "borough_name",
        "population",
        "pct_social_rented",
        "population_flag",
        "incident_count",
        "incident_rate_per_1000",
        "incident_eb_rate_per_1000",
        "incident_seb_rate_per_1000",
        "incident_rank_borough",
    ]
    for key in info.themes:
        expected += theme_columns(key)
    assert list(prof.wards.columns) == [*expected, "geometry"]


def test_monthly_series_and_key_locations(grid, grid_incidents):
    prof = ward_profile(grid, grid_incidents, period=("2024-01", "2024-03"))
    monthly = profile_monthly(prof)
    assert list(monthly.columns) == ["ward_code", "borough_code", "theme", "month", "count"]
    # Every ward x theme x month, zeros included.
    assert len(monthly) == 9 * len(profile_info(prof).themes) * 3
    sums = monthly.groupby(["ward_code", "theme"], observed=True)["count"].sum()
    for key in profile_info(prof).themes:
        assert (
            sums.xs(key, level="theme").reindex(prof.wards.index) == prof.wards[f"{key}_count"]
        ).all()
    w11 = monthly[(monthly.ward_code == "W11") & (monthly.theme == "street_crime")]
    assert w11.set_index("month")["count"].astype(int).to_dict() == {
        pd.Period("2024-01", "M"): 0,
        pd.Period("2024-02", "M"): 2,
        pd.Period("2024-03", "M"): 0,
    }
    locs = profile_locations(prof)
    assert locs.crs.to_epsg() == 27700
    top = locs.set_index("ward_code").loc["W00"]
    assert top["count"] == 4 and top["rank"] == 1 and top["share"] == 1.0
    assert top["location"] == "On or near Somewhere"
    assert set(locs["ward_code"]) == {"W00", "W11", "W02"}


def test_key_locations_rank_busiest_first(grid):
    x, y = _centre("W00")
    rows = [(x, y, "2024-01", "Robbery", "A")] * 2 + [(x + 10, y, "2024-01", "Robbery", "B")] * 5
    rows += [(x + 20, y, "2024-01", "Robbery", "C")]
    prof = ward_profile(grid, _incidents(rows), period="2024-01", n_locations=2)
    locs = profile_locations(prof)
    assert locs["location"].tolist() == ["B", "A"]
    assert locs["count"].tolist() == [5, 2]
    assert locs["rank"].tolist() == [1, 2]


def test_boundary_point_counted_once_for_first_ward(grid):
    # On the edge shared by W00 and W01, and on the corner of W00, W01, W10, W11.
    rows = [(530100, 180050, "2024-01", "Robbery"), (530100, 180100, "2024-01", "Robbery")]
    inc = _incidents(rows)
    prof = ward_profile(grid, inc, period="2024-01")
    assert prof.wards["robbery_count"].sum() == 2
    assert prof.wards.loc["W00", "robbery_count"] == 2
    reordered = ward_profile(grid.iloc[::-1], inc, period="2024-01")
    assert reordered.wards.loc["W11", "robbery_count"] == 1  # corner: W11 now first
    assert reordered.wards.loc["W01", "robbery_count"] == 1  # edge: W01 before W00


def test_outside_every_ward_counted_and_reported(grid):
    x, y = _centre("W00")
    rows = [(x, y, "2024-01", "Robbery"), (529000, 179000, "2024-01", "Robbery")]
    with pytest.warns(UserWarning, match="1 outside every ward"):
        prof = ward_profile(grid, _incidents(rows), period="2024-01")
    acc = profile_info(prof).accounting
    assert acc["in_period"] == 2
    assert acc["in_period_in_wards"] == 1
    assert acc["in_period_outside_wards"] == 1
    assert acc["in_period"] == (
        acc["in_period_in_wards"] + acc["in_period_outside_wards"] + acc["in_period_no_geometry"]
    )
    assert prof.outside_monthly.sum() == 1


def test_null_geometry_counted(grid):
    x, y = _centre("W00")
    inc = _incidents([(x, y, "2024-01", "Robbery")] * 2)
    inc.loc[inc.index[1], "geometry"] = None
    with pytest.warns(UserWarning, match="1 without a location"):
        prof = ward_profile(grid, inc, period="2024-01")
    assert prof.wards["robbery_count"].sum() == 1
    assert profile_info(prof).accounting["in_period_no_geometry"] == 1


def test_empty_incidents(grid, grid_incidents):
    empty = grid_incidents.iloc[:0]
    with pytest.warns(UserWarning, match=r"1 month\(s\) of the period have no incidents at all"):
        prof = ward_profile(grid, empty, period="2024-01")
    assert profile_info(prof).period_months_without_data == (pd.Period("2024-01", "M"),)
    assert len(prof.wards) == 9
    assert (prof.wards["incident_count"] == 0).all()
    assert profile_info(prof).themes == ()
    assert len(profile_locations(prof)) == 0
    with pytest.raises(ValueError, match="no rows with a month"):
        ward_profile(grid, empty)


def test_one_incident(grid, grid_incidents):
    prof = ward_profile(grid, grid_incidents.iloc[[0]])
    assert prof.wards["robbery_count"].sum() == 1
    assert profile_info(prof).period_start == pd.Period("2024-03", "M")
    assert profile_info(prof).n_months == 1
    assert prof.wards["robbery_small_number"].all()


def test_duplicate_locations_and_non_unique_index(grid, grid_incidents):
    doubled = pd.concat([grid_incidents, grid_incidents])  # same points, repeated index labels
    assert not doubled.index.is_unique
    prof = ward_profile(grid, doubled, period=("2024-01", "2024-03"))
    single = ward_profile(grid, grid_incidents, period=("2024-01", "2024-03"))
    assert (prof.wards["incident_count"] == 2 * single.wards["incident_count"]).all()
    assert profile_locations(prof)["count"].max() == 8


def test_no_crs_raises(grid, grid_incidents):
    with pytest.raises(CRSError, match="`incidents` has no CRS"):
        ward_profile(grid, grid_incidents.set_crs(None, allow_override=True), period="2024-01")
    with pytest.raises(CRSError, match="`wards` has no CRS"):
        ward_profile(grid.set_crs(None, allow_override=True), grid_incidents, period="2024-01")


def test_schema_errors(grid, grid_incidents):
    with pytest.raises(SchemaError, match="no `crime_type` column"):
        ward_profile(grid, grid_incidents.drop(columns="crime_type"))
    with pytest.raises(SchemaError, match="unique index"):
        ward_profile(pd.concat([grid, grid]), grid_incidents)
    with pytest.raises(SchemaError, match="no `population` column"):
        ward_profile(grid, grid_incidents, demographics=pd.DataFrame({"pop": [1]}, index=["W00"]))
    with pytest.raises(ValueError, match="`baseline` names unknown comparisons"):
        ward_profile(grid, grid_incidents, baseline="last_week")
    with pytest.raises(ValueError, match="`period` holds 'March'"):
        ward_profile(grid, grid_incidents, period="March")
    with pytest.raises(ValueError, match="`period` runs backwards"):
        ward_profile(grid, grid_incidents, period=("2024-03", "2024-01"))
    with pytest.raises(ValueError, match="`min_population` must be"):
        ward_profile(grid, grid_incidents, min_population=-1)
    with pytest.raises(TypeError, match="`incidents` must be a GeoDataFrame"):
        ward_profile(grid, pd.DataFrame(grid_incidents))


def test_4326_and_27700_inputs_give_the_same_profile(grid, grid_incidents):
    a = ward_profile(grid, grid_incidents, period=("2024-01", "2024-03")).wards
    b = ward_profile(
        grid.to_crs(4326), grid_incidents.to_crs(4326), period=("2024-01", "2024-03")
    ).wards
    counts = [c for c in a.columns if c.endswith("_count")]
    pd.testing.assert_frame_equal(a[counts], b[counts])
    assert b.crs.to_epsg() == 27700


def test_row_order_does_not_matter(grid, grid_incidents):
    shuffled = grid_incidents.sample(frac=1, random_state=0)
    a = ward_profile(grid, grid_incidents, period=("2024-01", "2024-03"))
    b = ward_profile(grid, shuffled, period=("2024-01", "2024-03"))
    pd.testing.assert_frame_equal(
        a.wards.drop(columns="geometry"), b.wards.drop(columns="geometry")
    )
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert a.method == b.method


def test_inputs_not_mutated(grid, grid_incidents, population):
    before = (grid.copy(), grid_incidents.copy(), population.copy())
    ward_profile(grid, grid_incidents, demographics=population, period="2024-03")
    pd.testing.assert_frame_equal(grid, before[0])
    pd.testing.assert_frame_equal(grid_incidents, before[1])
    pd.testing.assert_frame_equal(population, before[2])


def test_default_period_and_partial_month(grid):
    x, y = _centre("W00")
    months = pd.period_range("2022-01", "2024-03", freq="M").astype(str)
    prof = ward_profile(grid, _incidents([(x, y, m, "Robbery") for m in months]))
    info = profile_info(prof)
    assert (info.period_start, info.period_end) == (
        pd.Period("2023-04", "M"),
        pd.Period("2024-03", "M"),
    )
    assert "last 12 complete months" in info.period_rule
    assert info.baselines["previous"] == (
        pd.Period("2022-04", "M"),
        pd.Period("2023-03", "M"),
        True,
    )
    # A BIU extract with dates ending mid-month: the partial month is left out.
    df = pd.DataFrame(
        {"x": x, "y": y, "date": pd.date_range("2023-01-01", "2024-03-10"), "crime_type": "Robbery"}
    )
    inc = _quiet(
        incidents_from_frame, df, x="x", y="y", crs=27700, date="date", crime_type="crime_type"
    )
    info = profile_info(ward_profile(grid, inc))
    assert info.period_end == pd.Period("2024-02", "M")
    assert "partial month 2024-03 left out" in info.period_rule


def test_period_forms(grid, grid_incidents):
    ref = profile_info(ward_profile(grid, grid_incidents, period=("2024-01", "2024-03")))
    idx = pd.period_range("2024-01", "2024-03", freq="M")
    for form in (idx, [str(p) for p in idx], (idx[0], idx[-1])):
        info = profile_info(ward_profile(grid, grid_incidents, period=form))
        assert (info.period_start, info.period_end) == (ref.period_start, ref.period_end)
    with pytest.raises(ValueError, match="`period` must be consecutive months"):
        ward_profile(grid, grid_incidents, period=["2024-01", "2024-02", "2024-04"])


def test_unknown_and_blank_crime_types_counted_in_incidents_only(grid):
    x, y = _centre("W00")
    inc = _incidents([(x, y, "2024-01", "Robbery")] * 3)
    inc["crime_type"] = pd.Categorical(["Robbery", "Youth ASB", None])
    with pytest.warns(UserWarning, match=r"2 of crime types in no theme \(\['Youth ASB'\]\)"):
        prof = ward_profile(grid, inc, period="2024-01")
    assert prof.wards.loc["W00", "incident_count"] == 3
    assert prof.wards.loc["W00", "robbery_count"] == 1
    assert profile_info(prof).accounting["in_period_unknown_crime_type"] == 2


def test_baselines_and_uncovered_baseline(grid):
    x, y = _centre("W00")
    rows = [(x, y, "2024-01", "Robbery")] * 4 + [(x, y, "2024-02", "Robbery")] * 12
    prof = ward_profile(grid, _incidents(rows), period="2024-02")
    assert prof.wards.loc["W00", "robbery_count_previous"] == 4
    assert prof.wards.loc["W00", "robbery_change_pct_previous"] == pytest.approx(200.0)
    assert prof.wards.loc["W00", "robbery_p_previous"] == pytest.approx(
        stats.binomtest(12, 16, 0.5).pvalue
    )
    assert prof.wards.loc["W00", "robbery_small_number"]  # baseline 4 < 10
    # Year-earlier months are not in the data: NA, never a false zero.
    assert pd.isna(prof.wards.loc["W00", "robbery_count_year_earlier"])
    assert np.isnan(prof.wards.loc["W00", "robbery_p_year_earlier"])
    assert profile_info(prof).baselines["year_earlier"][2] is False
    only_prev = ward_profile(grid, _incidents(rows), period="2024-02", baseline="previous")
    assert "robbery_p_year_earlier" not in only_prev.wards.columns


def test_gap_in_archive_gives_na_not_zero(grid):
    # Data for 2023-11 and 2024-01 only: December is a gap in the archive, not zero crime.
    x, y = _centre("W00")
    rows = [(x, y, "2023-11", "Robbery")] * 3 + [(x, y, "2024-01", "Robbery")] * 5
    prof = ward_profile(grid, _incidents(rows), period="2024-01", baseline="previous")
    assert pd.isna(prof.wards.loc["W00", "robbery_count_previous"])
    assert profile_info(prof).baselines["previous"][2] is False
    assert set(profile_monthly(prof)["month"].astype(str)) == {"2024-01"}


def test_method_survives_selection_and_concat(grid, grid_incidents):
    prof = ward_profile(grid, grid_incidents, period="2024-03")
    info = profile_info(prof)
    assert isinstance(prof, WardProfile) and isinstance(info, ProfileMethod)
    assert prof.wards.attrs["method"] is info and prof.to_frame() is prof.wards
    assert profile_info(prof.wards[prof.wards["incident_count"] > 0]) == info
    assert copy.deepcopy(info) == info
    # pd.concat of parts of one profile keeps the method; of two profiles, says what to do.
    parts = pd.concat([prof.wards.iloc[:4], prof.wards.iloc[4:]])
    assert parts.attrs["method"].describe() == info.describe()
    other = ward_profile(grid, grid_incidents, period="2024-02").wards
    with pytest.raises(SntGeoError, match="WardProfile.select"):
        profile_info(pd.concat([prof.wards, other]))
    with pytest.raises(SntGeoError, match="must be the WardProfile"):
        profile_monthly(prof.wards)
    sub = prof.select(["W00"])
    assert list(sub.wards.index) == ["W00"]
    mask = prof.select((prof.wards["incident_count"] > 0).to_numpy())
    assert (mask.wards["incident_count"] > 0).all()
    assert set(profile_monthly(sub)["ward_code"]) == {"W00"}
    assert set(profile_locations(sub)["ward_code"]) <= {"W00"}
    with pytest.raises(SntGeoError, match="carries no profile information"):
        profile_info(pd.DataFrame({"a": [1]}))
    assert "Period 2024-03..2024-03" in info.describe()
    assert "<p>" in info._repr_html_()
    assert repr(prof).startswith("WardProfile(9 wards x ")
    view = prof._repr_html_()
    assert "incident_rate_per_1000" in view and "robbery_p_previous" not in view


def test_without_demographics_rates_are_flagged(grid, grid_incidents):
    prof = ward_profile(grid, grid_incidents, period="2024-03")
    assert prof.wards["robbery_rate_per_1000"].isna().all()
    assert (prof.wards["population_flag"] == "missing").all()


# --------------------------------------------------------------------------------------------------
# Real data: GLA wards, Met burglary 2019, GLA ward profiles 2015


@pytest.fixture(scope="module")
def london(shared_data):
    wards = _quiet(read_wards, shared_data / ESRI / "London_Ward_CityMerged.shp")
    burglary = _quiet(
        read_police_uk,
        shared_data / "police-uk-metropolitan-street-burglary-only",
        months=[f"2019-{m:02d}" for m in range(1, 13)],
    )
    demo = _quiet(
        read_demographics,
        shared_data / "gla-ward-profiles-2015" / "ward-profiles-excel-version.csv",
    )
    with pytest.warns(UserWarning, match="outside every ward"):
        prof = ward_profile(wards, burglary, demographics=demo)
    return wards, burglary, demo, prof


def test_real_burglary_counts_equal_geopandas_sjoin(london):
    wards, burglary, demo, prof = london
    joined = gpd.sjoin(burglary[["geometry"]], wards[["geometry"]], predicate="intersects")
    # Same boundary rule, done independently: keep the first ward in `wards` order.
    joined["order"] = wards.index.get_indexer(joined["ward_code"])
    joined = joined.sort_values("order", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]
    expected = joined.groupby("ward_code").size().reindex(wards.index, fill_value=0)
    assert len(prof.wards) == 625
    np.testing.assert_array_equal(prof.wards["burglary_count"].to_numpy(), expected.to_numpy())
    assert prof.wards["burglary_count"].sum() + profile_info(prof).accounting[
        "in_period_outside_wards"
    ] == len(burglary)
    # Rates: count / population * 1000 for every ward with a population.
    pop = demo["population"].reindex(wards.index).to_numpy()
    has_pop = ~np.isnan(pop)
    assert has_pop.sum() >= 600
    np.testing.assert_allclose(
        prof.wards["burglary_rate_per_1000"].to_numpy()[has_pop],
        expected.to_numpy()[has_pop] / pop[has_pop] * 1000,
        rtol=1e-12,
    )
    assert prof.wards["population"].notna().sum() == has_pop.sum()
    assert {"age_0_15", "pct_social_rented", "demographics_year"} <= set(prof.wards.columns)
    # Single crime type: the crime-mix LQ is 1 wherever there is crime.
    assert np.allclose(prof.wards["burglary_lq"].dropna(), 1.0)


def test_real_rank_within_borough(london):
    _, _, _, prof = london
    for borough, part in prof.wards.groupby("borough_code"):
        expected = part["burglary_rate_per_1000"].rank(ascending=False, method="min")
        np.testing.assert_array_equal(
            part["burglary_rank_borough"].to_numpy(dtype=float), expected.to_numpy()
        )
        assert part["burglary_rank_borough"].min() == 1, borough


def test_real_change_tests_match_scipy(london):
    wards, burglary, demo, _ = london
    with pytest.warns(UserWarning, match="outside every ward"):
        half = ward_profile(wards, burglary, demographics=demo, period=("2019-07", "2019-12"))
    assert profile_info(half).baselines["previous"][2] is True
    # Independent counts from the first half of the year.
    first = burglary[burglary["month"] < pd.Period("2019-07", "M")]
    codes = assign_wards(first, wards)
    prev = codes.value_counts().reindex(wards.index, fill_value=0)
    np.testing.assert_array_equal(
        half.wards["burglary_count_previous"].to_numpy(dtype=np.int64), prev.to_numpy()
    )
    cur = half.wards["burglary_count"].to_numpy()
    expected = [
        stats.binomtest(int(c), int(c + p), 0.5).pvalue if c + p else 1.0
        for c, p in zip(cur, prev.to_numpy(), strict=True)
    ]
    np.testing.assert_allclose(
        half.wards["burglary_p_previous"].to_numpy(), expected, rtol=1e-9, atol=1e-15
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * (cur - prev.to_numpy()) / prev.to_numpy()
    np.testing.assert_allclose(
        half.wards["burglary_change_pct_previous"].to_numpy(),
        np.where(prev.to_numpy() > 0, pct, np.nan),
    )


def test_real_city_lq_and_street_crime(shared_data):
    city_wards = _quiet(read_wards, shared_data / ESRI / "London_Ward.shp")
    city_wards = city_wards[city_wards["borough_code"] == "E09000001"]
    inc = _quiet(
        read_police_uk,
        shared_data / "police-uk-city-of-london/street",
        months=[f"2019-{m:02d}" for m in range(1, 13)],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        prof = ward_profile(city_wards, inc)
    assert len(prof.wards) == 25
    # Independent crime-mix location quotients with a pandas crosstab.
    codes = assign_wards(inc, city_wards)
    table = pd.crosstab(codes, inc["crime_type"]).reindex(city_wards.index, fill_value=0)
    share = table.div(table.sum(axis=1), axis=0)
    overall = table.sum() / table.to_numpy().sum()
    lq = share / overall
    for ctype, key in [("Robbery", "robbery"), ("Anti-social behaviour", "anti_social_behaviour")]:
        np.testing.assert_allclose(
            prof.wards[f"{key}_lq"].to_numpy(), lq[ctype].to_numpy(), equal_nan=True
        )
        # One borough: the borough LQ is the all-wards LQ.
        np.testing.assert_allclose(
            prof.wards[f"{key}_lq_borough"].to_numpy(),
            prof.wards[f"{key}_lq"].to_numpy(),
            equal_nan=True,
        )
    np.testing.assert_array_equal(
        prof.wards["street_crime_count"].to_numpy(),
        (table["Robbery"] + table["Theft from the person"]).to_numpy(),
    )
    assert prof.wards["incident_count"].sum() == table.to_numpy().sum()


def test_without_location_column_and_demographics_variants(grid, grid_incidents, population):
    prof = ward_profile(grid, grid_incidents.drop(columns="location"), period="2024-03")
    locs = profile_locations(prof)
    assert (
        locs["location"].isna().all() and locs["count"].sum() == prof.wards["incident_count"].sum()
    )
    as_column = population.reset_index()
    a = ward_profile(grid, grid_incidents, demographics=as_column, period="2024-03")
    b = ward_profile(grid, grid_incidents, demographics=population, period="2024-03")
    pd.testing.assert_series_equal(a.wards["population"], b.wards["population"])
    with pytest.raises(SchemaError, match=r"ward codes \['W00', 'W01', .*\] appear more than once"):
        ward_profile(grid, grid_incidents, demographics=pd.concat([population, population]))
    extra = pd.concat(
        [population, pd.DataFrame({"population": [5.0]}, index=pd.Index(["E05999999"]))]
    )
    with pytest.warns(UserWarning, match=r"1 demographics ward code\(s\) match no ward"):
        c = ward_profile(grid, grid_incidents, demographics=extra, period="2024-03")
    assert profile_info(c).demographics_unmatched == ("E05999999",)


def test_small_population_wards_get_smoothed_rates_beside_the_blank_raw_rate():
    from snt_geo import load_sample
    from snt_geo.profile import smooth_ward_rates

    sample = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        prof = ward_profile(sample.wards, sample.incidents, demographics=sample.demographics)
    w = prof.wards
    small = w["population"] < 1000
    assert small.any() and w.loc[small, "incident_rate_per_1000"].isna().all()
    assert w.loc[small, "incident_eb_rate_per_1000"].notna().all()
    ref = smooth_ward_rates(
        sample.wards, counts=w["incident_count"], population=w["population"]
    ).set_axis(w.index)
    np.testing.assert_allclose(w["incident_eb_rate_per_1000"], ref["eb_rate_per_1000"])
    np.testing.assert_allclose(w["incident_seb_rate_per_1000"], ref["seb_rate_per_1000"])
    assert prof.method.rate_smoothing.counts[0] == "incident"
    assert "empirical Bayes" in prof.method.describe()


def test_typo_month_does_not_pick_the_default_period(grid):
    # 14 months of robbery in 2023-2024 (140 rows), and one row typed 2203-01 (under 1%).
    x, y = _centre("W00")
    months = [str(pd.Period("2023-01", "M") + k) for k in range(14)]
    rows = [(x, y, m, "Robbery") for m in months for _ in range(10)] + [
        (x, y, "2203-01", "Robbery")
    ]
    with pytest.warns(UserWarning, match=r"2203-01 \(1 rows\)"):
        prof = ward_profile(grid, _incidents(rows))
    assert prof.method.period == (pd.Period("2023-03", "M"), pd.Period("2024-02", "M"))
    assert prof.method.outlier_months == (pd.Period("2203-01", "M"),)
    assert ("robbery", "street_crime") in prof.method.theme_parents
    assert "outlier month(s) far from the rest left out" in prof.method.period_rule
    assert prof.wards.loc["W00", "robbery_count"] == 120
    assert prof.method.accounting["outside_window"] >= 1  # the typo row is counted, not lost


def test_zero_and_negative_populations(grid, grid_incidents, population):
    zero = population.assign(population=[0.0] + [2000.0] * 8)
    prof = ward_profile(grid, grid_incidents, demographics=zero, min_population=0, period="2024-03")
    rates = prof.wards.filter(like="rate_per_1000").loc["W00"].to_numpy(dtype=float)
    assert not np.isinf(rates).any() and np.isnan(rates[: len(rates)]).all()
    assert prof.wards.loc["W00", "population_flag"] == "zero"
    negative = population.assign(population=[2000.0, -50.0] + [2000.0] * 7)
    with pytest.raises(SchemaError, match=r"`demographics` has a negative `population`.*'W01'"):
        ward_profile(grid, grid_incidents, demographics=negative, period="2024-03")
