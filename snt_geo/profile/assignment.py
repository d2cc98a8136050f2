"""Assigning incidents to the ward (or any area) they fall in."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from snt_geo._locations import distinct_objects, group_locations
from snt_geo.crs import to_working_crs
from snt_geo.io.boundaries import check_wards

__all__ = ["assign_wards"]


def assign_wards(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Return the ward each incident falls in.

    Parameters
    ----------
    incidents
        Points (the incidents schema, or any point GeoDataFrame with a CRS).
    wards
        Polygons indexed by ward code (the wards schema, or any polygons with a unique index).

    Returns
    -------
    pandas.Series
        Named ``ward_code``, indexed like ``incidents``, holding the ward code (the index label of
        ``wards``), or NA for an incident outside every ward or with no geometry.

    Notes
    -----
    A point on a boundary shared by several wards (police.uk snap points often lie on the street
    that divides two wards) is assigned to exactly one of them: the ward that comes first in the
    order of ``wards``. Each distinct location is looked up once, so repeated snap points cost
    nothing extra.
    """
    pts = to_working_crs(incidents, argument="incidents", check_bounds=False)
    areas = check_wards(wards)
    x, y, inverse = _distinct_points(pts.geometry.to_numpy())
    best = _first_polygon(x, y, areas.geometry.to_numpy())
    position = np.where(inverse >= 0, best[np.maximum(inverse, 0)], -1)
    labels = pa.array(areas.index.astype("string").to_numpy(dtype=object), pa.string())
    codes = labels.take(pa.array(position, mask=position < 0))
    return pd.Series(
        pd.array(codes, dtype=pd.StringDtype("pyarrow")), index=incidents.index, name="ward_code"
    )


def ward_positions(x: np.ndarray, y: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Return the position in ``wards`` of the ward each point falls in (-1: none).

    The rule of :func:`assign_wards`, for EPSG:27700 coordinates and ``wards`` already in
    EPSG:27700: for callers that hold distinct coordinates (the ward profile), so no point
    objects are built.
    """
    return _first_polygon(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), wards.geometry.to_numpy()
    )


def _distinct_points(geom: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of the distinct locations and, per row, its location (-1: no point).

    Readers share one shapely object among the incidents at a snap point, so rows are first
    grouped by object identity (cheap) and GEOS is asked only once per object; objects that
    hold the same coordinates are then merged by exact (x, y) (complex128 hashing).
    """
    n = len(geom)
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    obj_codes, objects = distinct_objects(geom)
    ok = ~(shapely.is_missing(objects) | shapely.is_empty(objects))
    xy = np.full((len(objects), 2), np.nan)
    xy[ok] = shapely.get_coordinates(objects[ok])
    loc_codes, uniq, _ = group_locations(xy[ok, 0], xy[ok, 1])
    per_object = np.full(len(objects), -1, dtype=np.int64)
    per_object[ok] = loc_codes
    return uniq[:, 0].copy(), uniq[:, 1].copy(), per_object[obj_codes]


def _first_polygon(x: np.ndarray, y: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Position of the first polygon (in order) that intersects each point; -1 for none.

    Each polygon is prepared once and tested with ``shapely.intersects_xy`` against the points
    still unassigned inside its bounding box, found by binary search on the points sorted by x.
    ``STRtree.query(points, predicate=...)`` would prepare the points instead and walk a whole ward
    boundary per test: about 5x slower on London's wards. GEOS runs outside the GIL, so large
    inputs are cut into bands of x, one per core, each scanned by its own thread; a point's answer
    never depends on another point, so the result is the same.
    """
    position = np.full(len(x), -1, dtype=np.int64)
    if not len(x) or not len(polygons):
        return position
    order = np.argsort(x)  # the order among equal x does not matter: each point is tested alone
    xs, ys = x[order], y[order]
    polys = shapely.from_wkb(shapely.to_wkb(polygons))  # private copies: never prepare the input
    valid = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    shapely.prepare(polys[valid])
    bounds = shapely.bounds(polys)
    lo_all = np.searchsorted(xs, bounds[:, 0], side="left")
    hi_all = np.searchsorted(xs, bounds[:, 2], side="right")
    found = np.full(len(xs), -1, dtype=np.int64)

    def scan(band: tuple[int, int]) -> None:
        start, stop = band
        for i in np.flatnonzero(valid):
            lo, hi = max(lo_all[i], start), min(hi_all[i], stop)
            if lo >= hi:
                continue
            yy = ys[lo:hi]
            inside = (yy >= bounds[i, 1]) & (yy <= bounds[i, 3]) & (found[lo:hi] < 0)
            cand = lo + np.flatnonzero(inside)
            if len(cand):
                found[cand[shapely.intersects_xy(polys[i], xs[cand], ys[cand])]] = i

    workers = min(os.cpu_count() or 1, len(xs) // _POINTS_PER_THREAD)
    cuts = np.linspace(0, len(xs), max(workers, 1) + 1).astype(np.int64)
    bands = list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))
    if len(bands) == 1:
        scan(bands[0])
    else:
        with ThreadPoolExecutor(max_workers=len(bands)) as pool:
            list(pool.map(scan, bands))
    position[order] = found
    return position


#: Below this many distinct locations per core, one thread scans them all.
_POINTS_PER_THREAD = 50_000
