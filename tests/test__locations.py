"""snt_geo._locations.group_locations against a brute-force dict grouping."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from snt_geo._locations import distinct_objects, first_rows, group_locations, shared_points


def _brute(*keys):
    seen: dict[tuple, int] = {}
    codes = [
        seen.setdefault(tuple(float(k[i]) + 0.0 for k in keys), len(seen))
        for i in range(len(keys[0]))
    ]
    return np.array(codes), seen


def test_matches_brute_force_first_appearance_order():
    rng = np.random.default_rng(3)
    pts = rng.integers(0, 20, size=(500, 2)).astype(float) * 25.0
    pts[0] = [-0.0, 0.0]
    pts[1] = [0.0, -0.0]  # the same place as row 0
    codes, xy, counts = group_locations(pts[:, 0], pts[:, 1])
    want, seen = _brute(pts[:, 0], pts[:, 1])
    np.testing.assert_array_equal(codes, want)
    np.testing.assert_array_equal(xy, np.array(list(seen))[:, :2])
    np.testing.assert_array_equal(counts, np.bincount(want))
    assert codes[0] == codes[1]
    assert counts.sum() == len(pts)
    np.testing.assert_array_equal(pts[first_rows(codes, len(xy))] + 0.0, xy)


def test_extra_key_splits_groups():
    x = np.array([1.0, 1.0, 1.0, 2.0])
    y = np.array([5.0, 5.0, 5.0, 5.0])
    month = np.array([600, 601, 600, 600])
    codes, xy, counts = group_locations(x, y, month)
    np.testing.assert_array_equal(codes, [0, 1, 0, 2])
    np.testing.assert_array_equal(xy, [[1, 5], [1, 5], [2, 5]])
    np.testing.assert_array_equal(counts, [2, 1, 1])


def test_empty():
    codes, xy, counts = group_locations(np.zeros(0), np.zeros(0))
    assert codes.shape == (0,) and xy.shape == (0, 2) and counts.shape == (0,)


def test_distinct_objects_groups_by_identity_not_by_value():
    a, b = shapely.Point(1, 2), shapely.Point(1, 2)  # equal values, two objects
    geoms = np.array([a, b, a, None, a, b], dtype=object)
    codes, objects = distinct_objects(geoms)
    np.testing.assert_array_equal(codes, [0, 1, 0, 2, 0, 1])
    assert objects[0] is a and objects[1] is b and objects[2] is None
    empty_codes, empty_objects = distinct_objects(np.array([], dtype=object))
    assert empty_codes.shape == (0,) and empty_objects.shape == (0,)


def test_distinct_objects_numbers_groups_by_first_appearance():
    # The addresses are sorted internally; the numbering must still follow the rows, like
    # pandas.factorize on the objects' identities.
    import pandas as pd

    rng = np.random.default_rng(11)
    pool = shapely.points(rng.random((300, 2)))
    picks = rng.integers(0, 300, 4000)
    codes, objects = distinct_objects(pool[picks])
    want, first = pd.factorize(picks)
    np.testing.assert_array_equal(codes, want)
    assert all(objects[i] is pool[p] for i, p in enumerate(first))


@pytest.mark.parametrize("collector_on", [True, False])
def test_shared_points_one_object_per_location_and_collector_restored(collector_on):
    import gc

    xy = np.array([[1.0, 2.0], [3.0, 4.0]])
    was = gc.isenabled()
    try:
        gc.enable() if collector_on else gc.disable()
        points = shared_points(xy, np.array([1, 0, 1, 1]))
        assert gc.isenabled() is collector_on
    finally:
        gc.enable() if was else gc.disable()
    assert points[0] is points[2] is points[3] and points[1] is not points[0]
    np.testing.assert_array_equal(shapely.get_coordinates(points), xy[[1, 0, 1, 1]])
    assert shared_points(xy, np.zeros(0, dtype=np.int64)).shape == (0,)


def test_extra_key_groups_report_signless_zero_coordinates():
    # -0.0 and 0.0 are one place with or without extra keys, and the group's coordinates are 0.0.
    x = np.array([-0.0, 0.0, 1.0])
    y = np.array([0.0, -0.0, 2.0])
    for extra in ((), (np.array([5, 5, 5]),)):
        codes, xy, counts = group_locations(x, y, *extra)
        np.testing.assert_array_equal(codes, [0, 0, 1])
        assert not np.signbit(xy).any()
        np.testing.assert_array_equal(counts, [2, 1])
