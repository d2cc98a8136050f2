"""Tests for snt_geo.linkage.shared_priorities."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import read_wards
from snt_geo.linkage.shared_priorities import (
    SharedPriorities,
    flag_shared_priorities,
    ward_adjacency,
)

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
GLA_WARDS = DATA / "gla-statistical-gis-boundaries-london" / "ESRI" / "London_Ward_CityMerged.shp"

# Camden wards (GLA 2014 boundaries) and two Islington neighbours, checked on the map.
BLOOMSBURY, HOLBORN, KINGS_CROSS = "E05000129", "E05000138", "E05000141"
REGENTS_PARK, HIGHGATE, KILBURN = "E05000142", "E05000137", "E05000140"
CLERKENWELL = "E05000370"  # Islington, touches King's Cross and Holborn
CAMDEN, ISLINGTON = "E09000007", "E09000019"


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return read_wards(GLA_WARDS)


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    rows = [
        # a contiguous block of three Camden wards -> one group, flagged
        (BLOOMSBURY, "street_crime", "active"),
        (HOLBORN, "street_crime", "active"),
        (KINGS_CROSS, "street_crime", "active"),
        # closed: would join the block if it counted
        (REGENTS_PARK, "street_crime", "closed"),
        # held by one ward -> not flagged
        (HIGHGATE, "burglary", "active"),
        # three isolated Camden wards -> flagged theme, three separate groups
        (KILBURN, "drugs", "active"),
        (HIGHGATE, "drugs", "Active "),
        (BLOOMSBURY, "drugs", "active"),
        # a pair across the Camden / Islington boundary
        (KINGS_CROSS, "asb", "active"),
        (CLERKENWELL, "asb", "active"),
    ]
    return pd.DataFrame(rows, columns=["ward_code", "theme", "status"]).assign(
        set_on=pd.Timestamp("2024-01-01"), review_on=pd.Timestamp("2024-07-01"), source="ward panel"
    )


@pytest.fixture(scope="module")
def result(register, wards) -> SharedPriorities:
    return flag_shared_priorities(register, wards)


def _theme(res, borough, theme):
    rows = res.themes[(res.themes["borough"] == borough) & (res.themes["theme"] == theme)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_contiguous_block_is_one_group_and_flagged(result):
    row = _theme(result, CAMDEN, "street_crime")
    assert row["n_wards"] == 3
    assert row["flagged"]
    assert row["n_groups"] == 1 and row["largest_group_wards"] == 3
    assert row["ward_codes"] == (BLOOMSBURY, HOLBORN, KINGS_CROSS)
    assert row["share_of_wards"] == pytest.approx(3 / 18)  # Camden has 18 wards
    groups = result.groups[result.groups["theme"] == "street_crime"]
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["ward_codes"] == (BLOOMSBURY, HOLBORN, KINGS_CROSS)
    assert g["boroughs"] == (CAMDEN,) and not g["cross_borough"]


def test_dissolved_geometry_covers_the_wards(result, wards):
    g = result.groups[result.groups["theme"] == "street_crime"].geometry.iloc[0]
    parts = wards.loc[[BLOOMSBURY, HOLBORN, KINGS_CROSS]].geometry
    assert g.area == pytest.approx(parts.area.sum(), rel=1e-6)
    assert result.groups.crs.to_epsg() == 27700
    assert result.groups.loc[result.groups["theme"] == "street_crime", "area_km2"].iloc[
        0
    ] == pytest.approx(parts.area.sum() / 1e6, rel=1e-6)


def test_closed_priority_does_not_count(result):
    for codes in result.groups["ward_codes"]:
        assert REGENTS_PARK not in codes
    assert dict(result.method.status_counts) == {"active": 9, "closed": 1}
    assert result.method.statuses == ("active",)
    assert result.method.n_active == 9


def test_theme_held_by_one_ward_not_flagged(result):
    row = _theme(result, CAMDEN, "burglary")
    assert row["n_wards"] == 1 and not row["flagged"]


def test_isolated_wards_are_separate_groups(result):
    row = _theme(result, CAMDEN, "drugs")
    # three wards hold it, so the borough theme is flagged, but they are three separate blocks
    assert row["flagged"] and row["n_groups"] == 3 and row["largest_group_wards"] == 1
    groups = result.groups[result.groups["theme"] == "drugs"]
    assert sorted(groups["ward_codes"]) == [(BLOOMSBURY,), (HIGHGATE,), (KILBURN,)]
    assert (groups["n_wards"] == 1).all()


def test_group_across_borough_boundary_says_so(result):
    groups = result.groups[result.groups["theme"] == "asb"]
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["cross_borough"] and g["boroughs"] == (CAMDEN, ISLINGTON)
    assert g["ward_codes"] == (KINGS_CROSS, CLERKENWELL)
    # one ward in each borough: neither borough's theme is flagged at min_wards=3
    assert not _theme(result, CAMDEN, "asb")["flagged"]
    assert not _theme(result, ISLINGTON, "asb")["flagged"]


def test_min_share_flags_by_share(register, wards):
    res = flag_shared_priorities(register, wards, min_wards=None, min_share=0.06)
    assert _theme(res, ISLINGTON, "asb")["flagged"]  # 1 of Islington's 16 wards = 6.25%
    assert not _theme(res, CAMDEN, "asb")["flagged"]  # 1 of Camden's 18 wards = 5.6%
    assert _theme(res, CAMDEN, "street_crime")["flagged"]  # 3 of 18 = 16.7%
    assert res.method.min_wards is None and res.method.min_share == 0.06


def test_queen_adjacency_matches_libpysal(wards):
    graph = pytest.importorskip("libpysal.graph")
    ours = ward_adjacency(wards, adjacency="queen", snap_m=0.0)
    g = graph.Graph.build_contiguity(wards, rook=False)
    adj = g.adjacency.reset_index()
    adj = adj[adj["weight"] > 0]
    pos = pd.Series(np.arange(len(wards)), index=wards.index)
    i, j = pos[adj["focal"]].to_numpy(), pos[adj["neighbor"]].to_numpy()
    ref = {(min(a, b), max(a, b)) for a, b in zip(i, j, strict=True)}
    ours_set = {tuple(p) for p in ours.tolist()}
    # exact intersection vs libpysal's shared-vertex rule: one pair meets without a shared vertex
    assert ref <= ours_set
    assert len(ours_set - ref) <= 1
    # the 1 m snapping tolerance adds only pairs separated by a gap of under 1 m
    snapped = {tuple(p) for p in ward_adjacency(wards, snap_m=1.0).tolist()}
    geoms = wards.geometry.to_numpy()
    for a, b in snapped - ours_set:
        assert 0 < shapely.distance(geoms[a], geoms[b]) <= 1.0
    assert len(snapped - ours_set) >= 1  # the real file has such gaps


def test_rook_adjacency_against_libpysal(wards):
    graph = pytest.importorskip("libpysal.graph")
    ours = {tuple(p) for p in ward_adjacency(wards, adjacency="rook").tolist()}
    g = graph.Graph.build_contiguity(wards, rook=True)
    adj = g.adjacency.reset_index()
    adj = adj[adj["weight"] > 0]
    pos = pd.Series(np.arange(len(wards)), index=wards.index)
    ref = {
        (min(a, b), max(a, b)) for a, b in zip(pos[adj["focal"]], pos[adj["neighbor"]], strict=True)
    }
    geoms = wards.geometry.to_numpy()
    # libpysal counts any two shared vertices as an edge; we ask for more than 10 m of shared
    # boundary. Every disagreement must be a pair whose shared boundary is under 10 m.
    for a, b in ref ^ ours:
        shared = shapely.intersection(geoms[a].boundary, geoms[b].boundary.buffer(1.0)).length
        assert shared <= 10.0
    assert len(ref ^ ours) < 0.01 * len(ref)


def test_rook_excludes_corner_touch():
    # 2x2 grid: diagonal wards meet at one point
    geoms = [
        box(0, 0, 100, 100),
        box(100, 0, 200, 100),
        box(0, 100, 100, 200),
        box(100, 100, 200, 200),
    ]
    w = gpd.GeoDataFrame(
        {"borough_code": "B"},
        geometry=geoms,
        crs="EPSG:27700",
        index=pd.Index(list("ABCD"), name="ward_code"),
    )
    queen = ward_adjacency(w).tolist()
    rook = ward_adjacency(w, adjacency="rook").tolist()
    assert queen == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    assert rook == [[0, 1], [0, 2], [1, 3], [2, 3]]
    reg = pd.DataFrame({"ward_code": ["A", "D"], "theme": "asb", "status": "active"})
    assert len(flag_shared_priorities(reg, w, adjacency="queen").groups) == 1
    assert len(flag_shared_priorities(reg, w, adjacency="rook").groups) == 2


def test_gap_between_wards_bridged_by_snap():
    w = gpd.GeoDataFrame(
        {"borough_code": "B"},
        geometry=[box(0, 0, 100, 100), box(100.4, 0, 200, 100)],
        crs="EPSG:27700",
        index=pd.Index(["A", "B"], name="ward_code"),
    )
    reg = pd.DataFrame({"ward_code": ["A", "B"], "theme": "asb"})
    assert len(flag_shared_priorities(reg, w, snap_m=1.0).groups) == 1
    assert len(flag_shared_priorities(reg, w, snap_m=0.0).groups) == 2


def test_wgs84_wards_give_same_answer(register, wards, result):
    res = flag_shared_priorities(register, wards.to_crs("EPSG:4326"))
    pd.testing.assert_frame_equal(res.themes, result.themes)
    pd.testing.assert_series_equal(res.groups["ward_codes"], result.groups["ward_codes"])
    assert res.groups.crs.to_epsg() == 27700


def test_row_order_does_not_matter(register, wards, result):
    shuffled = register.sample(frac=1, random_state=3).set_axis([5] * len(register))
    res = flag_shared_priorities(shuffled, wards.sample(frac=1, random_state=4))
    pd.testing.assert_frame_equal(res.themes, result.themes)
    pd.testing.assert_frame_equal(
        pd.DataFrame(res.groups.drop(columns=["geometry", "area_km2"])),
        pd.DataFrame(result.groups.drop(columns=["geometry", "area_km2"])),
    )


def test_no_status_column_counts_every_row_and_duplicates_once(wards):
    reg = pd.DataFrame(
        {"ward_code": [BLOOMSBURY, BLOOMSBURY, HOLBORN, KINGS_CROSS], "theme": "robbery"}
    )
    res = flag_shared_priorities(reg, wards)
    assert res.method.status_column_present is False
    assert res.method.n_duplicates == 1
    row = _theme(res, CAMDEN, "street_crime")  # robbery counts in its parent's group
    assert row["n_wards"] == 3 and row["flagged"]
    assert row["member_themes"] == ("robbery",)


def test_unknown_ward_codes_warn_and_are_listed(wards):
    reg = pd.DataFrame({"ward_code": [BLOOMSBURY, "E05999999"], "theme": "asb", "status": "active"})
    with pytest.warns(UserWarning, match="ward codes not in `wards`"):
        res = flag_shared_priorities(reg, wards)
    assert res.method.unknown_ward_codes == ("E05999999",)
    assert res.themes["n_wards"].sum() == 1


def test_empty_register(wards):
    reg = pd.DataFrame({"ward_code": [], "theme": [], "status": []})
    res = flag_shared_priorities(reg, wards)
    assert len(res.themes) == 0 and len(res.groups) == 0
    assert list(res.groups.columns) == [
        "theme",
        "ward_codes",
        "n_wards",
        "boroughs",
        "cross_borough",
        "area_km2",
        "geometry",
    ]
    assert "Shared priorities" in res._repr_html_()


def test_all_closed_register(wards):
    reg = pd.DataFrame({"ward_code": [BLOOMSBURY], "theme": ["asb"], "status": ["closed"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = flag_shared_priorities(reg, wards)
    assert len(res.themes) == 0 and res.method.n_active == 0


def test_result_is_frozen_and_renders(result):
    with pytest.raises(AttributeError):
        result.themes = None  # type: ignore[misc]
    html = result._repr_html_()
    assert "street_crime" in html and "queen" in html
    assert result.to_frame().equals(result.themes)
    assert result.to_frame() is not result.themes
    assert set(result.flagged["theme"]) == {"street_crime", "drugs"}
    assert result.method.min_wards == 3 and result.method.snap_m == 1.0
    assert result.themes.attrs["method"] is result.method
    assert "at least 3 wards hold it" in result.method.describe()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_wards": 0}, "`min_wards` must be a positive whole number"),
        ({"min_wards": 2.5}, "`min_wards` must be a positive whole number"),
        ({"min_share": 1.5}, r"`min_share` must be a fraction in \(0, 1\]"),
        ({"min_wards": None}, "give at least one rule"),
        ({"adjacency": "bishop"}, "`adjacency` must be 'queen' or 'rook'; got 'bishop'"),
        ({"snap_m": -1}, "`snap_m` must be a non-negative number of metres; got -1"),
    ],
)
def test_bad_options_raise(register, wards, kwargs, match):
    with pytest.raises(ValueError, match=match):
        flag_shared_priorities(register, wards, **kwargs)


def test_schema_errors(register, wards):
    with pytest.raises(SchemaError, match="missing column 'theme'"):
        flag_shared_priorities(register.drop(columns="theme"), wards)
    with pytest.raises(SchemaError, match="borough_code"):
        flag_shared_priorities(register, wards.drop(columns="borough_code"))
    with pytest.raises(SchemaError, match="not unique"):
        flag_shared_priorities(register, pd.concat([wards, wards.iloc[:1]]))
    with pytest.raises(TypeError, match="`priorities` must be a DataFrame"):
        flag_shared_priorities([1, 2], wards)


def test_wards_without_crs_raise(register, wards):
    with pytest.raises(CRSError, match="`wards` has no CRS"):
        flag_shared_priorities(register, wards.set_crs(None, allow_override=True))


def test_suggested_priorities_counted_on_request(register, wards):
    suggested = register.assign(status="suggested")
    with pytest.warns(UserWarning, match=r"statuses=\('suggested',\)"):
        none = flag_shared_priorities(suggested, wards)
    assert len(none.themes) == 0
    res = flag_shared_priorities(suggested, wards, statuses=("suggested",))
    # every row counts now, including the one that was closed (Regent's Park joins the block)
    row = _theme(res, CAMDEN, "street_crime")
    assert row["n_wards"] == 4 and row["ward_codes"][-1] == REGENTS_PARK
    assert res.method.statuses == ("suggested",)
    both = flag_shared_priorities(
        pd.concat([register, suggested.iloc[:1]]), wards, statuses=("active", "Suggested")
    )
    assert _theme(both, CAMDEN, "street_crime")["n_wards"] == 3  # duplicate ward counted once
    with pytest.raises(ValueError, match="`statuses` must be a tuple of status names"):
        flag_shared_priorities(register, wards, statuses="active")


@pytest.fixture(scope="module")
def headless_chromium():
    """A headless Chromium with the network blocked (fails in CI if missing, else skips)."""
    import os
    import shutil
    import tempfile

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - depends on the environment
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"selenium missing in CI: {exc}")
        pytest.skip(f"selenium missing: {exc}")
    binary = next(
        (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None
    )
    driver_path = os.environ.get("SNT_CHROMEDRIVER", "/usr/bin/chromedriver")
    if binary is None or not Path(driver_path).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium or chromedriver missing in CI")
        pytest.skip("Chromium or chromedriver missing")
    profile = tempfile.mkdtemp(prefix="snt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_repr_html_renders_in_browser(register, wards, headless_chromium, tmp_path):
    evil = "<img src=x onerror=\"document.title='pwned'\">"
    reg = pd.concat(
        [register, pd.DataFrame({"ward_code": [HIGHGATE], "theme": [evil], "status": ["active"]})]
    )
    res = flag_shared_priorities(reg, wards)
    page = tmp_path / "shared.html"
    page.write_text(f"<html><head><title>ok</title></head><body>{res._repr_html_()}</body></html>")
    headless_chromium.get(page.as_uri())
    tables = headless_chromium.find_elements("tag name", "table")
    assert len(tables) == 2
    theme_rows = tables[0].find_elements("css selector", "tbody tr")
    group_rows = tables[1].find_elements("css selector", "tbody tr")
    assert len(theme_rows) == len(res.themes) and len(group_rows) == len(res.groups)
    assert headless_chromium.find_elements("tag name", "img") == []  # the theme name is escaped
    assert headless_chromium.title == "ok"
    assert evil in tables[0].text
