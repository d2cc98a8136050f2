"""Repeat locations: the snap points where incidents recur, as a borough table.

police.uk moves every incident to one of a fixed set of anonymised snap points, so the same
description ("On or near Supermarket") names hundreds of different points across a borough. A
repeat location here is one snap point (its exact coordinates), not a description.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._dates import to_months
from snt_geo._format import format_count
from snt_geo._locations import first_rows, group_locations
from snt_geo._method import MethodRecord
from snt_geo._validate import check_incident_columns, check_whole
from snt_geo.crs import to_working_crs
from snt_geo.io.boundaries import check_wards
from snt_geo.profile.assignment import assign_wards

__all__ = ["REPEAT_COLUMNS", "RepeatsMethod", "find_repeat_locations"]

#: Columns of :func:`find_repeat_locations`'s result, in order (geometry last).
REPEAT_COLUMNS = (
    "borough_code",
    "borough_name",
    "ward_code",
    "ward_name",
    "location",
    "incident_count",
    "months_active",
    "first_month",
    "last_month",
    "main_crime_type",
    "main_crime_share",
    "crime_mix",
    "borough_share",
    "rank_in_borough",
    "geometry",
)


@dataclass(frozen=True, repr=False)
class RepeatsMethod(MethodRecord):
    """What :func:`find_repeat_locations` ran (``frame.attrs["method"]``).

    Attributes
    ----------
    min_count
        Fewest incidents at a snap point for it to be listed.
    top
        Most locations listed per borough (None: all).
    n_incidents
        Incidents in a ward (the boroughs' totals, the denominators of ``borough_share``).
    n_incidents_outside
        Incidents outside every ward or without a location (not counted).
    n_locations
        Distinct snap points with an incident in a ward.
    n_listed
        Rows of the table.
    """

    min_count: int
    top: int | None
    n_incidents: int
    n_incidents_outside: int
    n_locations: int
    n_listed: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        limit = f", the top {self.top} per borough" if self.top else ""
        return (
            f"Repeat locations: the {format_count(self.n_listed)} snap points (exact police.uk "
            f"map points, not location descriptions) with at least {self.min_count} incidents"
            f"{limit}, out of {format_count(self.n_locations)} points with "
            f"{format_count(self.n_incidents)} incidents in the wards; each point's share is of "
            f"its borough's incidents. {format_count(self.n_incidents_outside)} incidents outside "
            "every ward were not counted."
        )


def find_repeat_locations(
    incidents: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    min_count: int = 2,
    top: int | None = None,
) -> gpd.GeoDataFrame:
    """Find the snap points with repeated incidents, per borough, busiest first.

    Parameters
    ----------
    incidents
        The incidents schema (``month``, ``crime_type``; ``location`` when present), point
        geometry with a CRS. Never modified.
    wards
        Polygons indexed by ward code; ``borough_code`` / ``borough_name`` group the wards into
        boroughs (all wards form one group, NA, without them).
    min_count
        Fewest incidents at a point for it to be listed; default 2 (a repeat).
    top
        List at most this many points per borough; default None: all.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``location_id`` (0, 1, ... numbering the snap points by first appearance in
        ``incidents``), ordered by borough then ``incident_count`` descending. Columns
        :data:`REPEAT_COLUMNS`: the point's borough and ward (``ward_name`` when ``wards`` has
        it), ``location`` (the most frequent description at the point), ``incident_count``,
        ``months_active`` (distinct months with an incident), ``first_month``, ``last_month``
        (``pandas.Period``), ``main_crime_type`` and ``main_crime_share`` (its share of the
        point's incidents), ``crime_mix`` (crime types with their counts, most frequent first,
        e.g. ``"Shoplifting 40; Burglary 3"``), ``borough_share`` (the point's share of its
        borough's incidents, 0..1), ``rank_in_borough`` (1 = busiest) and ``geometry`` (the snap
        point, EPSG:27700). ``attrs["method"]`` holds a :class:`RepeatsMethod`.

    Raises
    ------
    SchemaError
        ``incidents`` lacks ``month`` or ``crime_type``.
    ValueError
        ``min_count`` or ``top`` is not a whole number >= 1.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> june = sample.incidents[sample.incidents["month"] == "2023-06"]
    >>> top = find_repeat_locations(june, sample.wards, top=3)
    >>> top[["ward_name", "location", "incident_count"]]
                    ward_name                     location  incident_count
    location_id
    45           Bread Street     On or near Shopping Area              27
    56            Bishopsgate       On or near Bishopsgate              23
    52            Bishopsgate  On or near Liverpool Street              19
    """
    check_whole("min_count", min_count, minimum=1)
    if top is not None:
        check_whole("top", top, minimum=1, hint="Pass None to list every location.")
    check_incident_columns(incidents)
    points = to_working_crs(incidents, argument="incidents", check_bounds=False)
    areas = check_wards(wards)
    ward = assign_wards(points, areas)
    inside = ward.notna().to_numpy()
    rows = points.loc[inside]
    xy = shapely.get_coordinates(rows.geometry.to_numpy())
    codes, coords, counts = group_locations(xy[:, 0], xy[:, 1])
    n_points = len(counts)
    table = _per_point(rows, ward[inside], areas, codes, n_points, counts)
    table["geometry"] = shapely.points(coords)
    totals = table.groupby("borough_code", dropna=False)["incident_count"].transform("sum")
    table["borough_share"] = table["incident_count"] / totals
    table = table[table["incident_count"] >= min_count]
    table = table.sort_values(
        ["borough_code", "incident_count", "months_active"],
        ascending=[True, False, False],
        kind="stable",
        na_position="last",
    )
    table["rank_in_borough"] = table.groupby("borough_code", dropna=False).cumcount() + 1
    if top is not None:
        table = table[table["rank_in_borough"] <= top]
    out = gpd.GeoDataFrame(table[list(REPEAT_COLUMNS)], geometry="geometry", crs=points.crs)
    out.index.name = "location_id"
    out.attrs["method"] = RepeatsMethod(
        min_count=int(min_count),
        top=None if top is None else int(top),
        n_incidents=int(inside.sum()),
        n_incidents_outside=int((~inside).sum()),
        n_locations=n_points,
        n_listed=len(out),
    )
    return out


def _per_point(
    rows: gpd.GeoDataFrame,
    ward: pd.Series,
    areas: gpd.GeoDataFrame,
    codes: np.ndarray,
    n_points: int,
    counts: np.ndarray,
) -> pd.DataFrame:
    """One row per snap point: ward, borough, description, months and crime mix."""
    first = first_rows(codes, n_points)
    ward_codes = ward.astype(object).to_numpy()[first]
    info = areas.reindex(ward_codes)
    table = pd.DataFrame(index=pd.RangeIndex(n_points))
    for col in ("borough_code", "borough_name"):
        values = info[col].to_numpy() if col in info.columns else np.full(n_points, pd.NA)
        table[col] = pd.array(values, dtype="string")
    table["ward_code"] = pd.array(ward_codes, dtype="string")
    names = info["ward_name"].to_numpy() if "ward_name" in info.columns else ward_codes
    table["ward_name"] = pd.array(names, dtype="string")
    table["location"] = _most_frequent(rows, "location", codes, n_points)
    table["incident_count"] = counts
    months = to_months(rows["month"], argument="incidents['month']")
    month_frame = pd.DataFrame({"point": codes, "month": months.asi8})
    month_frame = month_frame[np.asarray(months.notna())]
    by_point = month_frame.groupby("point")["month"]
    table["months_active"] = by_point.nunique().reindex(table.index, fill_value=0).to_numpy()
    for col, agg in (("first_month", "min"), ("last_month", "max")):
        ords = by_point.agg(agg).reindex(table.index)
        table[col] = pd.PeriodIndex(
            [pd.Period(ordinal=int(o), freq="M") if pd.notna(o) else pd.NaT for o in ords],
            freq="M",
        )
    main, share, mix = _crime_mix(rows["crime_type"], codes, counts)
    table["main_crime_type"] = pd.array(main, dtype="string")
    table["main_crime_share"] = share
    table["crime_mix"] = pd.array(mix, dtype="string")
    return table


def _most_frequent(
    rows: pd.DataFrame, column: str, codes: np.ndarray, n_points: int
) -> pd.api.extensions.ExtensionArray:
    if column not in rows.columns:
        return pd.array([pd.NA] * n_points, dtype="string")
    frame = pd.DataFrame({"point": codes, "value": rows[column].astype("string").to_numpy()})
    frame = frame.dropna()
    top = frame.groupby(["point", "value"]).size().sort_values(ascending=False, kind="stable")
    top = top.reset_index().drop_duplicates("point").set_index("point")["value"]
    return pd.array(top.reindex(range(n_points)).to_numpy(), dtype="string")


def _crime_mix(
    types: pd.Series, codes: np.ndarray, counts: np.ndarray
) -> tuple[list[str], np.ndarray, list[str]]:
    frame = pd.DataFrame({"point": codes, "type": types.astype("string").fillna("unknown")})
    per = frame.groupby(["point", "type"]).size().reset_index(name="n")
    per = per.sort_values(["point", "n", "type"], ascending=[True, False, True], kind="stable")
    per["piece"] = per["type"] + " " + per["n"].map(format_count)
    mix = per.groupby("point", sort=True)["piece"].agg("; ".join)
    main = per.drop_duplicates("point").set_index("point")
    n_points = len(counts)
    main_type = main["type"].reindex(range(n_points)).tolist()
    share = main["n"].reindex(range(n_points)).to_numpy(dtype=np.float64) / counts
    return main_type, share, mix.reindex(range(n_points)).tolist()
