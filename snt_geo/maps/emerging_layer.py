"""Map layer of emerging hot spots: each cell's space-time pattern (new, intensifying, ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np

from snt_geo.linkage.emerging import EMERGING_CLASSES  # one definition, where produced
from snt_geo.maps._layer import Legend, LegendItem, MapLayer
from snt_geo.maps._payload import _checked, _class_counts, _class_index, _filled, _vector_layer

__all__ = ["EMERGING_LABELS", "EMERGING_PALETTE", "draw_emerging_cells"]

# Hot patterns in reds (most urgent darkest), cold ones in blues, as in ArcGIS Pro's Emerging Hot
# Spot Analysis symbology.
_HOT = {
    "new": "#67000d",
    "consecutive": "#a50f15",
    "intensifying": "#cb181d",
    "persistent": "#ef3b2c",
    "diminishing": "#fb6a4a",
    "sporadic": "#fc9272",
    "oscillating": "#fcbba1",
    "historical": "#fee0d2",
}
_COLD = {
    "new": "#08306b",
    "consecutive": "#08519c",
    "intensifying": "#2171b5",
    "persistent": "#4292c6",
    "diminishing": "#6baed6",
    "sporadic": "#9ecae1",
    "oscillating": "#c6dbef",
    "historical": "#deebf7",
}
#: Colour per emerging class (``no_pattern`` pale grey).
EMERGING_PALETTE = {
    **{f"{k}_hot_spot": v for k, v in _HOT.items()},
    **{f"{k}_cold_spot": v for k, v in _COLD.items()},
    "no_pattern": "#eeeeee",
}
#: Words for the classes in legends, tooltips and tables.
EMERGING_LABELS = {
    c: c.replace("_", " ").capitalize() if c != "no_pattern" else "No pattern"
    for c in EMERGING_CLASSES
}


def draw_emerging_cells(
    cells: gpd.GeoDataFrame | Any,
    *,
    name: str = "Emerging hot spots",
    tooltip: Sequence[str] | None = ("emerging_class", "incident_count", "hot_periods"),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.75,
    show: bool = False,
) -> MapLayer:
    """Cells of :func:`snt_geo.linkage.emerging_hotspots` coloured by their pattern.

    Parameters
    ----------
    cells
        An :class:`~snt_geo.linkage.EmergingHotspots` result or its ``cells`` frame (polygons
        with ``emerging_class``, one of :data:`~snt_geo.linkage.EMERGING_CLASSES`).
    name
        Layer name.
    tooltip, popup
        Columns shown on hover / on click.
    labels
        Display labels by column name.
    fill_opacity
        Fill opacity from 0 to 1.
    show
        Whether the layer is on when the map opens (default off: it shares the cells of the Gi*
        layer).

    Returns
    -------
    MapLayer
        Cells with a pattern drawn; ``no_pattern`` cells left out and counted
        (``info.n_not_drawn``); ``info.choices["counts"]`` gives cells per class.

    Raises
    ------
    SchemaError
        When ``emerging_class`` is missing or holds an unknown value.
    """
    if hasattr(cells, "bins") and hasattr(cells, "to_frame"):
        # The result's arrays give every class's count; polygons are built for drawn cells only.
        codes = np.asarray(cells.values["emerging_class"].codes)
        per_class = np.bincount(codes, minlength=len(EMERGING_CLASSES))
        counts = {c: int(n) for c, n in zip(EMERGING_CLASSES, per_class, strict=True)}
        src = _checked(
            cells.to_frame(cells="pattern"),
            argument="cells",
            required=["emerging_class"],
            tooltip=tooltip,
            popup=popup,
        )
        src.n_rows = len(codes)
        if counts["no_pattern"]:
            src.not_drawn["no pattern"] = counts["no_pattern"]
    else:
        src = _checked(
            cells, argument="cells", required=["emerging_class"], tooltip=tooltip, popup=popup
        )
        counts = _class_counts(src, "emerging_class", EMERGING_CLASSES)
        cls = src.frame["emerging_class"].astype("string")
        src.keep((cls != "no_pattern").to_numpy(), reason="no pattern")
    src.drop_empty()
    frame = src.frame
    styles = [
        _filled(EMERGING_PALETTE[c], weight=0.5, fill_opacity=fill_opacity)
        for c in EMERGING_CLASSES
    ]
    style_index = _class_index(frame, "emerging_class", EMERGING_CLASSES)
    items = tuple(
        LegendItem(EMERGING_PALETTE[c], f"{EMERGING_LABELS[c]} ({counts[c]:,})")
        for c in EMERGING_CLASSES
        if c != "no_pattern" and counts[c]
    )
    if "emerging_class" in src.tooltip + src.popup:
        src.frame = frame.assign(emerging_class=frame["emerging_class"].map(EMERGING_LABELS))
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels={
            "emerging_class": "pattern",
            "hot_periods": "hot months",
            **(labels or {}),
        },
        legend=Legend(
            title="Emerging hot spots",
            items=items,
            note=f"{counts['no_pattern']:,} cells with no pattern not drawn; (n) = cells",
        ),
        simplify_m=0.0,
        choices={"counts": counts},
        show=show,
    )
