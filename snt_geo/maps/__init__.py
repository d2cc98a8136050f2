"""Presentation only: folium layers, map composition, offline HTML, ward pages and the briefing.

folium is imported only under this subpackage. Every layer takes a plain GeoDataFrame with the
documented columns, in any labelled CRS, and reprojects to EPSG:4326 here.
"""

from snt_geo.maps.briefing import (
    ATTRIBUTION,
    BRIEFING_STEPS,
    Briefing,
    render_briefing,
    tasking_briefing,
)
from snt_geo.maps.compose import LONDON_CENTRE, make_map
from snt_geo.maps.emerging_layer import EMERGING_LABELS, EMERGING_PALETTE, draw_emerging_cells
from snt_geo.maps.evaluation_chart import plot_evaluation
from snt_geo.maps.figures import (
    A4_CONTENT_WIDTH_MM,
    plot_assessment_map,
    plot_cluster_map,
    plot_hotspot_map,
    plot_monthly_trend,
    plot_time_of_day,
    plot_ward_choropleth,
    save_figure,
)
from snt_geo.maps.layers import (
    CANVAS_THRESHOLD,
    CLASSIFICATION_SCHEMES,
    HOTSPOT_CLASSES,
    HOTSPOT_PALETTE,
    LINK_SHARE_CLASSES,
    SEQUENTIAL_PALETTES,
    LayerInfo,
    Legend,
    LegendItem,
    MapLayer,
    classify_values,
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
from snt_geo.maps.lisa_layer import (
    WARD_CLUSTER_LABELS,
    WARD_CLUSTER_PALETTE,
    draw_ward_clusters,
)
from snt_geo.maps.offline import (
    LeafletAssets,
    MapFragment,
    find_remote_references,
    inline_leaflet,
    leaflet_assets,
    map_fragment,
    save_offline_html,
)
from snt_geo.maps.report_docx import DOCX_TABLES, docx_tables, save_docx
from snt_geo.maps.report_pdf import find_chromium, save_pdf
from snt_geo.maps.scale_chart import draw_scale_scan
from snt_geo.maps.ward_page import DEFAULT_ATTRIBUTION, WardPage, render_ward_page

__all__ = [
    "WARD_CLUSTER_LABELS",
    "WARD_CLUSTER_PALETTE",
    "draw_scale_scan",
    "draw_ward_clusters",
    "A4_CONTENT_WIDTH_MM",
    "DOCX_TABLES",
    "EMERGING_LABELS",
    "EMERGING_PALETTE",
    "docx_tables",
    "draw_emerging_cells",
    "find_chromium",
    "plot_assessment_map",
    "plot_cluster_map",
    "plot_evaluation",
    "plot_hotspot_map",
    "plot_monthly_trend",
    "plot_time_of_day",
    "plot_ward_choropleth",
    "save_docx",
    "save_figure",
    "save_pdf",
    "ATTRIBUTION",
    "BRIEFING_STEPS",
    "CANVAS_THRESHOLD",
    "CLASSIFICATION_SCHEMES",
    "DEFAULT_ATTRIBUTION",
    "HOTSPOT_CLASSES",
    "HOTSPOT_PALETTE",
    "LINK_SHARE_CLASSES",
    "LONDON_CENTRE",
    "SEQUENTIAL_PALETTES",
    "Briefing",
    "LayerInfo",
    "LeafletAssets",
    "Legend",
    "LegendItem",
    "MapFragment",
    "MapLayer",
    "WardPage",
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
    "find_remote_references",
    "inline_leaflet",
    "leaflet_assets",
    "make_map",
    "map_fragment",
    "render_briefing",
    "render_ward_page",
    "save_offline_html",
    "tasking_briefing",
]
