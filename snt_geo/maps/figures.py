"""Static figures for a printed tactical assessment: maps and charts sized for A4 (matplotlib).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no global
state, safe in a batch run or a notebook) and :func:`save_figure` writes it as PNG and SVG. The
SVG keeps its text as text (``svg.fonttype = "none"``), so an analyst can edit a title or a
legend in Word or Inkscape. Default sizes fit an A4 page with 20 mm margins (170 mm wide).

Maps are drawn in British National Grid (EPSG:27700, the working CRS): metres, north up, no web
tiles, so they print the same offline. matplotlib is imported only when a figure is drawn
(``pip install "snt-geo[report]"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._format import format_count, format_number
from snt_geo.crs import to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage.hotspots import HOTSPOT_CLASSES
from snt_geo.maps._palettes import _HOTSPOT_LABELS  # one copy of the class labels
from snt_geo.maps.layers import HOTSPOT_PALETTE, SEQUENTIAL_PALETTES, classify_values

__all__ = [
    "A4_CONTENT_WIDTH_MM",
    "plot_assessment_map",
    "plot_cluster_map",
    "plot_hotspot_map",
    "plot_monthly_trend",
    "plot_time_of_day",
    "plot_ward_choropleth",
    "save_figure",
]

#: Width of an A4 page (210 mm) inside 20 mm margins.
A4_CONTENT_WIDTH_MM = 170.0

_MM_PER_INCH = 25.4
_HINT = 'static figures need matplotlib: pip install "snt-geo[report]"'
_NO_DATA = "#d9d9d9"
_OUTLINE = "#444444"
# Okabe & Ito (2008) colour-blind-safe qualitative palette, for clusters.
_QUALITATIVE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Largest number of wards labelled by default (``label_wards=None``).
MAX_AUTO_LABELS = 40


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - the report extra is installed in CI
        raise ImportError(_HINT) from err
    return matplotlib, Figure


def _figure(width_mm: float, height_mm: float) -> Any:
    for name, value in (("width_mm", width_mm), ("height_mm", height_mm)):
        if not (isinstance(value, int | float) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"`{name}` must be a positive number of millimetres; got {value!r}.")
    _, figure_cls = _matplotlib()
    fig = figure_cls(
        figsize=(width_mm / _MM_PER_INCH, height_mm / _MM_PER_INCH), layout="constrained"
    )
    return fig


def _map_height_mm(frames: Sequence[gpd.GeoDataFrame | None], width_mm: float) -> float:
    """Height that fits the drawn extent at ``width_mm``, plus room for title and legend."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return width_mm
    b = np.array(boxes)
    dx = max(b[:, 2].max() - b[:, 0].min(), 1.0)
    dy = max(b[:, 3].max() - b[:, 1].min(), 1.0)
    return float(np.clip(width_mm * dy / dx + 45.0, 60.0, 250.0))


def _map_legend(fig: Any, handles: list, title: str) -> None:
    """Place the legend below the map, outside it, so it never hides a ward."""
    fig.legend(
        handles=handles,
        title=title,
        loc="outside lower center",
        ncols=min(3, max(1, len(handles))),
        fontsize=7,
        title_fontsize=8,
        frameon=False,
    )


def _map_axes(fig: Any, title: str | None) -> Any:
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=11, x=0.02, ha="left")
    return ax


def _wards_27700(wards: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if wards is None:
        return None
    return to_working_crs(wards, argument="wards", check_bounds=False)


def _outline_and_label(ax: Any, wards: gpd.GeoDataFrame | None, label_wards: bool | None) -> None:
    """Ward outlines, and ward names at a point inside each ward (few wards, or when asked)."""
    if wards is None or not len(wards):
        return
    wards.boundary.plot(ax=ax, color=_OUTLINE, linewidth=0.4)
    if label_wards is None:
        label_wards = len(wards) <= MAX_AUTO_LABELS
    if not label_wards:
        return
    names = wards["ward_name"] if "ward_name" in wards.columns else wards.index.to_series()
    points = wards.geometry.representative_point()
    # A pale box rather than a stroke path effect: stroked text is written to SVG as outlines,
    # and the names must stay editable text.
    halo = {"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.6}
    for name, pt in zip(names.astype(str), points, strict=True):
        ax.annotate(name, (pt.x, pt.y), ha="center", va="center", fontsize=5.5, bbox=halo)


def _patch(colour: str, label: str, **kwargs: Any) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor=_OUTLINE, linewidth=0.4, label=label, **kwargs)


def plot_ward_choropleth(
    wards: gpd.GeoDataFrame,
    column: str,
    *,
    title: str | None = None,
    legend_title: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    label_wards: bool | None = None,
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float | None = None,
) -> Any:
    """Draw a classed ward choropleth with ward outlines, names and a legend.

    Parameters
    ----------
    wards
        Ward polygons (any labelled CRS; drawn in EPSG:27700) with ``column``; ``ward_name``
        labels the wards (the index otherwise).
    column
        The numeric column to map (e.g. ``burglary_rate_per_1000`` or ``ratio``).
    title, legend_title
        Figure title (none by default) and legend title (default: ``column``).
    scheme, k, breaks
        Classification, as :func:`snt_geo.maps.classify_values` (default five quantile classes).
    palette
        A key of :data:`snt_geo.maps.SEQUENTIAL_PALETTES`.
    label_wards
        Write ward names: default when there are at most 40 wards.
    width_mm, height_mm
        Figure size in millimetres; default 170 wide (A4 inside 20 mm margins) and as tall as
        the area's shape needs (at most 250).

    Returns
    -------
    matplotlib.figure.Figure
        Wards without a value are grey and listed as "No data" in the legend.
    """
    areas = to_working_crs(wards, argument="wards", check_bounds=False)
    if column not in areas.columns:
        raise SchemaError(
            f"`column` {column!r} is not a column of `wards`; pick one of {list(areas.columns)}."
        )
    if palette not in SEQUENTIAL_PALETTES:
        raise ValueError(
            f"`palette` must be one of {sorted(SEQUENTIAL_PALETTES)}; got {palette!r}."
        )
    values = pd.to_numeric(areas[column], errors="coerce")
    limits, classes = classify_values(values, scheme=scheme, k=k, breaks=breaks)
    colours = np.asarray(SEQUENTIAL_PALETTES[palette])
    steps = np.linspace(1, len(colours) - 1, len(limits)).round().astype(int)
    fills = np.where(classes >= 0, colours[steps[np.maximum(classes, 0)]], _NO_DATA)
    fig = _figure(width_mm, height_mm or _map_height_mm([areas], width_mm))
    ax = _map_axes(fig, title)
    areas.plot(ax=ax, color=fills, linewidth=0)
    _outline_and_label(ax, areas, label_wards)
    lows = [float(np.nanmin(values))] + [float(x) for x in limits[:-1]]
    handles = [
        _patch(colours[steps[i]], f"{format_number(lo)} to {format_number(hi)}")
        for i, (lo, hi) in enumerate(zip(lows, limits, strict=True))
    ]
    if (classes < 0).any():
        handles.append(_patch(_NO_DATA, "No data"))
    _map_legend(fig, handles, legend_title or column)
    return fig


def plot_hotspot_map(
    cells: gpd.GeoDataFrame,
    *,
    wards: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    show_not_significant: bool = False,
    label_wards: bool | None = None,
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float | None = None,
) -> Any:
    """Gi* hot and cold spot cells over ward outlines and names.

    Parameters
    ----------
    cells
        :func:`snt_geo.linkage.find_hotspots` output (polygons with ``hotspot_class``).
    wards
        Ward polygons drawn as outlines with their names (optional).
    title
        Figure title.
    show_not_significant
        Also fill the cells that are not significant (pale); default False.
    label_wards, width_mm, height_mm
        As in :func:`plot_ward_choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
        The legend lists the classes drawn, hottest first (ArcGIS red-to-blue colours).
    """
    grid = to_working_crs(cells, argument="cells", check_bounds=False)
    if "hotspot_class" not in grid.columns:
        raise SchemaError(
            "`cells` needs a `hotspot_class` column: pass snt_geo.linkage.find_hotspots(...)."
        )
    classes = grid["hotspot_class"].astype("string")
    shown = [c for c in HOTSPOT_CLASSES if show_not_significant or c != "not_significant"]
    areas = _wards_27700(wards)
    fig = _figure(width_mm, height_mm or _map_height_mm([grid, areas], width_mm))
    ax = _map_axes(fig, title)
    handles = []
    for cls in shown:
        part = grid[(classes == cls).fillna(False).to_numpy(bool)]
        if len(part):
            part.plot(ax=ax, color=HOTSPOT_PALETTE[cls], linewidth=0)
            handles.append(_patch(HOTSPOT_PALETTE[cls], _HOTSPOT_LABELS[cls]))
    if not handles:
        handles.append(_patch("white", "No significant cells"))
    _outline_and_label(ax, areas, label_wards)
    if areas is None:
        grid.boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.1)
    _map_legend(fig, handles, "Getis-Ord Gi*")
    return fig


def plot_cluster_map(
    clusters: gpd.GeoDataFrame,
    *,
    wards: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    max_legend: int = 12,
    label_wards: bool | None = None,
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float | None = None,
) -> Any:
    """Incident clusters (hull polygons) over ward outlines, each numbered on the map.

    Parameters
    ----------
    clusters
        :func:`snt_geo.linkage.summarise_clusters` output (polygons indexed by ``cluster`` with
        ``incident_count``); noise (label -1) is not drawn.
    wards
        Ward polygons drawn as outlines with their names (optional).
    title
        Figure title.
    max_legend
        Clusters listed in the legend, largest first; default 12 (all are drawn and numbered).
    label_wards, width_mm, height_mm
        As in :func:`plot_ward_choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    hulls = to_working_crs(clusters, argument="clusters", check_bounds=False)
    if "incident_count" not in hulls.columns:
        raise SchemaError(
            "`clusters` needs an `incident_count` column: pass "
            "snt_geo.linkage.summarise_clusters(...)."
        )
    hulls = hulls[np.asarray(hulls.index) != -1]
    hulls = hulls.sort_values("incident_count", ascending=False, kind="stable")
    areas = _wards_27700(wards)
    fig = _figure(width_mm, height_mm or _map_height_mm([hulls, areas], width_mm))
    ax = _map_axes(fig, title)
    _outline_and_label(ax, areas, label_wards)
    handles = []
    for i, (label, row) in enumerate(hulls.iterrows()):
        colour = _QUALITATIVE[i % len(_QUALITATIVE)]
        gpd.GeoSeries([row.geometry], crs=hulls.crs).plot(
            ax=ax, color=colour, alpha=0.75, edgecolor="black", linewidth=0.5
        )
        centre = row.geometry.representative_point()
        ax.annotate(
            str(label),
            (centre.x, centre.y),
            ha="center",
            va="center",
            fontsize=6,
            fontweight="bold",
        )
        if i < max_legend:
            handles.append(
                _patch(colour, f"Cluster {label}: {format_count(row['incident_count'])} incidents")
            )
    if len(hulls) > max_legend:
        handles.append(_patch("white", f"... and {len(hulls) - max_legend} more"))
    if not handles:
        handles.append(_patch("white", "No clusters"))
    _map_legend(fig, handles, "Clusters")
    return fig


def plot_assessment_map(
    assessment: Any,
    *,
    theme: str | None = None,
    title: str | None = None,
    label_wards: bool | None = None,
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float | None = None,
) -> Any:
    """Draw the briefing's map on paper: Gi* hot spots and cluster outlines over the wards.

    Parameters
    ----------
    assessment
        :func:`snt_geo.tasking.tasking_assessment` output.
    theme
        Hot spot theme drawn (one of ``assessment.hotspot_themes``); default the first.
    title
        Figure title; default "Hot spots and clusters: <theme>".
    label_wards, width_mm, height_mm
        As in :func:`plot_ward_choropleth`.

    Returns
    -------
    matplotlib.figure.Figure
        Hot cells (90/95/99%) filled, the theme's incident clusters outlined in black, ward
        outlines and names; the legend lists what is drawn. The static stand-in for the live
        map in the printed briefing.
    """
    themes = tuple(assessment.hotspot_themes)
    if theme is None:
        theme = themes[0] if themes else None
    elif theme not in themes:
        raise ValueError(f"`theme` must be one of {list(themes)}; got {theme!r}.")
    areas = _wards_27700(assessment.wards)
    cells = assessment.hotspots.get(theme) if theme is not None else None
    clusters = assessment.clusters
    if theme is not None and len(clusters) and "theme" in clusters.columns:
        clusters = clusters[clusters["theme"].astype(str) == theme]
    from snt_geo._labels import theme_label

    label = theme_label(theme, assessment.themes) if theme is not None else "no theme"
    fig = _figure(width_mm, height_mm or _map_height_mm([areas], width_mm))
    ax = _map_axes(fig, title or f"Hot spots and clusters: {label}")
    handles = []
    if cells is not None and len(cells):
        grid = to_working_crs(cells, argument="cells", check_bounds=False)
        classes = grid["hotspot_class"].astype("string")
        for cls in ("hot_99", "hot_95", "hot_90"):
            part = grid[(classes == cls).fillna(False).to_numpy(bool)]
            if len(part):
                part.plot(ax=ax, color=HOTSPOT_PALETTE[cls], linewidth=0)
                handles.append(_patch(HOTSPOT_PALETTE[cls], _HOTSPOT_LABELS[cls]))
    if len(clusters):
        hulls = to_working_crs(clusters, argument="clusters", check_bounds=False)
        hulls.boundary.plot(ax=ax, color="black", linewidth=0.8)
        handles.append(_patch("none", f"Incident cluster ({format_count(len(hulls))})"))
    _outline_and_label(ax, areas, label_wards)
    if not handles:
        handles.append(_patch("white", "No hot spot or cluster"))
    _map_legend(fig, handles, f"Gi* hot spots and DBSCAN clusters, {label}")
    return fig


def plot_monthly_trend(
    monthly: pd.DataFrame | pd.Series,
    *,
    title: str | None = None,
    ylabel: str = "Incidents",
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float = 80.0,
) -> Any:
    """Monthly counts with the expected count and its prediction band.

    Parameters
    ----------
    monthly
        Indexed by month (``pandas.Period`` or ``"YYYY-MM"``), with ``incident_count`` and
        optionally ``expected_count``, ``expected_lower``, ``expected_upper`` and ``fitted``: one
        ward and theme of :attr:`snt_geo.profile.WardExceptions.monthly`, e.g.
        ``result.monthly.loc[("E05000138", "burglary")]``. A Series is taken as the counts.
    title, ylabel
        Chart title and y-axis label.
    width_mm, height_mm
        Figure size in millimetres; default 170 x 80.

    Returns
    -------
    matplotlib.figure.Figure
        The legend says "Recorded", "Expected" and the band's level (from the method record,
        when the frame carries one); a tested month (``fitted`` False) is ringed.
    """
    frame = monthly.to_frame("incident_count") if isinstance(monthly, pd.Series) else monthly
    if "incident_count" not in frame.columns:
        raise SchemaError(
            "`monthly` needs an `incident_count` column (and optionally expected_count, "
            "expected_lower, expected_upper): pass WardExceptions.monthly.loc[(ward, theme)]."
        )
    months = pd.PeriodIndex(frame.index.astype(str), freq="M")
    # Months absent from the frame (no data) stay gaps in the lines, never joined across.
    full = pd.period_range(months.min(), months.max(), freq="M")
    attrs = dict(frame.attrs)
    frame = frame.set_axis(months).reindex(full)
    frame.attrs = attrs
    x = full.to_timestamp().to_numpy()
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot()
    if {"expected_lower", "expected_upper"} <= set(frame.columns):
        method = frame.attrs.get("method")
        level = getattr(method, "interval_level", None)
        band = f"Expected range ({level:.0%})" if level else "Expected range"
        ax.fill_between(
            x,
            frame["expected_lower"],
            frame["expected_upper"],
            color="#c6dbef",
            label=band,
            step=None,
        )
    if "expected_count" in frame.columns:
        ax.plot(
            x,
            frame["expected_count"],
            color="#2171b5",
            linestyle="--",
            linewidth=1.2,
            label="Expected",
        )
    ax.plot(
        x,
        frame["incident_count"],
        color="black",
        marker="o",
        markersize=3,
        linewidth=1.2,
        label="Recorded",
    )
    if "fitted" in frame.columns:
        tested = frame["fitted"].eq(False).to_numpy(bool)
        if tested.any():
            ax.scatter(
                x[tested],
                frame["incident_count"].to_numpy()[tested],
                s=60,
                facecolors="none",
                edgecolors="#d62f27",
                linewidths=1.5,
                label="Month tested",
                zorder=3,
            )
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="upper left", frameon=False, ncols=4)
    fig.autofmt_xdate(rotation=0, ha="center")
    return fig


def plot_time_of_day(
    time_of_day: Any,
    *,
    title: str | None = None,
    width_mm: float = A4_CONTENT_WIDTH_MM,
    height_mm: float = 70.0,
) -> Any:
    """Hour x weekday heat table; month-only data gets a figure that says there are no times.

    Parameters
    ----------
    time_of_day
        :func:`snt_geo.temporal.time_of_day` output (or its 7 x 24 ``table``).
    title
        Chart title.
    width_mm, height_mm
        Figure size in millimetres; default 170 x 70.

    Returns
    -------
    matplotlib.figure.Figure
        A heat table with a colour bar labelled "Incidents" ("Incidents (aoristic weights)" when
        windows were spread), or, without times, the reason written in place of the table.
    """
    table = getattr(time_of_day, "table", time_of_day)
    method = getattr(time_of_day, "method", None)
    if not isinstance(table, pd.DataFrame) or table.shape != (7, 24):
        raise SchemaError(
            "`time_of_day` must be snt_geo.temporal.time_of_day(...) or its 7 x 24 table."
        )
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot()
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    values = table.to_numpy(dtype=np.float64)
    if np.isnan(values).all():
        reason = getattr(method, "reason", "") or "no incident has a time of day"
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"No time-of-day table:\n{reason}.",
            ha="center",
            va="center",
            fontsize=9,
            wrap=True,
            transform=ax.transAxes,
        )
        return fig
    image = ax.imshow(values, aspect="auto", cmap="YlOrRd", interpolation="nearest")
    ax.set_yticks(range(7), [str(d) for d in table.index], fontsize=7)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=7)
    ax.set_xlabel("Hour of day (starting)", fontsize=8)
    windowed = getattr(method, "end", None) is not None
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Incidents (aoristic weights)" if windowed else "Incidents", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def save_figure(
    fig: Any, path: str | Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 200
) -> tuple[Path, ...]:
    """Write ``fig`` once per format beside ``path`` (its suffix is replaced).

    Parameters
    ----------
    fig
        A figure from this module (or any matplotlib Figure).
    path
        File path; ``"out/trend"`` writes ``out/trend.png`` and ``out/trend.svg``.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``; default PNG and SVG.
    dpi
        Resolution of raster output; default 200 (print quality at the A4 sizes above).

    Returns
    -------
    tuple of pathlib.Path
        The files written, in ``formats`` order.
    """
    matplotlib, _ = _matplotlib()
    allowed = ("png", "svg", "pdf")
    bad = [f for f in formats if f not in allowed]
    if bad or not formats:
        raise ValueError(f"`formats` must name some of {allowed}; got {list(formats)!r}.")
    base = Path(path)
    written = []
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        for fmt in formats:
            target = base.with_suffix(f".{fmt}")
            fig.savefig(target, format=fmt, dpi=dpi, facecolor="white")
            written.append(target)
    return tuple(written)
