"""Assigning incidents to the ward (or any area) they fall in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo.crs import to_working_crs

__all__ = ["assign_wards"]


def assign_wards(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """The ward each incident falls in.

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
    areas = to_working_crs(wards, argument="wards", check_bounds=False)
    if not areas.index.is_unique:
        from snt_geo.errors import SchemaError

        raise SchemaError(
            "`wards` must have a unique index (ward codes); use snt_geo.io.read_wards or "
            "wards.set_index('ward_code')."
        )
    geom = pts.geometry.to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    position = np.full(len(pts), -1, dtype=np.int64)
    if ok.any():
        xy = shapely.get_coordinates(geom[ok])
        # Distinct locations via complex128 hashing (much faster than np.unique(axis=0)).
        inverse, uniq = pd.factorize(xy[:, 0] + 1j * xy[:, 1])
        # Index the points and query with the polygons: shapely prepares the *query* geometry, so
        # each ward polygon is prepared once (querying points against a polygon tree instead
        # tests every candidate point against an unprepared polygon, several times slower).
        tree = shapely.STRtree(shapely.points(uniq.real, uniq.imag))
        area_idx, pt_idx = tree.query(areas.geometry.to_numpy(), predicate="intersects")
        best = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, pt_idx, area_idx)
        best[best == np.iinfo(np.int64).max] = -1
        position[ok] = best[inverse]
    labels = areas.index.to_numpy()
    codes = pd.array(np.where(position >= 0, labels[np.maximum(position, 0)], None), dtype="string")
    return pd.Series(codes, index=incidents.index, name="ward_code")
