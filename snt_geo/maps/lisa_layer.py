"""Map layer of ward clusters: local Moran's I classes (high-high, low-low, high-low, low-high)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd

from snt_geo.linkage.ward_clusters import WARD_CLUSTER_CLASSES  # one definition, where produced
from snt_geo.maps._layer import Legend, LegendItem, MapLayer
from snt_geo.maps._payload import _checked, _class_counts, _class_index, _path_style, _vector_layer

__all__ = ["draw_ward_clusters", "WARD_CLUSTER_PALETTE", "WARD_CLUSTER_LABELS"]

#: Colours of the LISA classes, as in GeoDa's and ArcGIS's cluster maps.
WARD_CLUSTER_PALETTE = {
    "high_high": "#d7191c",
    "low_low": "#2c7bb6",
    "high_low": "#fdae61",
    "low_high": "#abd9e9",
    "not_significant": "#eeeeee",
}
#: Words for the classes in legends and tooltips.
WARD_CLUSTER_LABELS = {
    "high_high": "High-high cluster",
    "low_low": "Low-low cluster",
    "high_low": "High-low outlier",
    "low_high": "Low-high outlier",
    "not_significant": "Not significant",
}


def draw_ward_clusters(
    clusters: gpd.GeoDataFrame,
    *,
    name: str = "Ward clusters (local Moran's I)",
    tooltip: Sequence[str] | None = ("cluster_class", "value", "local_i", "p_value_fdr"),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.7,
    simplify_m: float = 10.0,
    show: bool = True,
) -> MapLayer:
    """Wards coloured by their local Moran's I class (from ``find_ward_clusters``).

    Parameters
    ----------
    clusters
        Ward polygons in any labelled CRS with ``cluster_class`` (one of
        :data:`~snt_geo.linkage.WARD_CLUSTER_CLASSES`) and, for the default tooltip, ``value``,
        ``local_i`` and ``p_value_fdr``: the output of
        :func:`snt_geo.linkage.find_ward_clusters`, or any frame with those columns.
    name
        Layer name.
    tooltip, popup
        Columns shown on hover / on click (``ward_name`` is added first when present).
    labels
        Display labels by column name.
    fill_opacity
        Fill opacity from 0 to 1.
    simplify_m
        Simplification tolerance in metres (EPSG:27700).
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    MapLayer
        Every ward drawn (not-significant wards pale grey, so the map still shows the whole
        area); ``info.choices["counts"]`` gives wards per class.

    Raises
    ------
    SchemaError
        When ``cluster_class`` is missing or holds a value outside the five classes.
    """
    if tooltip is not None and "ward_name" in getattr(clusters, "columns", ()):
        tooltip = ["ward_name", *[t for t in tooltip if t != "ward_name"]]
    src = _checked(
        clusters, argument="clusters", required=["cluster_class"], tooltip=tooltip, popup=popup
    )
    counts = _class_counts(src, "cluster_class", WARD_CLUSTER_CLASSES)
    src.drop_empty()
    frame = src.frame
    styles = [
        _path_style(
            color="#666666", weight=0.6, fill_color=WARD_CLUSTER_PALETTE[c],
            fill_opacity=fill_opacity,
        )
        for c in WARD_CLUSTER_CLASSES
    ]  # fmt: skip
    style_index = _class_index(frame, "cluster_class", WARD_CLUSTER_CLASSES)
    items = tuple(
        LegendItem(WARD_CLUSTER_PALETTE[c], f"{WARD_CLUSTER_LABELS[c]} ({counts[c]:,})")
        for c in WARD_CLUSTER_CLASSES
    )
    if "cluster_class" in src.tooltip + src.popup:
        words = frame["cluster_class"].astype("string").map(WARD_CLUSTER_LABELS)
        src.frame = frame.assign(cluster_class=words)
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels={
            "cluster_class": "class",
            "local_i": "local Moran's I",
            "p_value_fdr": "p-value (FDR)",
            **(labels or {}),
        },
        legend=Legend(title="Ward clusters (LISA)", items=items, note="(n) = wards"),
        simplify_m=simplify_m,
        choices={"counts": counts},
        show=show,
    )
