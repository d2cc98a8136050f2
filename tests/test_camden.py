"""Camden, June 2019, on the May-2022 Camden wards, end to end (issue 11).

The Camden open-data layout through incidents_from_frame in one call; then the ward profile, Gi*
hot spots, shared priorities and the ASB -> street-crime links, each checked against an
independent computation (geopandas/pandas counts, a brute-force Gi*).
"""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from snt_geo.io import (
    estates_from_frame,
    incidents_from_frame,
    read_deprivation,
    read_report,
    read_wards,
)
from snt_geo.linkage import find_hotspots, flag_shared_priorities, link_asb_to_street_crime
from snt_geo.profile import suggest_priorities, ward_profile

CAMDEN = "camden-street-crime-2019-06/Police_API_Sample_July_2019.csv.gz"
WARDS = "london-wards-2022-camden-lewisham/Wards_May_2022_UK_BFC_V2_Camden.zip"
CAMDEN_COLUMNS = {
    "Persistent ID": "crime_id",
    "Street Name": "location",
    "Outcome Category": "outcome",
    "Service": "reported_by",
}
GROUP = {"robbery": "street_crime", "theft_from_the_person": "street_crime"}
GROUP["anti_social_behaviour"] = "asb"


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def raw(shared_data):
    return pd.read_csv(shared_data / CAMDEN)


@pytest.fixture(scope="module")
def wards(shared_data):
    return _quiet(read_wards, shared_data / WARDS)


@pytest.fixture(scope="module")
def incidents(raw):
    # The one documented call (examples/camden_june_2019.py); 109 Crime IDs repeat (kept, noted).
    with pytest.warns(UserWarning, match="duplicate crime ids 109"):
        return incidents_from_frame(
            raw.rename(columns=CAMDEN_COLUMNS),
            x="Easting",
            y="Northing",
            crs="EPSG:27700",
            date="Epoch",
            dayfirst=False,
            crime_type="Category",
        )


@pytest.fixture(scope="module")
def profile(wards, incidents):
    return _quiet(ward_profile, wards, incidents, period="2019-06")


def _first_ward(points, wards):
    """Independent assignment: the first ward (in wards' order) each point intersects."""
    order = pd.Series(np.arange(len(wards)), index=wards.index)
    joined = gpd.sjoin(points, wards[["geometry"]].rename_axis("w"), predicate="intersects")
    joined["pos"] = order[joined["w"]].to_numpy()
    joined = joined.sort_values("pos", kind="stable")
    return joined[~joined.index.duplicated(keep="first")]


def test_camden_layout_in_one_call(raw, incidents):
    report = read_report(incidents)
    assert report.rows_read == len(raw) == 4075
    assert report.rows_kept == 4075 and report.rows_read == report.rows_kept + sum(
        report.dropped.values()
    )
    assert (incidents["month"] == pd.Period("2019-06", freq="M")).all()
    assert incidents["crime_type"].astype(str).value_counts().to_dict() == (
        raw["Category"].value_counts().to_dict()
    )
    assert (incidents["reported_by"] == "British Transport Police").sum() == 309
    assert incidents["crime_id"].notna().sum() == 4075 - 1161  # ASB and BTP rows have none
    assert (incidents["location"] == raw["Street Name"]).all()
    assert incidents["Ward Code"].nunique() == 18  # police neighbourhood ids, kept, not used
    assert incidents["theme"].notna().all()
    # Easting/Northing used as given (EPSG:27700): no coordinate moves
    np.testing.assert_allclose(incidents.geometry.x, raw["Easting"], atol=1e-6)
    # Longitude/Latitude agree with them to within 2 m (checks the CRS claimed)
    lonlat = gpd.GeoSeries(
        gpd.points_from_xy(raw["Longitude"], raw["Latitude"]), crs="EPSG:4326"
    ).to_crs(27700)
    assert lonlat.distance(incidents.geometry.reset_index(drop=True)).max() < 2.0


def test_profile_counts_match_an_independent_join(wards, incidents, profile):
    joined = _first_ward(incidents, wards)
    prof = profile.wards
    assert prof["incident_count"].sum() == len(joined)
    for theme, types in (
        ("asb", ["Anti-social behaviour"]),
        ("street_crime", ["Robbery", "Theft from the person"]),
        ("robbery", ["Robbery"]),
        ("theft_from_the_person", ["Theft from the person"]),
    ):
        sel = joined[joined["crime_type"].isin(types)]
        expected = sel.groupby("w").size().reindex(prof.index, fill_value=0)
        np.testing.assert_array_equal(prof[f"{theme}_count"], expected, err_msg=theme)
    assert prof["asb_count"].sum() > 700 and prof["robbery_count"].sum() > 100
    assert prof["theft_from_the_person_count"].sum() > 300


def test_gi_star_hotspots_match_brute_force(wards, incidents):
    street = incidents[incidents["theme"] == "street_crime"]
    cells = _quiet(find_hotspots, street, area=wards, cell_size_m=100)
    x = cells["incident_count"].to_numpy(float)
    n = len(x)
    rc = cells[["row", "col"]].to_numpy()
    at = {tuple(p): i for i, p in enumerate(rc)}
    xbar = x.mean()
    s = np.sqrt((x**2).mean() - xbar**2)
    z = np.empty(n)
    for i, (r, c) in enumerate(rc):
        nb = [
            at[(r + dr, c + dc)] for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (r + dr, c + dc) in at
        ]
        w = len(nb)
        z[i] = (x[nb].sum() - xbar * w) / (s * np.sqrt((n * w - w**2) / (n - 1)))
    np.testing.assert_allclose(cells["gi_star_z"].to_numpy(float), z, rtol=1e-9, atol=1e-9)
    assert cells["incident_count"].sum() <= len(street)
    assert (cells["hotspot_class"].astype(str).str.startswith("hot")).sum() > 0


def test_shared_priorities_count_member_themes_in_the_group(wards, profile):
    suggestions = suggest_priorities(profile, n=3)
    shared = flag_shared_priorities(suggestions, wards, statuses=("suggested",), min_wards=3)
    groups = suggestions.assign(group=suggestions["theme"].map(lambda t: GROUP.get(t, t)))
    expected = groups.drop_duplicates(["ward_code", "group"]).groupby("group").size()
    got = shared.themes.set_index("theme")["n_wards"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert set(shared.themes.loc[shared.themes["flagged"], "theme"]) == set(
        expected[expected >= 3].index
    )
    assert "street_crime" in set(shared.themes["theme"])


def test_asb_to_street_crime_links_run(shared_data, incidents):
    imd = _quiet(
        read_deprivation, shared_data / "london-lsoa-imd-2019/ID_2019_for_London_subset.xlsx"
    )
    lsoas = gpd.read_file(
        shared_data / "gla-statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp"
    )
    camden = lsoas[lsoas["LAD11NM"] == "Camden"].set_index("LSOA11CD").join(imd[["imd_decile"]])
    deprived = camden[camden["imd_decile"] <= 2].reset_index()[["LSOA11CD", "LSOA11NM", "geometry"]]
    estates = _quiet(
        estates_from_frame,
        deprived.set_crs("EPSG:27700", allow_override=True),
        name_column="LSOA11NM",
    )
    links = _quiet(link_asb_to_street_crime, incidents, estates, permutations=99, rng=1)
    assert links.method.n_street_clusters > 0
    asb = incidents[incidents["theme"] == "asb"]
    near = gpd.sjoin(
        asb, estates[["geometry"]].rename_axis("e"), predicate="dwithin", distance=100.0
    )
    expected = near.groupby("e").size().reindex(links.estates.index, fill_value=0)
    np.testing.assert_array_equal(links.estates["asb_count_near"], expected)
    assert links.estates["asb_count_near"].sum() > 0
    assert len(links.links) > 0
