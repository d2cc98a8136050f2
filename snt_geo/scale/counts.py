"""Counts whose cost grows with the rows, for a frame in memory or a dask GeoDataFrame.

Each function takes incidents either as a GeoDataFrame (counted here) or as a dask GeoDataFrame
(e.g. :func:`~snt_geo.scale.read_archive_dask`): every partition is counted where it lies and only
the small count tables travel, then they are summed. Both paths run the same partition function,
so they give the same table row for row. The statistics on the aggregated grids (Gi*, KDE) then
run in memory on the counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.extensions import ExtensionArray

from snt_geo._locations import distinct_objects, group_locations
from snt_geo.crs import is_british_national_grid, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage.grid import GridSpec
from snt_geo.profile.assignment import assign_wards
from snt_geo.scale._backend import is_dask_collection

__all__ = ["count_by_ward", "count_by_cell", "count_locations"]


def _keys(part: pd.DataFrame, by: Sequence[str]) -> dict[str, ExtensionArray]:
    """Return the ``by`` columns as cheap group keys: Periods as they are, the rest categorical.

    Rows are never turned into Python objects; only the small count table is, in
    :func:`_grouped`.
    """
    missing = [c for c in by if c not in part.columns]
    if missing:
        raise SchemaError(
            f"`by` names {missing}, which `incidents` does not have; choose from its columns "
            f"(e.g. 'month', 'theme', 'crime_type', 'force')."
        )
    out: dict[str, ExtensionArray] = {}
    for c in by:
        values = part[c]
        if isinstance(values.dtype, pd.PeriodDtype) or values.dtype.kind in "iuf":
            out[c] = values.array
        else:
            out[c] = pd.Categorical(values)
    return out


def _grouped(columns: dict[str, object], keys: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    if len(frame) == 0:
        out = frame.assign(incidents=np.zeros(0, dtype=np.int64))[[*keys, "incidents"]]
    else:
        counts = frame.groupby(keys, dropna=False, sort=False, observed=True).size()
        out = counts.rename("incidents").reset_index()
    for k in keys:
        # Text keys as plain strings (None when missing), so partitions' tables concatenate.
        if isinstance(out[k].dtype, pd.PeriodDtype):
            continue
        if isinstance(out[k].dtype, pd.CategoricalDtype) or out[k].dtype.kind in "OUT":
            text = out[k].astype("string[pyarrow]")
            # pandas-stubs omit None from na_value; pandas takes it (missing -> None).
            out[k] = text.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return out


def _xy(part: gpd.GeoDataFrame) -> np.ndarray:
    """Return EPSG:27700 coordinates per row (NaN without a location).

    GEOS is asked once per shared point object (the readers share one per snap point).
    """
    geoms = to_working_crs(part, argument="incidents", check_bounds=False).geometry.to_numpy()
    codes, objects = distinct_objects(geoms)
    object_xy = np.full((len(objects), 2), np.nan)
    ok = ~(shapely.is_missing(objects) | shapely.is_empty(objects))
    object_xy[ok] = shapely.get_coordinates(objects[ok])
    return object_xy[codes]


def _ward_part(part: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, by: Sequence[str]):
    if len(part) and is_british_national_grid(part.crs) and is_british_national_grid(wards.crs):
        # A partition is usually one force or one month: only the wards its bounding box
        # meets can hold its points (order kept, so the first-ward rule is unchanged).
        xmin, ymin, xmax, ymax = part.total_bounds
        if np.isfinite([xmin, ymin, xmax, ymax]).all():
            wards = wards.cx[xmin:xmax, ymin:ymax]
    columns: dict[str, object] = {"ward_code": pd.Categorical(assign_wards(part, wards))}
    columns.update(_keys(part, by))
    return _grouped(columns, ["ward_code", *by])


def _cell_part(part: gpd.GeoDataFrame, grid: GridSpec, by: Sequence[str]):
    xy = _xy(part)
    row, col = grid.locate(xy[:, 0], xy[:, 1])
    cell = np.where(row >= 0, row * grid.n_cols + col, -1)
    columns: dict[str, object] = {"cell_id": cell}
    columns.update(_keys(part, by))
    return _grouped(columns, ["cell_id", *by])


def _location_part(part: gpd.GeoDataFrame, by: Sequence[str]):
    xy = _xy(part)
    ok = ~np.isnan(xy[:, 0])
    codes, uniq, counts = group_locations(xy[ok, 0], xy[ok, 1])
    if not by:
        return pd.DataFrame({"x": uniq[:, 0], "y": uniq[:, 1], "incidents": counts})
    columns: dict[str, object] = {"x": xy[ok, 0], "y": xy[ok, 1]}
    columns.update({k: v[ok] for k, v in _keys(part, by).items()})
    return _grouped(columns, ["x", "y", *by])


def _run(incidents, fn, args: tuple, keys: list[str]) -> pd.DataFrame:
    """``fn`` on every partition (or the one frame), then the partial counts summed by key."""
    if is_dask_collection(incidents):
        meta = fn(incidents._meta, *args)
        parts = incidents.map_partitions(fn, *args, meta=meta).compute()
    else:
        if not isinstance(incidents, gpd.GeoDataFrame):
            raise TypeError(
                "`incidents` must be a GeoDataFrame or a dask GeoDataFrame (snt_geo.scale."
                f"read_archive_dask); got {type(incidents).__name__}."
            )
        parts = fn(incidents, *args)
    total = parts.groupby(keys, dropna=False, sort=False, observed=True)["incidents"].sum()
    out = total.reset_index()
    out["incidents"] = out["incidents"].astype(np.int64)
    order = np.lexsort([_sortable(out[k]) for k in reversed(keys)])
    return out.iloc[order].reset_index(drop=True)


def _sortable(values: pd.Series) -> np.ndarray:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.array.asi8
    if values.dtype.kind in "if":
        return values.to_numpy()
    return values.astype("string").fillna("\uffff").to_numpy(dtype=object)


def count_by_ward(
    incidents, wards: gpd.GeoDataFrame, *, by: Sequence[str] = ("month", "theme")
) -> pd.DataFrame:
    """Incidents per ward (and per ``by`` keys), from a frame in memory or a dask GeoDataFrame.

    Parameters
    ----------
    incidents
        Incident points with a CRS: a GeoDataFrame, or a dask GeoDataFrame whose partitions are
        counted where they lie.
    wards
        Ward polygons indexed by ward code (as for :func:`snt_geo.profile.assign_wards`).
    by
        Further columns to count by (default ``("month", "theme")``); ``()`` for totals.

    Returns
    -------
    pandas.DataFrame
        ``RangeIndex``; columns ``ward_code`` (None for incidents outside every ward or without a
        location), the ``by`` columns (month as Period, others as text) and ``incidents`` (int64),
        one row per combination that occurs, sorted by those keys. The counts sum to the number of
        incidents.
    """
    by = list(by)
    return _run(incidents, _ward_part, (wards, by), ["ward_code", *by])


def count_by_cell(
    incidents, grid: GridSpec, *, by: Sequence[str] = ("month", "theme")
) -> pd.DataFrame:
    """Incidents per grid cell (and per ``by`` keys), in memory or on dask.

    Parameters
    ----------
    incidents
        As for :func:`count_by_ward`.
    grid
        The grid (:class:`~snt_geo.linkage.GridSpec`, e.g. ``hotspot_grid(...).grid``).
    by
        Further columns to count by; ``()`` for totals.

    Returns
    -------
    pandas.DataFrame
        ``RangeIndex``; ``cell_id`` (``row * n_cols + col``; -1 for incidents outside the grid's
        rectangle or without a location), the ``by`` columns and ``incidents`` (int64), sorted.
    """
    by = list(by)
    return _run(incidents, _cell_part, (grid, by), ["cell_id", *by])


def count_locations(incidents, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Distinct incident locations (police.uk snap points) and the incidents at each.

    Returns
    -------
    pandas.DataFrame
        ``RangeIndex``; ``x``, ``y`` (EPSG:27700 metres), the ``by`` columns and ``incidents``
        (int64), sorted by x, y and the keys. Incidents without a location are not counted.
    """
    by = list(by)
    return _run(incidents, _location_part, (by,), ["x", "y", *by])
