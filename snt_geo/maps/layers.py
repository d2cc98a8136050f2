"""Map layers for the tasking map: one function per kind of thing drawn.

Every ``draw_*`` function takes a plain GeoDataFrame with documented columns (any labelled CRS;
reprojected to EPSG:4326 here, inside ``maps/`` only) and returns a :class:`MapLayer`, a folium
layer that :func:`snt_geo.maps.compose.make_map` stacks under one layer control.

Design choices that keep a London-scale map small and safe:

- Geometry is simplified in EPSG:27700 (metres) where asked and coordinates are rounded to
  5 decimal places of a degree (about 1.1 m north-south, 0.7 m east-west in London).
- Feature data are written once, column by column, as JSON; tooltips and popups carry only the
  columns the caller lists and are built in the browser with ``textContent``, so every text value
  is shown as text and never parsed as HTML.
- Incidents are never drawn one marker each: hotspot cells, a KDE raster (one PNG) and cluster
  hulls stand for them.

This module is the public face; the work is in private modules, one per concern:
``_palettes`` (colours and :func:`classify_values`), ``_layer`` (:class:`MapLayer`,
:class:`Legend`, the immutable :class:`LayerInfo`), ``_payload`` (input checks, display text,
lon/lat geometry, the JSON payload), ``_raster`` (the Web Mercator resampler of the KDE image) and
``_draw`` (the ``draw_*`` functions).
"""

from snt_geo.linkage.hotspots import HOTSPOT_CLASSES  # one definition, where it is produced
from snt_geo.maps._draw import (
    CANVAS_THRESHOLD,
    draw_cluster_hulls,
    draw_estates,
    draw_hotspot_cells,
    draw_kde_surface,
    draw_links,
    draw_priority_groups,
    draw_priority_themes,
    draw_ward_choropleth,
    draw_ward_outlines,
)
from snt_geo.maps._layer import LayerInfo, Legend, LegendItem, MapLayer
from snt_geo.maps._palettes import (
    CLASSIFICATION_SCHEMES,
    HOTSPOT_PALETTE,
    LINK_SHARE_CLASSES,
    SEQUENTIAL_PALETTES,
    classify_values,
)
from snt_geo.maps._payload import COORDINATE_DECIMALS

__all__ = [
    "CANVAS_THRESHOLD",
    "CLASSIFICATION_SCHEMES",
    "COORDINATE_DECIMALS",
    "HOTSPOT_CLASSES",
    "HOTSPOT_PALETTE",
    "LINK_SHARE_CLASSES",
    "SEQUENTIAL_PALETTES",
    "LayerInfo",
    "Legend",
    "LegendItem",
    "MapLayer",
    "classify_values",
    "draw_cluster_hulls",
    "draw_estates",
    "draw_hotspot_cells",
    "draw_kde_surface",
    "draw_links",
    "draw_priority_groups",
    "draw_priority_themes",
    "draw_ward_choropleth",
    "draw_ward_outlines",
]
