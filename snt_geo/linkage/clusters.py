"""Incident clusters: which incidents belong together, and whose wards they fall in.

:func:`cluster_incidents` labels incidents with DBSCAN (spatial or space-time) or HDBSCAN;
:func:`summarise_clusters` turns the labels into one row per cluster with a hull polygon, its
crime-type and theme mix, its months, its density and the wards it touches.

police.uk snaps every incident to one of a fixed set of map points, so many incidents share
coordinates (a year of Met burglary has about 2.2 incidents per distinct location). Both
clustering methods work on the distinct locations with incident counts as weights, which gives
exactly the answer of running them on every incident (see the Notes of :func:`cluster_incidents`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._dates import to_months
from snt_geo._format import format_count, format_number
from snt_geo._locations import first_rows, group_locations
from snt_geo._method import MethodRecord
from snt_geo._validate import check_choice, check_positive
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage._dbscan import _dbscan_from_pairs, _dbscan_weighted, _space_time_pairs
from snt_geo.linkage._hdbscan import _hdbscan_weighted
from snt_geo.themes import DEFAULT_THEMES

__all__ = [
    "CLUSTER_COLUMNS",
    "MIN_HULL_RADIUS_M",
    "ClusterMethod",
    "ClusterSummaryMethod",
    "cluster_incidents",
    "summarise_clusters",
]

#: Days per month used to turn ``window_months`` into days when incidents carry exact dates
#: (the mean Gregorian month, 365.2425 / 12).
DAYS_PER_MONTH = 365.2425 / 12

#: Radius (metres) of the smallest hull polygon: a cluster whose hull is a point, a line or a
#: polygon thinner than this is buffered to it, so every cluster has a valid, non-empty area.
MIN_HULL_RADIUS_M = 25.0

#: Columns of :func:`summarise_clusters` output, in order (geometry last).
CLUSTER_COLUMNS = (
    "incident_count",
    "location_count",
    "crime_type_counts",
    "theme_mix",
    "dominant_theme",
    "dominant_theme_share",
    "first_month",
    "last_month",
    "area_km2",
    "density_per_km2",
    "hull_kind",
    "wards",
    "ward_shares",
    "boroughs",
    "borough_shares",
    "outside_wards",
    "geometry",
)

_METHODS = ("dbscan", "hdbscan")


@dataclass(frozen=True, repr=False)
class ClusterMethod(MethodRecord):
    """What :func:`cluster_incidents` ran (``labels.attrs["method"]``).

    Attributes
    ----------
    method
        ``"dbscan"`` or ``"hdbscan"``.
    distance_m, min_incidents, window_months, min_cluster_size
        The options as used (``min_cluster_size`` is HDBSCAN's, defaulting to ``min_incidents``).
    time_basis
        Space-time DBSCAN: ``"month"`` or ``"date"``; None for space only.
    n_incidents, n_locations, incidents_per_location
        Incidents clustered, distinct points (or point-times) clustered, and their ratio.
    n_clusters, n_noise
        Clusters found and incidents in none (label -1).
    """

    method: str
    distance_m: float | None
    min_incidents: int
    window_months: float | None
    min_cluster_size: int | None
    time_basis: str | None
    n_incidents: int
    n_locations: int
    incidents_per_location: float
    n_clusters: int
    n_noise: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        if self.method == "dbscan":
            what = (
                f"DBSCAN (Ester et al. 1996): clusters of at least {self.min_incidents} incidents "
                f"within {self.distance_m:g} m of a core incident"
            )
            if self.window_months is not None:
                what += (
                    f" and at most {self.window_months:g} months apart (space-time, compared by "
                    f"{self.time_basis})"
                )
        else:
            what = (
                "HDBSCAN (Campello, Moulavi & Sander 2013): clusters of at least "
                f"{self.min_cluster_size} incidents, core distances over {self.min_incidents} "
                "incidents"
            )
        return (
            f"{what}. {format_count(self.n_incidents)} incidents at "
            f"{format_count(self.n_locations)} distinct locations "
            f"({format_number(self.incidents_per_location)} per location) gave "
            f"{format_count(self.n_clusters)} clusters; {format_count(self.n_noise)} incidents "
            "are in no cluster."
        )


@dataclass(frozen=True, repr=False)
class ClusterSummaryMethod(MethodRecord):
    """What :func:`summarise_clusters` ran (``frame.attrs["method"]``).

    Attributes
    ----------
    clustering
        The labels' :class:`ClusterMethod`, or None for labels from elsewhere.
    hull, min_hull_radius_m
        Hull kind (``"convex"``) and the smallest hull radius in metres.
    """

    clustering: ClusterMethod | None
    hull: str
    min_hull_radius_m: float

    def describe(self) -> str:
        """One paragraph for a method note."""
        first = "" if self.clustering is None else self.clustering.describe() + " "
        return (
            f"{first}Each cluster is drawn as the {self.hull} hull of its incidents, buffered to "
            f"at least {self.min_hull_radius_m:g} m."
        )


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _incident_xy(incidents: gpd.GeoDataFrame, *, argument: str = "incidents") -> np.ndarray:
    pts = to_working_crs(incidents, argument=argument, check_bounds=False)
    geom = pts.geometry.to_numpy()
    bad = shapely.is_missing(geom) | shapely.is_empty(geom)
    if bad.any():
        first = pts.index[np.flatnonzero(bad)[0]]
        raise SchemaError(
            f"`{argument}` has {int(bad.sum())} rows without a point geometry (e.g. row "
            f"{first!r}); drop them first, e.g. `{argument}[~{argument}.geometry.is_empty & "
            f"{argument}.geometry.notna()]`."
        )
    kinds = shapely.get_type_id(geom)
    if len(geom) and not (kinds == 0).all():
        kind = shapely.GeometryType(int(kinds[kinds != 0][0])).name
        raise SchemaError(
            f"`{argument}` must hold points; found {kind} geometries. Use their centroids "
            "(`frame.geometry.centroid`) if that is meant."
        )
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        raise SchemaError(f"`{argument}` has points with non-finite coordinates; drop them first.")
    return xy


def _months_of(incidents: pd.DataFrame, *, argument: str = "incidents") -> pd.PeriodIndex:
    if "month" not in incidents.columns:
        raise SchemaError(
            f"`{argument}` has no `month` column, which space-time clustering needs; read it "
            "with snt_geo.io.read_police_uk or incidents_from_frame(..., month=...)."
        )
    return to_months(incidents["month"], argument=f"{argument}['month']", allow_missing=False)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def cluster_incidents(
    incidents: gpd.GeoDataFrame,
    *,
    method: str = "dbscan",
    distance_m: float | None = None,
    min_incidents: int = 5,
    window_months: float | None = None,
    min_cluster_size: int | None = None,
) -> pd.Series:
    """Label incidents with the cluster they belong to.

    Parameters
    ----------
    incidents
        Points with a CRS (the incidents schema from :mod:`snt_geo.io`, or any point
        GeoDataFrame). Reprojected to EPSG:27700; never modified. For DBSCAN, row order changes
        only the cluster numbers and which cluster a border incident within reach of two
        clusters joins, exactly as it does in scikit-learn.
    method
        ``"dbscan"`` (default): density-based clusters at a fixed distance, exactly
        ``sklearn.cluster.DBSCAN(eps=distance_m, min_samples=min_incidents)`` on the EPSG:27700
        coordinates, optionally in space-time (``window_months``). ``"hdbscan"``: the semantics
        of ``sklearn.cluster.HDBSCAN(min_cluster_size=min_cluster_size,
        min_samples=min_incidents)`` (same spanning tree; ties can be broken differently, see
        Notes); no distance needed, ``distance_m`` and ``window_months`` must be None.
    distance_m
        DBSCAN neighbourhood radius in metres (a neighbour may be exactly this far away), e.g.
        100. Required for ``"dbscan"``; leave None for ``"hdbscan"``.
    min_incidents
        DBSCAN: incidents within ``distance_m`` (the incident itself included) that make an
        incident a core incident. HDBSCAN: ``min_samples`` (the neighbour count that sets core
        distances, the incident itself included). Default 5.
    window_months
        Space-time DBSCAN: two incidents are neighbours only when they are also at most this many
        months apart. Months are compared as whole calendar months (police.uk dates are months:
        January and March are 2 months apart). When ``incidents`` has a ``date`` column
        (datetime, e.g. from ``incidents_from_frame(..., date=...)``) exact dates are used
        instead: at most ``window_months * 365.2425 / 12`` days apart. None (default): space only.
    min_cluster_size
        HDBSCAN only: the smallest group of incidents that counts as a cluster; default
        ``min_incidents``.

    Returns
    -------
    pandas.Series
        Integer labels named ``cluster``, indexed like ``incidents``: 0, 1, ... for clusters and
        -1 for noise. ``attrs["method"]`` is a :class:`ClusterMethod` recording what ran
        (options, ``time_basis``, distinct locations, clusters and noise).

    Raises
    ------
    ValueError
        An unknown ``method`` or a non-positive ``distance_m`` / ``min_incidents`` /
        ``window_months`` / ``min_cluster_size``.
    SchemaError
        Rows without a point geometry; ``window_months`` without a ``month`` column.
    CRSError
        ``incidents`` has no CRS.

    Notes
    -----
    *DBSCAN* (Ester et al. 1996). Incidents at one location have identical neighbourhoods, so
    clustering the distinct locations with incident counts as weights is exact (scikit-learn's
    ``sample_weight``). Neighbours are found on a grid of cells of side just under
    ``distance_m / sqrt(2)`` (any two points in a cell are neighbours; a cell holding
    ``min_incidents`` incidents is all core), clusters are connected components of core points
    joined cell by cell (Gunawan 2013; de Berg, Gunawan & Roeloffzen 2019), and point pairs are
    examined in bounded batches, so memory does not grow with the number of neighbours. Distances
    are compared as ``dx*dx + dy*dy <= distance_m**2``, scikit-learn's arithmetic. Cluster numbers
    follow scikit-learn: clusters are numbered in the order of their first core incident in
    ``incidents``, and a border incident (within ``distance_m`` of core incidents of several
    clusters) joins the lowest-numbered one, which is the cluster scikit-learn's expansion reaches
    first. The labels therefore equal ``DBSCAN(...).fit_predict(xy)`` exactly, not only up to
    renumbering.

    *Space-time DBSCAN* (Birant & Kut 2007): neighbours must satisfy both the distance and the
    time window; the rest is DBSCAN as above (core weights count incidents at the same location
    and time unit). Neighbour pairs are listed in full, so memory grows with their number; it is
    meant for a borough-year of incidents rather than millions.

    *HDBSCAN* (Campello, Moulavi & Sander 2013; McInnes & Healy 2017). The minimum spanning tree
    of the mutual reachability distance ``max(core_i, core_j, d_ij)`` is computed over the
    distinct locations from a candidate graph that provably contains one: the pairs within twice
    either point's core distance, plus the Delaunay edges of each level set
    ``{core distance <= t}`` for t doubling from the smallest positive core distance.
    (A pair with ``d_ij > 2 * max(core_i, core_j)`` has a level t in ``[max core, d_ij]``; if it
    is not a Gabriel edge of that level set, a point of the set inside its diametral circle gives
    two shorter links of no greater reachability, and by induction a path of no greater
    reachability exists.) Incidents sharing a location are chained at that location's core
    distance, which gives the row-level tree; scikit-learn's own condensed-tree and
    excess-of-mass routines (``sklearn.cluster._hdbscan``) then produce the labels, so cluster
    selection is scikit-learn's. The tree's total weight equals scikit-learn's exactly (tested),
    but mutual reachability has many equal weights (every edge of a sparse point weighs its core
    distance), so the tree is not unique, and HDBSCAN's labels depend on which tied tree is
    used: scikit-learn's own labels change when the rows are permuted (adjusted Rand index 0.97
    between two row orders of 8,000 Met burglary points). Labels here can differ from
    scikit-learn's by that much; they do not depend on row order, except for cluster numbers.
    """
    method, distance_m, min_incidents, min_cluster_size = _check_options(
        method, distance_m, min_incidents, window_months, min_cluster_size
    )
    xy = _incident_xy(incidents)
    n_rows = len(xy)
    t, window, time_basis = _time_key(incidents, window_months)
    if t is None:
        row_to_group, _, weight = group_locations(xy[:, 0], xy[:, 1])
    else:
        row_to_group, _, weight = group_locations(xy[:, 0], xy[:, 1], t)
    if method == "hdbscan":
        # HDBSCAN's tree has ties, so the locations' order can pick the tree: number them by
        # coordinates rather than by first appearance, so that row order does not matter.
        row_to_group, weight = _sort_groups(xy, row_to_group, weight)
    first_row = first_rows(row_to_group, len(weight))
    ux, uy = xy[first_row, 0], xy[first_row, 1]

    if n_rows == 0:
        out = np.empty(0, dtype=np.int64)
    elif distance_m is not None and t is None:  # DBSCAN (a distance is required for it)
        loc_labels, _ = _dbscan_weighted(ux, uy, weight, first_row, distance_m, min_incidents)
        out = loc_labels[row_to_group]
    elif distance_m is not None and t is not None:  # space-time DBSCAN
        i, j = _space_time_pairs(ux, uy, t[first_row], distance_m, window)
        loc_labels = _dbscan_from_pairs(len(weight), i, j, weight, first_row, min_incidents)
        out = loc_labels[row_to_group]
    else:
        if n_rows < max(min_incidents, 2):
            raise ValueError(
                f'method="hdbscan" needs at least `min_incidents` ({min_incidents}) and 2 '
                f"incidents; got {n_rows}."
            )
        out = _hdbscan_weighted(
            np.column_stack([ux, uy]),
            weight,
            first_row,
            row_to_group,
            min_cluster_size or min_incidents,
            min_incidents,
        )
    labels = pd.Series(out.astype(np.int64), index=incidents.index, name="cluster")
    n_loc = len(weight)
    labels.attrs["method"] = ClusterMethod(
        method=method,
        distance_m=distance_m,
        min_incidents=min_incidents,
        window_months=None if window_months is None else float(window_months),
        min_cluster_size=min_cluster_size,
        time_basis=time_basis,
        n_incidents=n_rows,
        n_locations=n_loc,
        incidents_per_location=float(n_rows / n_loc) if n_loc else float("nan"),
        n_clusters=len(np.unique(out[out >= 0])),
        n_noise=int((out < 0).sum()),
    )
    return labels


def _sort_groups(
    xy: np.ndarray, row_to_group: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Renumber location groups in (x, y) order; returns the new codes and weights."""
    first = first_rows(row_to_group, len(weight))
    order = np.lexsort((xy[first, 1], xy[first, 0]))
    new_code = np.empty(len(order), dtype=np.int64)
    new_code[order] = np.arange(len(order), dtype=np.int64)
    return new_code[row_to_group], weight[order]


def _check_options(
    method: object,
    distance_m: float | None,
    min_incidents: object,
    window_months: float | None,
    min_cluster_size: object,
) -> tuple[str, float | None, int, int | None]:
    """Return the options of :func:`cluster_incidents`, checked: method, distance, counts."""
    check_choice("method", method, _METHODS)
    min_incidents = int(check_positive("min_incidents", min_incidents, integer=True))
    if method == "dbscan":
        if distance_m is None:
            raise ValueError('`distance_m` is required for method="dbscan"; e.g. distance_m=100.')
        distance_m = check_positive("distance_m", distance_m, unit="metres")
        if min_cluster_size is not None:
            raise ValueError(
                f'`min_cluster_size` applies to method="hdbscan" only; got {min_cluster_size!r} '
                'with method="dbscan". Drop it, or use method="hdbscan".'
            )
        if window_months is not None:
            check_positive("window_months", window_months, unit="months")
        return "dbscan", distance_m, min_incidents, None
    if window_months is not None:
        raise ValueError(
            '`window_months` applies to method="dbscan" only (space-time DBSCAN); got '
            f"{window_months!r}."
        )
    if distance_m is not None:
        raise ValueError(
            f'`distance_m` is not used by method="hdbscan" (it has no fixed radius); got '
            f'{distance_m!r}. Pass distance_m=None, or use method="dbscan".'
        )
    if min_cluster_size is None:
        min_cluster_size = min_incidents
    min_cluster_size = int(check_positive("min_cluster_size", min_cluster_size, integer=True))
    if min_cluster_size < 2:
        raise ValueError(f"`min_cluster_size` must be at least 2; got {min_cluster_size!r}.")
    return "hdbscan", None, min_incidents, min_cluster_size


def _time_key(
    incidents: pd.DataFrame, window_months: float | None
) -> tuple[np.ndarray | None, float, str | None]:
    """Space-time DBSCAN's time of each incident, the window in its unit, and the unit."""
    if window_months is None:
        return None, 0.0, None
    if "date" in incidents.columns and pd.api.types.is_datetime64_any_dtype(incidents["date"]):
        date = incidents["date"]
        if date.isna().any():
            raise SchemaError(
                f"`incidents` has {int(date.isna().sum())} rows without a `date`; drop them "
                "or drop the `date` column to cluster by month."
            )
        t = (date.to_numpy("datetime64[ns]").astype(np.int64) / 86_400e9).astype(np.float64)
        return t, float(window_months) * DAYS_PER_MONTH, "date"
    months = _months_of(incidents)
    t = (months.year * 12 + months.month - 1).to_numpy().astype(np.float64)
    return t, float(window_months), "month"


def _align_labels(incidents: pd.DataFrame, labels) -> np.ndarray:
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"`labels` must be the pandas Series from cluster_incidents; got "
            f"{type(labels).__name__}."
        )
    if len(labels) != len(incidents):
        raise ValueError(
            f"`labels` has {len(labels)} rows but `incidents` has {len(incidents)}; pass the "
            "labels cluster_incidents returned for these incidents."
        )
    if not labels.index.equals(incidents.index):
        if (
            labels.index.is_unique
            and incidents.index.is_unique
            and labels.index.sort_values().equals(incidents.index.sort_values())
        ):
            labels = labels.reindex(incidents.index)
        else:
            raise ValueError(
                "`labels` is not indexed like `incidents`; pass the labels cluster_incidents "
                "returned for these incidents (same index)."
            )
    values = pd.to_numeric(labels, errors="coerce")
    if values.isna().any() or not np.allclose(values, np.round(values)):
        raise ValueError("`labels` must hold whole-number cluster labels (-1 for noise).")
    return values.to_numpy().astype(np.int64)


def summarise_clusters(
    incidents: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    wards: gpd.GeoDataFrame | None = None,
    min_hull_radius_m: float = MIN_HULL_RADIUS_M,
) -> gpd.GeoDataFrame:
    """One row per cluster: its hull, size, crime mix, months, density and wards.

    Parameters
    ----------
    incidents
        The incidents that were clustered (any labelled CRS; reprojected to EPSG:27700). Uses
        ``crime_type`` and ``theme`` (or derives the theme from ``crime_type`` with the default
        theme table) and ``month`` when present.
    labels
        The Series from :func:`cluster_incidents` for these incidents (same index; -1 = noise,
        which is left out).
    wards
        Ward polygons indexed by ward code (:func:`snt_geo.io.read_wards`). When given, each
        incident is placed in a ward with :func:`snt_geo.profile.assignment.assign_wards` and
        the ward and borough columns are filled; otherwise they are None.
    min_hull_radius_m
        Smallest hull, in metres: a cluster whose convex hull is a point (stacked incidents), a
        line (collinear incidents) or a polygon of area under ``pi * min_hull_radius_m**2`` gets
        its hull buffered by this radius instead. Default 25 m.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``cluster`` (the labels, ascending), EPSG:27700, with columns

        ``incident_count`` (int), ``location_count`` (distinct points), ``crime_type_counts``
        (dict crime type -> incidents, largest first), ``theme_mix`` (dict theme -> share of the
        cluster's incidents, largest first, summing to 1; primary themes), ``dominant_theme``
        and ``dominant_theme_share`` (ties go to the theme named first alphabetically),
        ``first_month`` and ``last_month`` (``pandas.Period``; NaT without a ``month`` column),
        ``area_km2`` (area of the hull polygon), ``density_per_km2`` (incidents per km2 of
        hull), ``hull_kind`` (``"convex"`` or ``"convex_buffered"``), ``wards`` (tuple of
        ward codes touched, by share then code), ``ward_shares`` (dict ward code -> share of
        the cluster's incidents that fall inside a ward: shares sum to 1 whenever any incident
        is inside a ward), ``boroughs`` and ``borough_shares`` (the same by ``borough_code`` of
        ``wards``), ``outside_wards`` (incidents in no ward: left out of the shares) and
        ``geometry`` (the hull polygon). Ward columns are None when ``wards`` is None.
        ``attrs["method"]`` is a :class:`ClusterSummaryMethod`: the hull kind,
        ``min_hull_radius_m`` and the labels' :class:`ClusterMethod`.

    Notes
    -----
    Hulls are convex: a concave hull of snap points depends on a tuning ratio and can split or
    self-touch, while the convex hull is unique and always one valid polygon (it can cover
    ground between arms of an L-shaped cluster; read ``density_per_km2`` with that in mind).
    """
    min_hull_radius_m = check_positive("min_hull_radius_m", min_hull_radius_m, unit="metres")
    summary_method = ClusterSummaryMethod(
        clustering=labels.attrs.get("method") if isinstance(labels, pd.Series) else None,
        hull="convex",
        min_hull_radius_m=min_hull_radius_m,
    )
    lab = _align_labels(incidents, labels)
    xy = _incident_xy(incidents)
    in_cluster = lab >= 0
    ids = np.unique(lab[in_cluster])
    columns = [c for c in CLUSTER_COLUMNS if c != "geometry"]
    if not len(ids):
        empty = gpd.GeoDataFrame(
            {c: pd.Series([], dtype=object) for c in columns},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
            crs=WORKING_CRS,
        )
        empty.index = pd.Index([], dtype=np.int64, name="cluster")
        empty.attrs["method"] = summary_method
        return empty
    pos = np.searchsorted(ids, lab[in_cluster])
    hull, small, n_loc = _hulls(xy[in_cluster], pos, len(ids), float(min_hull_radius_m))
    n_inc = np.bincount(pos, minlength=len(ids))
    area_km2 = shapely.area(hull) / 1e6
    crime_counts, theme_mix = _mixes(incidents, in_cluster, pos, len(ids))
    dominant = [next(iter(m)) for m in theme_mix]
    first_month, last_month = _month_span(incidents, in_cluster, pos, len(ids))
    out = pd.DataFrame(
        {
            "incident_count": n_inc.astype(np.int64),
            "location_count": n_loc.astype(np.int64),
            "crime_type_counts": crime_counts,
            "theme_mix": theme_mix,
            "dominant_theme": dominant,
            "dominant_theme_share": [m[d] for m, d in zip(theme_mix, dominant, strict=True)],
            "first_month": first_month,
            "last_month": last_month,
            "area_km2": area_km2,
            "density_per_km2": n_inc / area_km2,
            "hull_kind": np.where(small, "convex_buffered", "convex"),
        },
        index=pd.Index(ids, name="cluster"),
    )
    for column, values in _ward_columns(incidents, wards, in_cluster, pos, len(ids)).items():
        out[column] = values
    result = gpd.GeoDataFrame(out[columns], geometry=hull, crs=WORKING_CRS)
    result.attrs["method"] = summary_method
    return result


def _hulls(
    pts: np.ndarray, pos: np.ndarray, n: int, min_hull_radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each cluster's hull, whether it was buffered, and its distinct points.

    The hull is the convex hull of the cluster's distinct points, buffered when it is thin.
    """
    key = pd.DataFrame({"c": pos, "x": pts[:, 0], "y": pts[:, 1]}).drop_duplicates()
    n_loc = np.bincount(key["c"].to_numpy(), minlength=n)
    key = key.sort_values("c", kind="stable")
    multi = shapely.multipoints(key[["x", "y"]].to_numpy(), indices=key["c"].to_numpy())
    hull = shapely.convex_hull(multi)
    small = (shapely.get_type_id(hull) != 3) | (shapely.area(hull) < math.pi * min_hull_radius_m**2)
    hull = np.where(small, shapely.buffer(hull, min_hull_radius_m), hull)
    return shapely.make_valid(hull), small, n_loc


def _mixes(
    incidents: pd.DataFrame, in_cluster: np.ndarray, pos: np.ndarray, n: int
) -> tuple[list[dict], list[dict]]:
    """Crime-type counts and theme shares per cluster (``unknown`` for a missing value)."""
    if "crime_type" in incidents.columns:
        ct = incidents["crime_type"].to_numpy()[in_cluster].astype(object)
    else:
        ct = np.full(len(pos), None, dtype=object)
    if "theme" in incidents.columns:
        theme = incidents["theme"].to_numpy()[in_cluster].astype(object)
    else:
        theme = np.array(
            [DEFAULT_THEMES.primary_theme(c) if c is not None else None for c in ct], dtype=object
        )
    ct = np.where(pd.isna(ct), "unknown", ct)
    theme = np.where(pd.isna(theme), "unknown", theme)
    shares = [{k: v / sum(t.values()) for k, v in t.items()} for t in _tables(pos, theme, n)]
    return _tables(pos, ct, n), shares


def _month_span(
    incidents: pd.DataFrame, in_cluster: np.ndarray, pos: np.ndarray, n: int
) -> tuple[pd.PeriodIndex, pd.PeriodIndex]:
    """First and last month of each cluster (NaT without a ``month`` column)."""
    if "month" not in incidents.columns:
        none = pd.PeriodIndex([pd.NaT] * n, freq="M")
        return none, none
    ordinal = pd.Series(np.asarray(_months_of(incidents)[in_cluster].asi8))
    first = ordinal.groupby(pos).min().reindex(range(n))
    last = ordinal.groupby(pos).max().reindex(range(n))
    return (
        pd.PeriodIndex.from_ordinals(first, freq="M"),  # type: ignore[attr-defined]  # stubs lack it
        pd.PeriodIndex.from_ordinals(last, freq="M"),  # type: ignore[attr-defined]
    )


def _ward_columns(
    incidents: pd.DataFrame, wards, in_cluster: np.ndarray, pos: np.ndarray, n: int
) -> dict[str, list[Any] | np.ndarray | None]:
    """``wards``, ``ward_shares``, ``boroughs``, ``borough_shares``, ``outside_wards``."""
    names = ("wards", "ward_shares", "boroughs", "borough_shares", "outside_wards")
    if wards is None:
        return dict.fromkeys(names)
    from snt_geo.profile.assignment import assign_wards

    ward_of = assign_wards(incidents, wards).to_numpy()[in_cluster]
    shares, touched, outside = _shares(pos, ward_of, n)
    out: dict[str, list[Any] | np.ndarray | None] = {"wards": touched, "ward_shares": shares}
    if "borough_code" in wards.columns:
        borough_map = wards["borough_code"].astype(object)
        bor = np.array(
            [borough_map.get(w) if not pd.isna(w) else None for w in ward_of], dtype=object
        )
        b_shares, b_touched, _ = _shares(pos, bor, n)
        out.update(boroughs=b_touched, borough_shares=b_shares)
    else:
        out.update(boroughs=None, borough_shares=None)
    out["outside_wards"] = outside
    return out


def _tables(pos: np.ndarray, values: np.ndarray, n: int) -> list[dict]:
    """Per cluster position 0..n-1: dict value -> count, largest count first, then by name."""
    tab = pd.DataFrame({"c": pos, "v": np.asarray(values).astype(str)})
    counts = tab.groupby(["c", "v"], sort=False).size().reset_index(name="n")
    counts["neg"] = -counts["n"]
    counts = counts.sort_values(["c", "neg", "v"], kind="stable")
    out: list[dict] = [{} for _ in range(n)]
    cols = (counts["c"].to_numpy(), counts["v"].to_numpy(), counts["n"].to_numpy())
    for c, v, k in zip(*cols, strict=True):
        out[c][v] = int(k)
    return out


def _shares(pos: np.ndarray, area_of: np.ndarray, n: int):
    """Per cluster: dict area -> share of in-area incidents, tuple of areas, count outside."""
    missing = pd.isna(area_of)
    outside = np.bincount(pos[missing], minlength=n).astype(np.int64)
    tables = _tables(pos[~missing], area_of[~missing], n)
    shares = [{k: v / sum(t.values()) for k, v in t.items()} for t in tables]
    return shares, [tuple(t) for t in tables], outside
