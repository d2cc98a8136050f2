"""Hot areas and clusters that straddle ward or borough boundaries.

A hot area split between two wards is easily policed by neither: each ward panel sees half of it.
:func:`flag_cross_border_hotspots` measures how a hot area (merged Gi* hot cells), a cluster
hull or any polygon is shared between wards and boroughs, by area or by the incidents in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from snt_geo._format import format_count, format_percent
from snt_geo._method import MethodRecord
from snt_geo._validate import check_fraction
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io.boundaries import check_wards
from snt_geo.profile.assignment import assign_wards

__all__ = ["CROSS_BORDER_COLUMNS", "CrossBorderMethod", "flag_cross_border_hotspots"]

#: Columns :func:`flag_cross_border_hotspots` adds (``geometry`` stays last).
CROSS_BORDER_COLUMNS = (
    "share_basis",
    "incident_count",
    "area_km2",
    "ward_shares",
    "wards",
    "n_wards",
    "main_ward",
    "main_ward_share",
    "borough_shares",
    "boroughs",
    "n_boroughs",
    "outside_share",
    "cross_ward",
    "cross_borough",
    "explanation",
)

HOT_CLASSES = ("hot_99", "hot_95", "hot_90")


@dataclass(frozen=True, repr=False)
class CrossBorderMethod(MethodRecord):
    """What :func:`flag_cross_border_hotspots` ran (``frame.attrs["method"]``).

    Attributes
    ----------
    input_kind
        ``"gi_star_cells"``, ``"cluster_summaries"`` or ``"polygons"``.
    n_input_rows
        Rows given (cells before merging, for Gi* cells).
    share_basis
        ``"area"`` or ``"incidents"``.
    min_share
        Share a ward or borough must hold to count towards crossing.
    hot_classes, cell_merge
        For Gi* cells: the classes kept and how cells were merged (None otherwise).
    n_areas, n_cross_ward, n_cross_borough
        Rows returned (hot areas, cluster hulls or polygons), and those crossing a ward /
        borough boundary.
    """

    input_kind: str
    n_input_rows: int
    share_basis: str
    min_share: float
    hot_classes: tuple[str, ...] | None
    cell_merge: str | None
    n_areas: int
    n_cross_ward: int
    n_cross_borough: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        what = {
            "gi_star_cells": f"hot areas merged from touching Gi* hot cells of class "
            f"{', '.join(self.hot_classes or ())} ({format_count(self.n_input_rows)} cells given)",
            "cluster_summaries": "incident cluster hulls",
            "polygons": "polygons",
        }.get(self.input_kind, self.input_kind)
        return (
            f"Cross-border check of {format_count(self.n_areas)} {what}: each is shared "
            f"between wards and boroughs by {self.share_basis}; a ward or borough counts when it "
            f"holds at least {format_percent(self.min_share)}. "
            f"{format_count(self.n_cross_ward)} cross a ward boundary and "
            f"{format_count(self.n_cross_borough)} a borough boundary."
        )


def _merge_hot_cells(cells: gpd.GeoDataFrame, classes: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Merge touching hot cells (sharing an edge or a corner) into one hot area each."""
    hot = cells[cells["hotspot_class"].astype("string").isin(list(classes)).to_numpy()]
    geoms = hot.geometry.to_numpy()
    n = len(hot)
    if n:
        tree = shapely.STRtree(geoms)
        i, j = tree.query(geoms, predicate="intersects")
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        _, first = np.unique(labels, return_index=True)
        rank = np.empty(len(first), dtype=np.int64)
        rank[np.argsort(first)] = np.arange(len(first))
        labels = rank[labels]
    else:
        labels = np.zeros(0, dtype=np.int64)
    order = {c: k for k, c in enumerate(HOT_CLASSES)}
    rows = []
    for k in range(int(labels.max()) + 1 if n else 0):
        part = hot[labels == k]
        classes_here = part["hotspot_class"].astype("string")
        rows.append(
            {
                "cell_ids": tuple(part.index.tolist()),
                "n_cells": len(part),
                "hotspot_class": min(classes_here, key=lambda c: order.get(c, len(order))),
                "cell_incident_count": int(part["incident_count"].sum())
                if "incident_count" in part.columns
                else pd.NA,
                "geometry": shapely.union_all(part.geometry.to_numpy()),
            }
        )
    out = gpd.GeoDataFrame(
        rows,
        columns=["cell_ids", "n_cells", "hotspot_class", "cell_incident_count", "geometry"],
        geometry="geometry",
        crs=WORKING_CRS,
    )
    out.index.name = "hotspot"
    return out


def flag_cross_border_hotspots(
    clusters_or_cells: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    incidents: gpd.GeoDataFrame | None = None,
    labels: pd.Series | None = None,
    min_share: float = 0.05,
    hot_classes: tuple[str, ...] = HOT_CLASSES,
) -> gpd.GeoDataFrame:
    """How each hotspot or cluster is shared between wards and boroughs, and which cross borders.

    Parameters
    ----------
    clusters_or_cells
        Polygons with a CRS, one of:

        - Gi* cells from :func:`snt_geo.linkage.hotspots.find_hotspots` (recognised by their
          ``hotspot_class`` column): cells in ``hot_classes`` are kept and touching ones (edge or
          corner) are merged into one hot area each;
        - cluster summaries from :func:`snt_geo.linkage.clusters.summarise_clusters`, indexed
          by cluster label (give ``incidents`` and ``labels`` to share by membership);
        - any other polygons (e.g. hand-drawn hotspot areas).
    wards
        The wards schema (index ``ward_code``, column ``borough_code``; optional
        ``ward_name``, ``borough_name``).
    incidents
        Incident points. With ``labels``: each row's share is computed over the incidents whose
        label equals the row's index label (cluster membership). Without ``labels``: over the
        incidents inside the row's polygon (boundary included). Default None: share by area.
    labels
        Cluster labels indexed like ``incidents`` (as :func:`cluster_incidents` returns; -1 noise
        is ignored).
    min_share
        A ward or borough counts towards ``n_wards`` / ``n_boroughs`` (and crossing) only if it
        holds at least this share of the hotspot. Default 0.05, so a hull that clips a ward by a
        few metres does not make a cross-border hotspot. All shares are still listed.
    hot_classes
        Gi* classes treated as hot when cells are given. Default all three hot levels.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700. For cluster summaries or polygons: indexed like ``clusters_or_cells``, keeping
        its columns other than those below. For Gi* cells: one row per merged hotspot, index
        ``hotspot`` (0, 1, ...), with ``cell_ids`` (tuple of cell ids), ``n_cells``,
        ``hotspot_class`` (the hottest class among its cells) and ``cell_incident_count``.
        Added columns:

        - ``share_basis``: ``"area"`` or ``"incidents"``; ``incident_count`` (incidents behind
          the shares; NA for area) and ``area_km2``;
        - ``ward_shares`` (dict ward code -> share, largest first, every ward with a positive
          share), ``wards`` (tuple of wards holding at least ``min_share``), ``n_wards``,
          ``main_ward``, ``main_ward_share``;
        - ``borough_shares`` (dict), ``boroughs`` (tuple), ``n_boroughs``;
        - ``outside_share`` (share outside every ward), ``cross_ward`` and ``cross_borough``
          (bool: more than one ward / borough at ``min_share`` or above);
        - ``explanation`` (one sentence naming the wards and boroughs with their shares).

        ``attrs["method"]`` is a :class:`CrossBorderMethod` (options, input kind, counts).

    Raises
    ------
    SchemaError
        ``wards`` without ``borough_code`` or with a non-unique index; ``labels`` not aligned
        with ``incidents``; non-polygon geometries.

    Notes
    -----
    Area shares are intersection areas (EPSG:27700) over the polygon's area. Incident shares use
    :func:`snt_geo.profile.assignment.assign_wards` (a point on a shared boundary goes to one
    ward). Ward shares add up to ``1 - outside_share``.
    """
    min_share = check_fraction("min_share", min_share, low_open=False)
    areas = check_wards(wards, columns=("borough_code",))
    if labels is not None and incidents is None:
        raise ValueError("`labels` needs `incidents`: pass the incidents the labels belong to.")
    polys, kind, n_input = _input_polygons(clusters_or_cells, tuple(hot_classes))
    if incidents is None:
        basis = "area"
        per_row, counts = _area_shares(polys, areas)
    else:
        basis = "incidents"
        per_row, counts = _incident_shares(polys, areas, incidents, labels)
    added = _share_columns(per_row, counts, polys, areas, basis=basis, min_share=min_share)
    out = _result_frame(polys, added)
    out.attrs["method"] = CrossBorderMethod(
        input_kind=kind,
        n_input_rows=n_input,
        share_basis=basis,
        min_share=float(min_share),
        hot_classes=tuple(hot_classes) if kind == "gi_star_cells" else None,
        cell_merge="touching hot cells (edge or corner)" if kind == "gi_star_cells" else None,
        n_areas=len(out),
        n_cross_ward=int(out["cross_ward"].sum()),
        n_cross_borough=int(out["cross_borough"].sum()),
    )
    return out


def _input_polygons(
    clusters_or_cells: gpd.GeoDataFrame, hot_classes: tuple[str, ...]
) -> tuple[gpd.GeoDataFrame, str, int]:
    """Return the polygons to share out (Gi* hot cells merged), their kind and the rows given."""
    polys = to_working_crs(clusters_or_cells, argument="clusters_or_cells", check_bounds=False)
    n_input = len(polys)
    kind = "polygons"
    if "hotspot_class" in polys.columns:
        kind = "gi_star_cells"
        polys = _merge_hot_cells(polys, hot_classes)
    elif "hull_kind" in polys.columns:
        kind = "cluster_summaries"
    gtypes = set(polys.geom_type.dropna().unique())
    if not gtypes <= {"Polygon", "MultiPolygon"}:
        raise SchemaError(
            "`clusters_or_cells` must hold polygons (cells, hulls or areas).",
            [f"geometry type {t!r}" for t in sorted(gtypes - {"Polygon", "MultiPolygon"})],
        )
    return polys, kind, n_input


def _area_shares(
    polys: gpd.GeoDataFrame, areas: gpd.GeoDataFrame
) -> tuple[list[dict[str, float]], np.ndarray]:
    """Each polygon's share of area per ward code (counts -1: not by incidents)."""
    geoms = polys.geometry.to_numpy()
    ward_codes = areas.index.astype(str).to_numpy()
    per_row: list[dict[str, float]] = [{} for _ in range(len(polys))]
    if len(polys):
        tree = shapely.STRtree(areas.geometry.to_numpy())
        pi, wi = tree.query(geoms, predicate="intersects")
        inter = shapely.area(shapely.intersection(geoms[pi], areas.geometry.to_numpy()[wi]))
        total = shapely.area(geoms)
        for p, w, a in zip(pi, wi, inter, strict=True):
            if a > 0 and total[p] > 0:
                code = ward_codes[w]
                per_row[p][code] = per_row[p].get(code, 0.0) + a / total[p]
    return per_row, np.full(len(polys), -1, dtype=np.int64)


def _incident_shares(
    polys: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, incidents, labels
) -> tuple[list[dict[str, float]], np.ndarray]:
    """Each polygon's share of its incidents (members by label, else inside it) per ward."""
    pts = to_working_crs(incidents, argument="incidents", check_bounds=False)
    # pandas-stubs: na_value omits None, which pandas accepts.
    ward_of = assign_wards(pts, areas).to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    if labels is not None:
        labels = pd.Series(labels)
        if len(labels) != len(pts) or not labels.index.equals(pts.index):
            raise SchemaError(
                "`labels` must be indexed like `incidents` (as cluster_incidents returns); "
                f"got {len(labels)} labels for {len(pts)} incidents."
            )
        lab = labels.to_numpy()
        groups = pd.Series(np.arange(len(lab))).groupby(lab).indices
        members = [groups.get(k, np.zeros(0, dtype=np.int64)) for k in polys.index]
    else:
        xy = shapely.get_coordinates(pts.geometry.to_numpy())
        tree = shapely.STRtree(shapely.points(xy))
        pi, qi = tree.query(polys.geometry.to_numpy(), predicate="intersects")
        members = [qi[pi == k] for k in range(len(polys))]
    per_row: list[dict[str, float]] = [{} for _ in range(len(polys))]
    counts = np.full(len(polys), -1, dtype=np.int64)
    for k, m in enumerate(members):
        counts[k] = len(m)
        if len(m):
            vc = pd.Series(ward_of[m], dtype=object).value_counts(dropna=True)
            per_row[k] = {str(c): n / len(m) for c, n in vc.items()}
    return per_row, counts


def _share_columns(
    per_row: list[dict[str, float]],
    counts: np.ndarray,
    polys: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    basis: str,
    min_share: float,
) -> dict[str, list]:
    """Return the :data:`CROSS_BORDER_COLUMNS` values of every polygon, from its ward shares."""
    ward_codes = areas.index.astype(str).to_numpy()
    borough = areas["borough_code"].astype("string").to_numpy(dtype=object, na_value=None)
    borough_of = dict(zip(ward_codes, borough, strict=True))
    names = (
        dict(zip(ward_codes, areas["ward_name"].astype("string"), strict=True))
        if "ward_name" in areas.columns
        else {}
    )
    bnames = (
        dict(zip(borough, areas["borough_name"].astype("string"), strict=True))
        if "borough_name" in areas.columns
        else {}
    )
    geoms = polys.geometry.to_numpy()
    added: dict[str, list] = {c: [] for c in CROSS_BORDER_COLUMNS}
    for k, shares in enumerate(per_row):
        ordered = dict(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])))
        bshares: dict[str, float] = {}
        for code, s in ordered.items():
            b = borough_of[code]
            bshares[str(b)] = bshares.get(str(b), 0.0) + s
        bshares = dict(sorted(bshares.items(), key=lambda kv: (-kv[1], kv[0])))
        w_in = tuple(c for c, s in ordered.items() if s >= min_share and s > 0)
        b_in = tuple(b for b, s in bshares.items() if s >= min_share and s > 0)
        main = next(iter(ordered), None)
        # No incidents: no share anywhere.
        outside = np.nan if counts[k] == 0 else max(0.0, 1.0 - sum(ordered.values()))
        added["share_basis"].append(basis)
        added["incident_count"].append(int(counts[k]) if counts[k] >= 0 else pd.NA)
        added["area_km2"].append(float(shapely.area(geoms[k])) / 1e6)
        added["ward_shares"].append(ordered)
        added["wards"].append(w_in)
        added["n_wards"].append(len(w_in))
        added["main_ward"].append(main if main is not None else pd.NA)
        added["main_ward_share"].append(ordered[main] if main is not None else np.nan)
        added["borough_shares"].append(bshares)
        added["boroughs"].append(b_in)
        added["n_boroughs"].append(len(b_in))
        added["outside_share"].append(outside)
        added["cross_ward"].append(len(w_in) > 1)
        added["cross_borough"].append(len(b_in) > 1)
        added["explanation"].append(
            _explain(ordered, bshares, w_in, b_in, names, bnames, basis, counts[k], min_share)
        )
    return added


def _result_frame(polys: gpd.GeoDataFrame, added: dict[str, list]) -> gpd.GeoDataFrame:
    """Return the input's own columns, then the added ones (typed), then the geometry."""
    keep = [c for c in polys.columns if c not in CROSS_BORDER_COLUMNS and c != "geometry"]
    out = pd.DataFrame(polys[keep])
    for c in CROSS_BORDER_COLUMNS:
        out[c] = pd.Series(
            added[c],
            index=polys.index,
            dtype=object if c in ("ward_shares", "wards", "borough_shares", "boroughs") else None,
        )
    out = out.astype(
        {
            "incident_count": "Int64",
            "n_wards": "int64",
            "n_boroughs": "int64",
            "cross_ward": "bool",
            "cross_borough": "bool",
            "area_km2": "float64",
            "main_ward_share": "float64",
            "outside_share": "float64",
        }
    )
    out = gpd.GeoDataFrame(out, geometry=polys.geometry.to_numpy(), crs=WORKING_CRS)
    out.index = polys.index
    return out


def _explain(ordered, bshares, w_in, b_in, names, bnames, basis, count, min_share) -> str:
    if not ordered:
        return "Outside every ward." if count != 0 else "No incidents in this hotspot."

    def ward(c):
        n = names.get(c)
        return f"{n if isinstance(n, str) else c} ({format_percent(ordered[c])})"

    def boro(b):
        n = bnames.get(b)
        return f"{n if isinstance(n, str) else b} ({format_percent(bshares[b])})"

    what = "of its area" if basis == "area" else f"of its {count} incidents"
    if len(w_in) <= 1:
        main = w_in[0] if w_in else next(iter(ordered))
        text = f"Within one ward: {ward(main)} {what}"
    else:
        text = f"Crosses {len(w_in)} wards: " + ", ".join(ward(c) for c in w_in) + f" {what}"
    if len(b_in) > 1:
        text += "; crosses a borough boundary: " + ", ".join(boro(b) for b in b_in)
    return text + "."
