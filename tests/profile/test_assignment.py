import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.errors import CRSError, SchemaError
from snt_geo.profile.assignment import assign_wards


@pytest.fixture
def grid_wards():
    """A 3x3 grid of 100 m wards, codes W00..W22 (row, column)."""
    cells = {
        f"W{r}{c}": shapely.box(
            530000 + 100 * c, 180000 + 100 * r, 530100 + 100 * c, 180100 + 100 * r
        )
        for r in range(3)
        for c in range(3)
    }
    return gpd.GeoDataFrame(geometry=list(cells.values()), index=pd.Index(list(cells)), crs=27700)


def _points(xy, index=None, crs=27700):
    return gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(*zip(*xy, strict=True)), index=index, crs=crs
    )


def test_known_answers_including_boundary_and_outside(grid_wards):
    pts = _points(
        [
            (530050, 180050),
            (530150, 180250),
            (530100, 180050),
            (530100, 180100),
            (529000, 180000),
            (530050, 180050),
        ],
        index=list("abcdef"),
    )
    got = assign_wards(pts, grid_wards)
    # c lies on the W00/W01 edge and d on the corner of four wards: both go to the first ward
    # in `wards` order that touches them.
    assert got.tolist() == ["W00", "W21", "W00", "W00", pd.NA, "W00"]
    assert list(got.index) == list("abcdef")
    assert got.name == "ward_code"


def test_same_answer_in_lonlat(grid_wards):
    pts = _points([(530050, 180050), (530250, 180150), (530150, 180250)])
    got_bng = assign_wards(pts, grid_wards)
    got_ll = assign_wards(pts.to_crs(4326), grid_wards.to_crs(4326))
    assert got_bng.tolist() == got_ll.tolist() == ["W00", "W12", "W21"]


def test_matches_sjoin_on_real_data(shared_data):
    from snt_geo.io import read_police_uk, read_wards

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc = read_police_uk(shared_data / "police-uk-city-of-london/street", months="2019-05")
        wards = read_wards(
            shared_data / "gla-statistical-gis-boundaries-london/ESRI/London_Ward.shp"
        )
    got = assign_wards(inc, wards)
    ref = gpd.sjoin(inc[["geometry"]], wards[["geometry"]], predicate="intersects", how="left")
    # sjoin gives several rows for boundary points: keep the first ward in `wards` order.
    order = pd.Series(np.arange(len(wards)), index=wards.index)
    ref = ref.assign(pos=ref["ward_code"].map(order)).sort_values("pos")
    ref = ref[~ref.index.duplicated()].sort_index()["ward_code"]
    assert got.fillna("-").tolist() == ref.fillna("-").tolist()
    assert got.notna().mean() > 0.9


def test_empty_and_null_geometry(grid_wards):
    empty = _points([(530050, 180050)]).iloc[:0]
    assert len(assign_wards(empty, grid_wards)) == 0
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(530050, 180050), None], crs=27700)
    assert assign_wards(pts, grid_wards).tolist() == ["W00", pd.NA]


def test_errors(grid_wards):
    pts = _points([(530050, 180050)])
    with pytest.raises(CRSError, match="`incidents` has no CRS"):
        assign_wards(pts.set_crs(None, allow_override=True), grid_wards)
    with pytest.raises(SchemaError, match="`wards` must have a unique index"):
        assign_wards(pts, grid_wards.set_axis(["A"] * 9))


def test_many_locations_scanned_in_bands_match_sjoin(grid_wards):
    # Over 50,000 distinct locations per core the wards are scanned in bands of x by several
    # threads; random points (none on an edge) must get exactly sjoin's ward.
    rng = np.random.default_rng(8)
    n = 120_000
    xy = np.column_stack([rng.uniform(529950, 530350, n), rng.uniform(179950, 180350, n)])
    pts = _points(xy)
    got = assign_wards(pts, grid_wards)
    ref = gpd.sjoin(pts, grid_wards, predicate="intersects", how="left")["index_right"]
    assert not ref.index.duplicated().any()
    assert got.fillna("-").tolist() == ref.fillna("-").tolist()
    assert got.isna().sum() > 1000  # some fall outside the grid


def test_ward_positions_follow_assign_wards_rule(grid_wards):
    # Coordinates in, positions out (for the ward profile): the same ward as assign_wards,
    # including points on shared edges and corners and points outside every ward.
    from snt_geo.profile.assignment import ward_positions

    xy = np.array(
        [(530050, 180050), (530100, 180050), (530100, 180100), (529000, 180000), (530250, 180150)]
    )
    got = ward_positions(xy[:, 0], xy[:, 1], grid_wards)
    want = grid_wards.index.get_indexer(assign_wards(_points(xy), grid_wards).fillna("-"))
    np.testing.assert_array_equal(got, want)
    assert got.tolist() == [0, 0, 0, -1, 5]
