import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from snt_geo.errors import SntGeoError
from snt_geo.io import incidents_from_frame, read_police_uk, read_wards
from snt_geo.io.demographics import read_demographics
from snt_geo.profile.profile import profile_info, ward_profile
from snt_geo.profile.rollup import TOTAL, borough_summary, monthly_report


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


@pytest.fixture
def grid():
    """2x2 wards of 100 m: column 0 in borough B1, column 1 in B2."""
    rows = [
        {
            "ward_code": f"W{r}{c}",
            "ward_name": f"Ward {r}{c}",
            "borough_code": f"B{c + 1}",
            "borough_name": f"Borough {c + 1}",
            "geometry": shapely.box(
                530000 + 100 * c, 180000 + 100 * r, 530100 + 100 * c, 180100 + 100 * r
            ),
        }
        for r in range(2)
        for c in range(2)
    ]
    return gpd.GeoDataFrame(rows, crs=27700).set_index("ward_code")


def _at(code, month, ctype, n):
    r, c = int(code[1]), int(code[2])
    return [(530050 + 100 * c, 180050 + 100 * r, month, ctype)] * n


@pytest.fixture
def grid_profile(grid):
    rows = (
        _at("W00", "2023-03", "Robbery", 2)
        + _at("W00", "2024-03", "Robbery", 5)
        + _at("W10", "2024-02", "Anti-social behaviour", 3)
        + _at("W01", "2024-03", "Anti-social behaviour", 4)
        + _at("W11", "2023-01", "Anti-social behaviour", 1)
        + _at("W11", "2024-01", "Burglary", 1)
        + _at("W01", "2023-02", "Burglary", 1)
    )
    df = pd.DataFrame(rows, columns=["x", "y", "month", "crime_type"])
    inc = _quiet(
        incidents_from_frame, df, x="x", y="y", crs=27700, month="month", crime_type="crime_type"
    )
    pop = pd.DataFrame(
        {"population": [1000.0, 2000.0, 3000.0, 4000.0]}, index=["W00", "W01", "W10", "W11"]
    )
    return ward_profile(grid, inc, demographics=pop, period=("2024-01", "2024-03"))


def test_borough_summary_known_answers(grid_profile):
    summary = borough_summary(grid_profile)
    assert summary.attrs["method"] is grid_profile.method
    assert monthly_report(grid_profile).attrs["method"] is grid_profile.method
    assert list(summary.index) == ["B1", "B2", TOTAL]
    assert summary.index.name == "borough_code"
    assert summary.loc["B1", "n_wards"] == 2 and summary.loc[TOTAL, "n_wards"] == 4
    assert summary.loc["B1", "population"] == 4000.0
    assert summary.loc["B1", "incident_count"] == 8
    assert summary.loc["B2", "incident_count"] == 5
    assert summary.loc["B1", "robbery_count"] == 5
    assert summary.loc["B1", "asb_rate_per_1000"] == pytest.approx(3 / 4000 * 1000)
    assert summary.loc[TOTAL, "asb_count"] == 7
    # Borough LQ against all wards: B1 ASB share 3/8 vs 7/13 overall.
    assert summary.loc[TOTAL, "asb_lq"] == pytest.approx(1.0)
    assert summary.loc["B1", "asb_lq"] == pytest.approx((3 / 8) / (7 / 13))
    # Year earlier (2023-01..03): B2 had 1 ASB, now 4.
    assert summary.loc["B2", "asb_count_year_earlier"] == 1
    assert summary.loc["B2", "asb_p_year_earlier"] == pytest.approx(
        stats.binomtest(4, 5, 0.5).pvalue
    )
    assert summary.loc["B2", "asb_change_pct_year_earlier"] == pytest.approx(300.0)
    # The previous quarter (2023-10..12) has no incidents at all (a gap): NA, not zeros.
    assert pd.isna(summary.loc[TOTAL, "robbery_count_previous"])
    assert np.isnan(summary.loc[TOTAL, "robbery_p_previous"])
    assert summary["asb_small_number"].all()
    assert summary.loc["B1", "borough_name"] == "Borough 1"


def test_borough_population_nan_when_a_ward_lacks_one(grid, grid_profile):
    part = grid_profile.wards.copy()
    part.loc["W00", "population"] = np.nan
    summary = borough_summary(part)
    assert np.isnan(summary.loc["B1", "population"])
    assert np.isnan(summary.loc["B1", "asb_rate_per_1000"])
    assert summary.loc["B2", "population"] == 6000.0
    assert np.isnan(summary.loc[TOTAL, "population"])


def test_monthly_report_known_answers(grid_profile):
    report = monthly_report(grid_profile)
    assert list(report.columns) == [
        "level",
        "area_code",
        "area_name",
        "borough_code",
        "borough_name",
        "theme",
        "month",
        "count",
        "count_year_earlier",
        "population",
        "rate_per_1000",
    ]
    assert set(report["level"]) == {"ward", "borough", "all"}
    key = report.set_index(["area_code", "theme", "month"])
    mar = pd.Period("2024-03", "M")
    assert key.loc[("W00", "robbery", mar), "count"] == 5
    assert key.loc[("W00", "robbery", mar), "count_year_earlier"] == 2
    assert key.loc[("W00", "robbery", mar), "rate_per_1000"] == pytest.approx(5.0)
    assert key.loc[("B1", "asb", pd.Period("2024-02", "M")), "count"] == 3
    assert key.loc[("B2", "asb", mar), "count"] == 4
    assert key.loc[(TOTAL, "asb", mar), "count"] == 4
    assert key.loc[(TOTAL, "asb", mar), "population"] == 10000.0
    # Gap months (2023-04..2023-12) are not in the table; data months are.
    assert pd.Period("2023-06", "M") not in set(report["month"])
    assert pd.Period("2023-01", "M") in set(report["month"])
    # The earliest months have no year-earlier month in the window.
    first = report["month"].min()
    assert report.loc[report["month"] == first, "count_year_earlier"].isna().all()
    # Invariant: each level sums to the same total per theme and month.
    per_level = report.groupby(["level", "theme", "month"], observed=True)["count"].sum()
    for level in ("borough", "all"):
        pd.testing.assert_series_equal(
            per_level.xs("ward", level="level"),
            per_level.xs(level, level="level"),
            check_names=False,
        )


def test_subset_of_wards(grid_profile):
    in_b2 = grid_profile.wards["borough_code"] == "B2"
    summary = borough_summary(grid_profile.wards[in_b2])
    assert list(summary.index) == ["B2", TOTAL]
    assert summary.loc[TOTAL, "incident_count"] == summary.loc["B2", "incident_count"]
    b2 = grid_profile.select(in_b2.to_numpy())
    pd.testing.assert_frame_equal(borough_summary(b2), summary)
    report = monthly_report(b2)
    assert set(report.loc[report["level"] == "ward", "area_code"]) == {"W01", "W11"}


def test_requires_a_profile():
    with pytest.raises(SntGeoError, match="carries no profile information"):
        borough_summary(pd.DataFrame({"population": [1.0]}))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_borough_counts_match_sjoin(shared_data):
    esri = shared_data / "gla-statistical-gis-boundaries-london/ESRI"
    wards = read_wards(esri / "London_Ward_CityMerged.shp")
    burglary = read_police_uk(
        shared_data / "police-uk-metropolitan-street-burglary-only",
        months=[f"2019-{m:02d}" for m in range(1, 13)],
    )
    demo = read_demographics(
        shared_data / "gla-ward-profiles-2015" / "ward-profiles-excel-version.csv"
    )
    prof = ward_profile(wards, burglary, demographics=demo, period=("2019-07", "2019-12"))
    summary = borough_summary(prof)
    assert len(summary) == 34  # 33 boroughs + TOTAL

    joined = gpd.sjoin(burglary, wards[["borough_code", "geometry"]], predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]  # boundaries: one ward, one borough
    h2 = joined[joined["month"] >= pd.Period("2019-07", "M")]
    h1 = joined[joined["month"] < pd.Period("2019-07", "M")]
    expected = h2.groupby("borough_code").size()
    np.testing.assert_array_equal(
        summary.drop(index=TOTAL)["burglary_count"].to_numpy(),
        expected.reindex(summary.drop(index=TOTAL).index).to_numpy(),
    )
    prev = h1.groupby("borough_code").size().reindex(summary.drop(index=TOTAL).index)
    cur = expected.reindex(prev.index)
    ref = [stats.binomtest(int(c), int(c + p)).pvalue for c, p in zip(cur, prev, strict=True)]
    np.testing.assert_allclose(
        summary.drop(index=TOTAL)["burglary_p_previous"].to_numpy(), ref, rtol=1e-9
    )
    pop = demo["population"].groupby(wards["borough_code"].reindex(demo.index)).sum()
    rate = expected / pop.reindex(expected.index) * 1000
    np.testing.assert_allclose(
        summary.loc[rate.index, "burglary_rate_per_1000"].to_numpy(), rate.to_numpy()
    )
    assert summary.loc[TOTAL, "burglary_count"] == len(h2)

    report = monthly_report(prof)
    boroughs = report[(report["level"] == "borough") & (report["theme"] == "burglary")]
    by_month = joined.groupby(["borough_code", "month"]).size()
    got = boroughs.set_index(["area_code", "month"])["count"]
    np.testing.assert_array_equal(got.to_numpy(), by_month.reindex(got.index).to_numpy())
    assert profile_info(prof).n_months == 6


def test_borough_summary_builds_its_frame_once():
    # The City sample has every crime type: 20+ themes x 2 baselines, well past the ~100 column
    # inserts after which pandas warns that a frame built column by column is fragmented.
    from snt_geo.datasets import load_sample

    sample = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        profile = ward_profile(sample.wards, sample.incidents)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        summary = borough_summary(profile)
    assert summary.columns[:3].tolist() == ["borough_name", "n_wards", "population"]
    assert summary.shape[1] > 100
