"""Repairing invalid polygons on entry, shared by the boundary and estate readers."""

from __future__ import annotations

import numpy as np
import shapely


def repair_polygons(geoms: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """Return ``geoms`` with the ``invalid`` ones made valid, keeping their polygonal part.

    ``shapely.make_valid`` can return collections holding stray lines or points (a bow-tie's
    crossing, a spike); only the polygons are kept, so a ward or estate stays an area. An
    invalid geometry with no polygonal part becomes an empty polygon.
    """
    out = geoms.copy()
    if invalid.any():
        out[invalid] = [_polygonal(g) for g in shapely.make_valid(geoms[invalid])]
    return out


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
