"""The briefing on paper: the print stylesheet and the static map printed in place of the live one.

On screen the page is unchanged. In print (a browser's Print, or :func:`snt_geo.maps.save_pdf`)
the page is A4 portrait, the live Leaflet map and every control (navigation, layer switcher,
zoom buttons) are hidden, a static image of the map (:func:`snt_geo.maps.figures
.plot_assessment_map`) takes its place, and each numbered section starts on a new page.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

__all__ = ["PRINT_CSS", "exception_charts_html", "figure_img_html", "print_map_html"]

#: Print rules appended to the briefing's stylesheet; ``.print-map`` is hidden on screen.
PRINT_CSS = """
.print-map{display:none}
.exception-charts{display:flex;flex-wrap:wrap;gap:8px}
.exception-chart{width:min(100%,560px);height:auto;border:1px solid #ddd}
@page{size:A4 portrait;margin:14mm 12mm 16mm}
@media print{
 html,body{font-size:10pt;background:#fff}
 body{max-width:none!important;padding:0!important;margin:0!important}
 nav,.map-box,.leaflet-control-container,.leaflet-control,#map-section .note{display:none!important}
 .print-map{display:block!important;width:100%;height:auto;max-height:235mm;object-fit:contain;
  margin:0 auto}
 section{break-before:page;page-break-before:always}
 #for-decision,#at-a-glance{break-before:auto;page-break-before:auto}
 h2,h3,summary{break-after:avoid;page-break-after:avoid}
 table{font-size:8.5pt;width:100%}
 thead{display:table-header-group}
 thead th{position:static!important}
 tr,li,img{break-inside:avoid;page-break-inside:avoid}
 details>summary{list-style:none;color:#222;font-weight:600}
 a{color:inherit;text-decoration:none}
 footer{break-inside:avoid}
}
"""

#: Pixels per inch of the static map (sharp on paper, a few hundred kB in the page).
PRINT_MAP_DPI = 150


def figure_img_html(fig: Any, *, css_class: str, alt: str, dpi: int = PRINT_MAP_DPI) -> str:
    """Return a matplotlib figure as an ``<img>`` holding an inline PNG (no file, no URL)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img class="{html.escape(css_class, quote=True)}" '
        f'alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{data}">'
    )


def print_map_html(assessment: Any) -> str:
    """Return an ``<img class="print-map">`` of the static map as an inline PNG (no file, no URL).

    Empty when matplotlib is missing: the printed page then simply has no map, and the live
    map is unaffected.
    """
    try:
        from snt_geo.maps.figures import plot_assessment_map

        fig = plot_assessment_map(assessment)
    except ImportError:
        return ""
    themes = ", ".join(assessment.hotspot_themes) or "none"
    alt = f"Static map of the wards, Gi* hot spots and incident clusters ({themes})"
    img = figure_img_html(fig, css_class="print-map", alt=alt)
    return img.replace('<img class="print-map" ', '<img class="print-map" id="print-map" ', 1)


def exception_charts_html(assessment: Any, *, limit: int = 6) -> str:
    """Return monthly trend charts with the expected band as inline PNGs.

    One per flagged ward and theme (at most ``limit``, most significant first); empty without
    exceptions or matplotlib.
    """
    ex = getattr(assessment, "exceptions", None)
    if ex is None or not len(ex.flagged):
        return ""
    try:
        from snt_geo.maps.figures import plot_monthly_trend
    except ImportError:
        return ""
    from snt_geo._labels import theme_label, ward_names

    names = ward_names(assessment.wards)
    flagged = ex.flagged.sort_values("p_value_fdr", kind="stable").head(limit)
    charts = []
    for ward_code, theme in flagged.index:
        series = ex.monthly.loc[(ward_code, theme)]
        series.attrs = dict(ex.monthly.attrs)
        who = (
            f"{names.get(str(ward_code), str(ward_code))}: {theme_label(theme, assessment.themes)}"
        )
        fig = plot_monthly_trend(series, title=who, height_mm=60.0)
        charts.append(
            figure_img_html(
                fig,
                css_class="exception-chart",
                alt=f"Monthly trend and expected range, {who}",
                dpi=110,
            )
        )
    return '<div class="exception-charts">' + "".join(charts) + "</div>"
