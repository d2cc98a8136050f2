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
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element
from folium.template import Template

from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage.hotspots import HOTSPOT_CLASSES  # one definition, where it is produced
from snt_geo.maps._html import RUNTIME_CSS, RUNTIME_JS, png_data_uri, script_json

__all__ = [
    "MapLayer",
    "LayerInfo",
    "Legend",
    "LegendItem",
    "HOTSPOT_CLASSES",
    "HOTSPOT_PALETTE",
    "CANVAS_THRESHOLD",
    "CLASSIFICATION_SCHEMES",
    "SEQUENTIAL_PALETTES",
    "classify_values",
    "draw_ward_outlines",
    "draw_ward_choropleth",
    "draw_hotspot_cells",
    "draw_kde_surface",
    "draw_cluster_hulls",
    "draw_estates",
    "draw_links",
    "LINK_SHARE_CLASSES",
    "draw_priority_groups",
    "draw_priority_themes",
]

#: Decimal places kept in longitude/latitude (1e-5 degree is about 1.1 m of latitude).
COORDINATE_DECIMALS = 5

#: Drawn cells from which ``renderer="auto"`` paints on a canvas instead of one SVG path each.
CANVAS_THRESHOLD = 2_000

#: Fixed palette for Gi* classes (the red-to-blue convention of ArcGIS "Hot Spot Analysis").
HOTSPOT_PALETTE = {
    "hot_99": "#d62f27",
    "hot_95": "#ed7551",
    "hot_90": "#fab984",
    "not_significant": "#f2f2ee",
    "cold_90": "#b5c8e0",
    "cold_95": "#7599c7",
    "cold_99": "#4575b5",
}

_HOTSPOT_LABELS = {
    "hot_99": "Hot spot, 99% confidence",
    "hot_95": "Hot spot, 95% confidence",
    "hot_90": "Hot spot, 90% confidence",
    "not_significant": "Not significant",
    "cold_90": "Cold spot, 90% confidence",
    "cold_95": "Cold spot, 95% confidence",
    "cold_99": "Cold spot, 99% confidence",
}

#: Named classification schemes accepted by :func:`classify_values`.
CLASSIFICATION_SCHEMES = ("quantiles", "equal_interval", "manual")

#: Nine-class ColorBrewer sequential palettes (Brewer, Hatchard & Harrower 2003; colorbrewer2.org).
SEQUENTIAL_PALETTES = {
    "YlOrRd": (
        "#ffffcc",
        "#ffeda0",
        "#fed976",
        "#feb24c",
        "#fd8d3c",
        "#fc4e2a",
        "#e31a1c",
        "#bd0026",
        "#800026",
    ),
    "Blues": (
        "#f7fbff",
        "#deebf7",
        "#c6dbef",
        "#9ecae1",
        "#6baed6",
        "#4292c6",
        "#2171b5",
        "#08519c",
        "#08306b",
    ),
    "Purples": (
        "#fcfbfd",
        "#efedf5",
        "#dadaeb",
        "#bcbddc",
        "#9e9ac8",
        "#807dba",
        "#6a51a3",
        "#54278f",
        "#3f007d",
    ),
    "Greens": (
        "#f7fcf5",
        "#e5f5e0",
        "#c7e9c0",
        "#a1d99b",
        "#74c476",
        "#41ab5d",
        "#238b45",
        "#006d2c",
        "#00441b",
    ),
}

#: Categorical colours (Okabe & Ito 2008, colour-blind safe), used in order for themes.
_CATEGORICAL = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#cc79a7",
    "#0072b2",
    "#d55e00",
    "#f0e442",
    "#000000",
)
_NO_DATA_COLOUR = "#bdbdbd"
_TO_LONLAT = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True)
_TO_WEB_MERCATOR = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:3857", always_xy=True)
_FROM_WEB_MERCATOR = pyproj.Transformer.from_crs("EPSG:3857", WORKING_CRS, always_xy=True)


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a colour swatch (or a line sample) and its label."""

    color: str
    label: str
    line: bool = False
    dash: bool = False
    border: str | None = None
    weight: float | None = None

    def to_json(self) -> dict:
        out: dict = {"color": self.color, "label": self.label}
        if self.line:
            out["line"] = True
        if self.weight is not None:
            out["weight"] = self.weight
        if self.dash:
            out["dash"] = True
        if self.border:
            out["border"] = self.border
        return out


@dataclass(frozen=True)
class Legend:
    """A legend box shown while its layer is on (title, rows, an optional note)."""

    title: str
    items: tuple[LegendItem, ...]
    note: str | None = None

    def to_json(self, key: str) -> dict:
        out: dict = {"key": key, "title": self.title, "items": [i.to_json() for i in self.items]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class LayerInfo:
    """What a layer drew and the automatic choices made, for the briefing's method note."""

    kind: str
    n_rows: int
    n_drawn: int
    n_not_drawn: dict[str, int] = field(default_factory=dict)
    choices: dict[str, object] = field(default_factory=dict)


_LAYER_TEMPLATE = Template(
    """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = SNT.{{ this.kind }}({{ this.payload_json }});
{% endmacro %}
"""
)


class MapLayer(folium.map.Layer):
    """A snt_geo layer: a compact data payload drawn by the snt_geo runtime, plus its legend.

    Built by the ``draw_*`` functions; not meant to be constructed directly. Add it to the map
    itself (``make_map`` does), not to a feature group: its legend attaches to its parent map. A
    folium element has one parent, so draw the layer again to show it on a second map.

    Attributes
    ----------
    title : str
        The layer name as given (plain text).
    layer_name : str
        The name shown in the layer control (HTML-escaped text).
    kind : str
        ``"vector"`` or ``"image"``: the snt_geo runtime function that draws it.
    bounds : tuple of float or None
        ``(south, west, north, east)`` in degrees (EPSG:4326), None when nothing is drawn.
    legend : Legend or None
        The legend shown while the layer is on.
    info : LayerInfo
        Rows in, features drawn, rows not drawn by reason, and automatic choices.
    """

    _template = _LAYER_TEMPLATE

    def __init__(
        self,
        *,
        name: str,
        kind: str,
        payload_json: str,
        bounds: tuple[float, float, float, float] | None,
        legend: Legend | None,
        info: LayerInfo,
        show: bool = True,
    ) -> None:
        # Leaflet's layer control inserts names as HTML, so the name is escaped here.
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "SntLayer"
        self.title = name
        self.kind = kind
        self.payload_json = payload_json
        self.bounds = bounds
        self.legend = legend
        self.info = info

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        figure.header.add_child(
            Element(f"<style>{RUNTIME_CSS}</style>\n<script>{RUNTIME_JS}</script>"),
            name="snt_runtime",
        )
        super().render(**kwargs)
        if self.legend is not None:
            spec = script_json(self.legend.to_json(self.get_name()))
            figure.script.add_child(
                Element(
                    f"SNT.legend({self._parent.get_name()}, {self.get_name()}, {spec});",
                ),
                name=self.get_name() + "_legend",
            )


# --------------------------------------------------------------------------- input checks


def _check_frame(
    frame: object, *, argument: str, required: Sequence[str], display: Sequence[str]
) -> gpd.GeoDataFrame:
    """Validate columns (collecting every problem) and return the frame in EPSG:27700."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(
            f"`{argument}` must be a GeoDataFrame; got {type(frame).__name__}. Build one with "
            "geopandas.GeoDataFrame(df, geometry=..., crs=...)."
        )
    problems = [f"missing required column {c!r}" for c in required if c not in frame.columns]
    problems += [
        f"column {c!r} is listed in tooltip/popup but is not in `{argument}`"
        for c in dict.fromkeys(display)
        if c not in frame.columns and c not in required
    ]
    if problems:
        raise SchemaError(
            f"`{argument}` cannot be drawn; it has columns {list(frame.columns)}.", problems
        )
    return to_working_crs(frame, argument=argument)


@dataclass
class _Input:
    """A frame being drawn (EPSG:27700), the columns shown, and the account of rows not drawn."""

    frame: gpd.GeoDataFrame
    argument: str
    tooltip: list[str]
    popup: list[str]
    n_rows: int
    not_drawn: dict[str, int] = field(default_factory=dict)

    def keep(self, mask: np.ndarray, *, reason: str) -> None:
        """Keep the rows where ``mask`` is True; count the others under ``reason``."""
        n = int((~mask).sum())
        if n:
            self.not_drawn[reason] = n
        self.frame = self.frame.loc[mask]

    def drop_empty(self) -> None:
        """Leave out rows with no geometry, with a warning (called from a ``draw_*`` function)."""
        empty = (self.frame.geometry.isna() | self.frame.geometry.is_empty).to_numpy()
        if empty.any():
            warnings.warn(
                f"`{self.argument}` has {int(empty.sum())} rows with no geometry; they are not "
                "drawn.",
                UserWarning,
                stacklevel=3,
            )
        self.keep(~empty, reason="no geometry")


def _checked(
    frame: object,
    *,
    argument: str,
    required: Sequence[str],
    tooltip: Sequence[str] | str | None = None,
    popup: Sequence[str] | str | None = None,
) -> _Input:
    """Check a ``draw_*`` input (see :func:`_check_frame`) and start its account of rows."""
    tooltip, popup = _as_list(tooltip, argument="tooltip"), _as_list(popup, argument="popup")
    checked = _check_frame(frame, argument=argument, required=required, display=tooltip + popup)
    return _Input(checked, argument, tooltip, popup, n_rows=len(checked))


def _as_list(cols: Sequence[str] | str | None, *, argument: str) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    out = list(cols)
    bad = [c for c in out if not isinstance(c, str)]
    if bad:
        raise TypeError(f"`{argument}` must list column names as strings; got {bad!r}.")
    return out


# --------------------------------------------------------------------------- formatting


def _format_number(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 1:
        text = f"{v:,.2f}"
    elif a >= 0.001:
        text = f"{v:.4f}"
    else:
        return f"{v:.2g}"
    return text.rstrip("0").rstrip(".")


def _display_value(v: object) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return "n/a"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        return "n/a" if math.isnan(v) else _format_number(float(v))
    if isinstance(v, list | tuple | set | frozenset | np.ndarray):
        return ", ".join(_display_value(x) for x in v)
    return str(v)


def _display_column(values: pd.Series) -> list[str]:
    return [_display_value(v) for v in values.tolist()]


def _default_label(column: str) -> str:
    return column.replace("_", " ")


# --------------------------------------------------------------------------- geometry


def _round_lonlat(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, COORDINATE_DECIMALS))


def _to_lonlat(geoms_27700: np.ndarray, *, simplify_m: float) -> np.ndarray:
    """Simplify in metres, project to EPSG:4326 and round (all vectorised)."""
    geoms = np.asarray(geoms_27700, dtype=object)
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    geoms = shapely.transform(
        geoms, lambda c: np.column_stack(_TO_LONLAT.transform(c[:, 0], c[:, 1]))
    )
    return _round_lonlat(geoms)


def _bounds(geoms_lonlat: np.ndarray) -> tuple[float, float, float, float] | None:
    if len(geoms_lonlat) == 0:
        return None
    b = shapely.total_bounds(geoms_lonlat)
    if np.isnan(b).any():
        return None
    return (float(b[1]), float(b[0]), float(b[3]), float(b[2]))


def _check_simplify(simplify_m: float) -> float:
    if not isinstance(simplify_m, int | float) or not simplify_m >= 0:
        raise ValueError(
            f"`simplify_m` must be a number of metres >= 0 (0 keeps every vertex); got "
            f"{simplify_m!r}."
        )
    return float(simplify_m)


# --------------------------------------------------------------------------- vector payload


def _vector_layer(
    src: _Input,
    *,
    name: str,
    styles: list[dict],
    style_index: np.ndarray | None,
    labels: Mapping[str, str] | None,
    legend: Legend | None,
    simplify_m: float,
    choices: dict[str, object],
    show: bool = True,
    extra_geoms: np.ndarray | None = None,
    extra_style: int | None = None,
    renderer: str = "svg",
) -> MapLayer:
    frame, tooltip, popup = src.frame, src.tooltip, src.popup
    geoms = _to_lonlat(frame.geometry.to_numpy(), simplify_m=simplify_m)
    style_idx = np.zeros(len(geoms), dtype=int) if style_index is None else np.asarray(style_index)
    if extra_geoms is not None and len(extra_geoms):
        extra = _to_lonlat(extra_geoms, simplify_m=simplify_m)
        geoms = np.concatenate([geoms, extra])
        style_idx = np.concatenate([style_idx, np.full(len(extra), extra_style, dtype=int)])
    labels = dict(labels or {})
    columns = list(dict.fromkeys(tooltip + popup))
    cols_json = [
        {"label": labels.get(c, _default_label(c)), "values": _display_column(frame[c])}
        for c in columns
    ]
    body = {
        "styles": styles,
        "style_index": style_idx.tolist() if len(styles) > 1 else None,
        "labels": [c["label"] for c in cols_json],
        "values": [c["values"] for c in cols_json],
        "tooltip": [columns.index(c) for c in tooltip],
        "popup": [columns.index(c) for c in popup],
        "canvas": renderer == "canvas",
    }
    # Geometry JSON from GEOS holds only numbers and type names, so it is safe inside <script>.
    geojson = ",".join(shapely.to_geojson(geoms).tolist()) if len(geoms) else ""
    payload = '{"g":[' + geojson + "]," + script_json(body)[1:]
    info = LayerInfo(
        kind="vector",
        n_rows=src.n_rows,
        n_drawn=len(frame),
        n_not_drawn=src.not_drawn,
        choices={
            "simplify_m": simplify_m,
            "coordinate_decimals": COORDINATE_DECIMALS,
            "renderer": renderer,
            **choices,
        },
    )
    return MapLayer(
        name=name,
        kind="vector",
        payload_json=payload,
        bounds=_bounds(geoms),
        legend=legend,
        info=info,
        show=show,
    )


def _path_style(
    *,
    color: str,
    weight: float = 1.0,
    opacity: float = 1.0,
    fill_color: str | None = None,
    fill_opacity: float = 0.0,
    dash: str | None = None,
    interactive: bool = True,
    radius: float | None = None,
) -> dict:
    style: dict = {"color": color, "weight": weight, "opacity": opacity}
    if fill_color is None and fill_opacity == 0:
        style["fill"] = fill_opacity > 0 or interactive
        style["fillOpacity"] = 0
    else:
        style["fill"] = True
        style["fillColor"] = fill_color or color
        style["fillOpacity"] = fill_opacity
    if dash:
        style["dashArray"] = dash
    if not interactive:
        style["interactive"] = False
    if radius is not None:
        style["radius"] = radius
    return style


def _filled(colour: str, *, weight: float, fill_opacity: float, **options) -> dict:
    """A path style whose outline and fill share one colour (see :func:`_path_style`)."""
    return _path_style(
        color=colour, weight=weight, fill_color=colour, fill_opacity=fill_opacity, **options
    )


# --------------------------------------------------------------------------- classification


def classify_values(
    values: pd.Series | np.ndarray,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Class limits and each value's class for a choropleth.

    Parameters
    ----------
    values
        Numbers to classify; NaN values get class -1.
    scheme
        ``"quantiles"`` (equal counts, limits at the k-quantiles, numpy's linear interpolation),
        ``"equal_interval"`` (k classes of equal width between the minimum and maximum) or
        ``"manual"`` (the upper limits given in ``breaks``).
    k
        Number of classes for the automatic schemes (2 to 9). Fewer classes result when limits
        coincide (e.g. many equal values).
    breaks
        Increasing upper class limits for ``scheme="manual"``; values above the last limit form
        one more class.

    Returns
    -------
    (limits, classes)
        ``limits``: increasing upper limits, one per class (the last is the maximum for the
        automatic schemes); ``classes``: int array, the 0-based class of each value (a value equal
        to a limit falls in that limit's class), -1 for NaN.

    Notes
    -----
    The class of ``v`` is the first limit ``>= v`` (the right-closed convention of mapclassify's
    ``Quantiles``/``EqualInterval``; Rey, Stephens & Laura 2017).
    """
    if scheme not in CLASSIFICATION_SCHEMES:
        raise ValueError(
            f"`scheme` must be one of {CLASSIFICATION_SCHEMES}; got {scheme!r}. Use "
            '"manual" with `breaks=[...]` for your own class limits.'
        )
    v = np.asarray(values, dtype="float64")
    ok = ~np.isnan(v)
    if scheme == "manual":
        if breaks is None or len(breaks) == 0:
            raise ValueError(
                '`breaks` must list increasing class limits when `scheme="manual"`; got '
                f"{breaks!r}."
            )
        limits = np.asarray(breaks, dtype="float64")
        if np.any(np.diff(limits) <= 0) or np.isnan(limits).any():
            raise ValueError(f"`breaks` must be strictly increasing numbers; got {list(breaks)}.")
        if ok.any() and v[ok].max() > limits[-1]:
            limits = np.append(limits, v[ok].max())
    else:
        if breaks is not None:
            raise ValueError(
                f'`breaks` is only used with `scheme="manual"`; got scheme={scheme!r} and '
                f'breaks={list(breaks)}. Drop `breaks` or set `scheme="manual"`.'
            )
        if not isinstance(k, int | np.integer) or not 2 <= k <= 9:
            raise ValueError(f"`k` must be an integer number of classes from 2 to 9; got {k!r}.")
        if not ok.any():
            return np.array([], dtype="float64"), np.full(len(v), -1, dtype=int)
        x = v[ok]
        if scheme == "quantiles":
            limits = np.quantile(x, np.arange(1, k + 1) / k)
        else:
            lo, hi = x.min(), x.max()
            limits = lo + (hi - lo) * np.arange(1, k + 1) / k
            limits[-1] = hi
        limits = np.unique(limits)
    classes = np.full(len(v), -1, dtype=int)
    classes[ok] = np.searchsorted(limits, v[ok], side="left")
    return limits, classes


def _palette(palette: str | Sequence[str], n: int, *, argument: str = "palette") -> list[str]:
    if isinstance(palette, str):
        if palette not in SEQUENTIAL_PALETTES:
            raise ValueError(
                f"`{argument}` must be one of {sorted(SEQUENTIAL_PALETTES)} or a list of colours; "
                f"got {palette!r}."
            )
        full = SEQUENTIAL_PALETTES[palette]
        if n == 0:
            return []
        if n == 1:
            return [full[len(full) // 2]]
        # Spread n colours over the nine, skipping the palest (too close to white on a map).
        idx = np.round(np.linspace(1, len(full) - 1, n)).astype(int)
        return [full[i] for i in idx]
    colours = list(palette)
    if len(colours) < n:
        raise ValueError(f"`{argument}` lists {len(colours)} colours but {n} classes are drawn.")
    return colours[:n]


def _theme_colours(values: pd.Series) -> tuple[list[str], dict[str, int]]:
    cats = sorted({str(v) for v in values.dropna().tolist()})
    return cats, {c: i for i, c in enumerate(cats)}


def _categorical(i: int) -> str:
    return _CATEGORICAL[i % len(_CATEGORICAL)]


# --------------------------------------------------------------------------- public layers


def draw_ward_outlines(
    wards: gpd.GeoDataFrame,
    *,
    name: str = "Ward and borough outlines",
    tooltip: Sequence[str] | None = ("ward_name", "borough_name"),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    boroughs: bool = True,
    simplify_m: float = 10.0,
) -> MapLayer:
    """Ward outlines (and borough boundaries over them): the base of every offline map.

    Parameters
    ----------
    wards
        Wards in any labelled CRS, one polygon per row (the snt_geo wards schema: index
        ``ward_code``; ``ward_name``, ``borough_code``, ``borough_name``, geometry).
    name
        Layer name shown in the layer control.
    tooltip, popup
        Columns shown on hover / on click, in this order; nothing else is written to the page.
    labels
        Display labels by column name (default: the name with spaces for underscores).
    boroughs
        Also draw borough boundaries (wards dissolved by ``borough_code``) as heavier lines in a
        pane above the other layers; needs a ``borough_code`` column.
    simplify_m
        Douglas-Peucker tolerance in metres, applied in EPSG:27700 (0 keeps every vertex).

    Returns
    -------
    MapLayer
        Thin grey ward lines with transparent fill (hover shows the tooltip), plus borough lines.

    Raises
    ------
    SchemaError
        When a listed column is missing. ``CRSError`` when ``wards`` has no CRS.
    """
    simplify_m = _check_simplify(simplify_m)
    required = ["borough_code"] if boroughs else []
    src = _checked(wards, argument="wards", required=required, tooltip=tooltip, popup=popup)
    src.drop_empty()
    frame = src.frame
    styles = [
        _path_style(color="#555555", weight=1.0, opacity=0.8, fill_opacity=0.0),
        {
            **_path_style(color="#222222", weight=2.5, opacity=0.9, interactive=False),
            "pane": "sntTop",
        },
    ]
    extra = None
    if boroughs and len(frame):
        dissolved = frame[["borough_code", "geometry"]].dissolve(by="borough_code")
        extra = shapely.boundary(dissolved.geometry.to_numpy())
    legend = Legend(
        title="Outlines",
        items=(
            LegendItem("#555555", "Ward", line=True),
            *((LegendItem("#222222", "Borough", line=True),) if boroughs else ()),
        ),
    )
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=None,
        labels=labels,
        legend=legend,
        simplify_m=simplify_m,
        choices={"boroughs": boroughs},
        extra_geoms=extra,
        extra_style=1,
    )


def draw_ward_choropleth(
    wards: gpd.GeoDataFrame,
    *,
    column: str,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str | Sequence[str] = "YlOrRd",
    name: str | None = None,
    legend_title: str | None = None,
    tooltip: Sequence[str] | None = None,
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.7,
    simplify_m: float = 10.0,
    show: bool = True,
) -> MapLayer:
    """Wards shaded by any numeric column, with a named classification scheme and a legend.

    Parameters
    ----------
    wards
        Ward polygons in any labelled CRS carrying ``column`` (e.g. a ward profile joined to the
        wards: ``burglary_rate_per_1000``).
    column
        The numeric column to map. Missing values are drawn grey as "no data".
    scheme, k, breaks
        Classification, see :func:`classify_values` (default: 5 quantile classes).
    palette
        A name from :data:`SEQUENTIAL_PALETTES` (default ``"YlOrRd"``) or a list of colours,
        lightest first.
    name
        Layer name; default ``column`` with spaces.
    legend_title
        Legend heading; default the layer name. The scheme is named in the legend note.
    tooltip, popup
        Columns shown on hover / on click; default tooltip ``("ward_name", column)`` when
        ``ward_name`` exists, else ``(column,)``.
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
        ``info.choices`` records ``scheme``, ``k``, ``limits`` (upper class limits) and
        ``counts`` (wards per class).
    """
    if not isinstance(column, str):
        raise TypeError(f"`column` must be a column name; got {column!r}.")
    if tooltip is None:
        has_name = isinstance(wards, pd.DataFrame) and "ward_name" in wards.columns
        tooltip = ["ward_name", column] if has_name and column != "ward_name" else [column]
    simplify_m = _check_simplify(simplify_m)
    src = _checked(wards, argument="wards", required=[column], tooltip=tooltip, popup=popup)
    frame = src.frame
    if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
        frame[column]
    ):
        raise SchemaError(
            f"`column` {column!r} must be numeric to draw a choropleth.",
            [f"column {column!r} has dtype {frame[column].dtype}"],
        )
    src.drop_empty()
    frame = src.frame
    values = frame[column].astype("float64").to_numpy()
    limits, classes = classify_values(values, scheme=scheme, k=k, breaks=breaks)
    colours = _palette(palette, len(limits))
    styles = [
        _path_style(color="#666666", weight=0.6, fill_color=c, fill_opacity=fill_opacity)
        for c in colours
    ]
    styles.append(
        _path_style(color="#666666", weight=0.6, fill_color=_NO_DATA_COLOUR, fill_opacity=0.5)
    )
    style_index = np.where(classes < 0, len(colours), classes)
    counts = np.bincount(classes[classes >= 0], minlength=len(limits)).tolist()
    finite = values[~np.isnan(values)]
    lowers = [float(finite.min()) if len(finite) else math.nan] + limits[:-1].tolist()
    items = []
    for i, colour in enumerate(colours):
        lo = _format_number(lowers[i]) if i == 0 else "> " + _format_number(lowers[i])
        items.append(
            LegendItem(colour, f"{lo} to {_format_number(float(limits[i]))} ({counts[i]})")
        )
    n_missing = int(np.isnan(values).sum())
    if n_missing:
        items.append(LegendItem(_NO_DATA_COLOUR, f"No data ({n_missing})"))
    layer_name = name or _default_label(column)
    scheme_text = {"quantiles": "quantiles", "equal_interval": "equal intervals"}.get(
        scheme, "manual breaks"
    )
    legend = Legend(
        title=legend_title or layer_name,
        items=tuple(items),
        note=f"{len(limits)} classes, {scheme_text}; (n) = wards",
    )
    return _vector_layer(
        src,
        name=layer_name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=legend,
        simplify_m=simplify_m,
        choices={
            "column": column,
            "scheme": scheme,
            "k": k,
            "limits": [float(x) for x in limits],
            "counts": counts,
            "n_missing": n_missing,
        },
        show=show,
    )


def draw_hotspot_cells(
    cells: gpd.GeoDataFrame,
    *,
    name: str = "Hotspots (Gi*)",
    tooltip: Sequence[str] | None = ("hotspot_class", "incident_count", "gi_star_z", "p_value"),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    show_not_significant: bool = False,
    fill_opacity: float = 0.75,
    renderer: str = "auto",
    show: bool = True,
) -> MapLayer:
    """Gi* grid cells coloured by ``hotspot_class`` with the fixed :data:`HOTSPOT_PALETTE`.

    Parameters
    ----------
    cells
        Cell polygons in any labelled CRS with ``hotspot_class`` (one of :data:`HOTSPOT_CLASSES`)
        and, for the default tooltip, ``incident_count``, ``gi_star_z``, ``p_value``.
    name
        Layer name.
    tooltip, popup
        Columns shown on hover / on click.
    labels
        Display labels by column name.
    show_not_significant
        Draw ``not_significant`` cells too (pale grey). Default False: over a borough they are
        most of the cells and most of the file size; the legend says they are not drawn.
    fill_opacity
        Fill opacity from 0 to 1.
    renderer
        ``"svg"`` (one DOM path per cell), ``"canvas"`` (all cells painted on one canvas; much
        faster to open with thousands of cells; hover and click still work) or ``"auto"``
        (default): SVG below :data:`CANVAS_THRESHOLD` drawn cells, canvas from there up.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    MapLayer
        ``info.choices["renderer"]`` records the renderer used. ``info.n_not_drawn`` counts cells
        left out (``"not significant"``, ``"no geometry"``);
        ``info.choices["counts"]`` gives cells per class.

    Raises
    ------
    SchemaError
        When ``hotspot_class`` is missing or holds a value outside :data:`HOTSPOT_CLASSES`.

    Notes
    -----
    Classes come from the Getis-Ord Gi* z-scores (Ord & Getis 1995) as computed upstream; this
    function only draws them.
    """
    src = _checked(
        cells, argument="cells", required=["hotspot_class"], tooltip=tooltip, popup=popup
    )
    cls = src.frame["hotspot_class"].astype("string")
    unknown = sorted(set(cls.dropna().unique()) - set(HOTSPOT_CLASSES))
    if unknown or cls.isna().any():
        problems = [f"unknown hotspot_class values {unknown}"] if unknown else []
        if cls.isna().any():
            problems.append(f"{int(cls.isna().sum())} rows have no hotspot_class")
        raise SchemaError(
            f"`cells` column 'hotspot_class' must hold only {list(HOTSPOT_CLASSES)}.", problems
        )
    counts = {c: int((cls == c).sum()) for c in HOTSPOT_CLASSES}
    if not show_not_significant:
        src.keep((cls != "not_significant").to_numpy(), reason="not significant")
    src.drop_empty()
    frame = src.frame
    order = {c: i for i, c in enumerate(HOTSPOT_CLASSES)}
    styles = [
        _filled(HOTSPOT_PALETTE[c], weight=0.5, fill_opacity=fill_opacity) for c in HOTSPOT_CLASSES
    ]
    style_index = frame["hotspot_class"].astype("string").map(order).to_numpy(dtype=int)
    shown = [c for c in HOTSPOT_CLASSES if show_not_significant or c != "not_significant"]
    items = tuple(
        LegendItem(HOTSPOT_PALETTE[c], f"{_HOTSPOT_LABELS[c]} ({counts[c]:,})") for c in shown
    )
    note = "(n) = cells"
    if not show_not_significant:
        note = f"{counts['not_significant']:,} not-significant cells not drawn; (n) = cells"
    labels = {
        "hotspot_class": "class",
        "gi_star_z": "Gi* z",
        "p_value": "p-value",
        **(labels or {}),
    }
    if renderer not in ("auto", "svg", "canvas"):
        raise ValueError(f'`renderer` must be "auto", "svg" or "canvas"; got {renderer!r}.')
    if renderer == "auto":
        renderer = "canvas" if len(frame) >= CANVAS_THRESHOLD else "svg"
    if "hotspot_class" in src.tooltip + src.popup:
        # Shown in words ("Hot spot, 99% confidence"), as in the legend.
        words = frame["hotspot_class"].astype("string").map(_HOTSPOT_LABELS)
        src.frame = frame.assign(hotspot_class=words)
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=Legend(title="Gi* hotspots", items=items, note=note),
        simplify_m=0.0,
        choices={"show_not_significant": show_not_significant, "counts": counts},
        renderer=renderer,
        show=show,
    )


def _regular_grid(geoms: np.ndarray) -> tuple[float, float, float] | None:
    """(cell_size_m, x0, y0) when every cell is the same axis-aligned square, else None."""
    b = shapely.bounds(geoms)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    size = float(np.median(w))
    if size <= 0:
        return None
    tol = 1e-6 * size
    area = shapely.area(geoms)
    same = (np.abs(w - size) < tol) & (np.abs(h - size) < tol)
    square = np.abs(area - size * size) < 1e-4 * size * size
    if not (same.all() and square.all()):
        return None
    x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
    # Cells must sit on one lattice (origins a whole number of cells apart).
    fx, fy = (b[:, 0] - x0) / size, (b[:, 1] - y0) / size
    if np.abs(fx - np.round(fx)).max() > 1e-6 or np.abs(fy - np.round(fy)).max() > 1e-6:
        return None
    return size, x0, y0


def draw_kde_surface(
    cells: gpd.GeoDataFrame,
    *,
    column: str = "density_per_km2",
    name: str = "Incident density (KDE)",
    palette: str = "YlOrRd",
    opacity: float = 0.75,
    max_pixels: int = 1_500_000,
    show: bool = True,
) -> MapLayer:
    """A kernel density surface drawn as one PNG image over the map.

    Parameters
    ----------
    cells
        KDE grid cells (polygons, any labelled CRS) with the density ``column``. Regular square
        grids are rasterised by index arithmetic; other cell shapes by point-in-polygon lookup.
    column
        Density per square kilometre. Cells with 0, negative or missing density are transparent.
    name
        Layer name.
    palette
        A name from :data:`SEQUENTIAL_PALETTES`.
    opacity
        Image opacity from 0 to 1.
    max_pixels
        Cap on the image's pixel count; the pixel size grows to respect it.

    Returns
    -------
    MapLayer
        An image overlay. ``info.choices`` records ``pixel_size_m`` (at the map centre),
        ``image_shape`` (rows, columns), ``vmax`` (the density given the darkest colour) and
        ``grid`` (``"regular"`` or ``"polygons"``).

    Notes
    -----
    The image is resampled onto a Web Mercator (EPSG:3857) pixel grid, the projection Leaflet
    displays, by nearest neighbour: each pixel takes the density of the cell containing its
    centre. Pixels are about half a cell wide, so a cell edge is placed to within half a pixel.
    Colour is linear in density from 0 to the maximum.
    """
    if not isinstance(max_pixels, int | np.integer) or max_pixels < 100:
        raise ValueError(f"`max_pixels` must be an integer >= 100; got {max_pixels!r}.")
    if not 0 <= opacity <= 1:
        raise ValueError(f"`opacity` must be between 0 and 1; got {opacity!r}.")
    src = _checked(cells, argument="cells", required=[column])
    src.drop_empty()
    frame, n_rows = src.frame, src.n_rows
    values = frame[column].astype("float64").to_numpy()
    positive = np.nan_to_num(values, nan=0.0) > 0
    ramp = SEQUENTIAL_PALETTES.get(palette) if isinstance(palette, str) else None
    if ramp is None:
        raise ValueError(
            f"`palette` must be one of {sorted(SEQUENTIAL_PALETTES)}; got {palette!r}."
        )
    geoms = frame.geometry.to_numpy()
    not_drawn = src.not_drawn
    if not positive.any():
        not_drawn["zero or missing density"] = int((~positive).sum())
        # Nothing to paint: an empty vector layer keeps the layer control entry harmless.
        info = LayerInfo("image", n_rows, 0, not_drawn, {"column": column})
        empty = {"g": [], "styles": [{}], "labels": [], "values": [], "tooltip": [], "popup": []}
        return MapLayer(
            name=name,
            kind="vector",
            payload_json=script_json(empty),
            bounds=None,
            legend=None,
            info=info,
            show=show,
        )
    geoms, values = geoms[positive], values[positive]
    grid = _regular_grid(geoms)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    # Image extent in Web Mercator, from the densified outline of the cells' bounding box.
    box = shapely.segmentize(shapely.box(xmin, ymin, xmax, ymax), (xmax - xmin) / 20 or 1)
    bx, by = np.asarray(box.exterior.coords).T
    mx, my = _TO_WEB_MERCATOR.transform(bx, by)
    mx0, mx1, my0, my1 = mx.min(), mx.max(), my.min(), my.max()
    cell_m = grid[0] if grid else float(np.sqrt(np.median(shapely.area(geoms))))
    scale = (mx1 - mx0) / (xmax - xmin)  # Mercator metres per ground metre here
    pixel = cell_m * scale / 2
    n_px = (mx1 - mx0) / pixel * (my1 - my0) / pixel
    if n_px > max_pixels:
        pixel *= math.sqrt(n_px / max_pixels)
    ncols = max(1, round((mx1 - mx0) / pixel))
    nrows = max(1, round((my1 - my0) / pixel))
    px = mx0 + (np.arange(ncols) + 0.5) * (mx1 - mx0) / ncols
    py = my1 - (np.arange(nrows) + 0.5) * (my1 - my0) / nrows  # row 0 is the north edge
    gx, gy = np.meshgrid(px, py)
    ex, ey = _FROM_WEB_MERCATOR.transform(gx.ravel(), gy.ravel())
    pixel_value = np.zeros(ex.size)
    if grid:
        size, x0, y0 = grid
        b = shapely.bounds(geoms)
        ci = np.round((b[:, 0] - x0) / size).astype(np.int64)
        cj = np.round((b[:, 1] - y0) / size).astype(np.int64)
        lattice = np.zeros((cj.max() + 1, ci.max() + 1))
        lattice[cj, ci] = values
        i = np.floor((ex - x0) / size).astype(np.int64)
        j = np.floor((ey - y0) / size).astype(np.int64)
        inside = (i >= 0) & (j >= 0) & (i < lattice.shape[1]) & (j < lattice.shape[0])
        pixel_value[inside] = lattice[j[inside], i[inside]]
    else:
        pts = shapely.points(ex, ey)
        tree = shapely.STRtree(geoms)
        p_idx, c_idx = tree.query(pts, predicate="intersects")
        pixel_value[p_idx] = values[c_idx]
    vmax = float(values.max())
    t = np.clip(pixel_value / vmax, 0, 1)
    stops = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for c in ramp], dtype=float)
    pos = np.linspace(0, 1, len(stops))
    rgba = np.zeros((ex.size, 4), dtype=np.uint8)
    for ch in range(3):
        rgba[:, ch] = np.round(np.interp(t, pos, stops[:, ch]))
    # Low densities fade out so outlines stay visible under the surface.
    rgba[:, 3] = np.where(pixel_value > 0, np.round(90 + 165 * t), 0)
    url = png_data_uri(rgba.reshape(nrows, ncols, 4))
    (w, e), (s, n) = _WEB_MERCATOR_TO_LONLAT.transform([mx0, mx1], [my0, my1])
    bounds = (
        round(float(s), COORDINATE_DECIMALS),
        round(float(w), COORDINATE_DECIMALS),
        round(float(n), COORDINATE_DECIMALS),
        round(float(e), COORDINATE_DECIMALS),
    )
    payload = script_json(
        {"url": url, "bounds": [[bounds[0], bounds[1]], [bounds[2], bounds[3]]], "opacity": opacity}
    )
    items = tuple(
        LegendItem(
            "#{:02x}{:02x}{:02x}".format(
                *(int(round(np.interp(f, pos, stops[:, c]))) for c in range(3))
            ),
            f"{_format_number(f * vmax)}",
        )
        for f in (0.2, 0.4, 0.6, 0.8, 1.0)
    )
    legend = Legend(title=f"{name}", items=items, note=f"{_default_label(column)}; linear scale")
    n_zero = int((~positive).sum())
    if n_zero:
        not_drawn["zero or missing density"] = n_zero
    info = LayerInfo(
        kind="image",
        n_rows=n_rows,
        n_drawn=int(positive.sum()),
        n_not_drawn=not_drawn,
        choices={
            "column": column,
            "grid": "regular" if grid else "polygons",
            "cell_size_m": cell_m,
            "pixel_size_m": float((mx1 - mx0) / ncols / scale),
            "image_shape": (nrows, ncols),
            "vmax": vmax,
            "png_bytes": len(url),
        },
    )
    return MapLayer(
        name=name,
        kind="image",
        payload_json=payload,
        bounds=bounds,
        legend=legend,
        info=info,
        show=show,
    )


_WEB_MERCATOR_TO_LONLAT = pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def _themed_polygons(
    frame: gpd.GeoDataFrame,
    *,
    theme_column: str,
    dashed: np.ndarray | None = None,
    fill_opacity: float,
    weight: float,
    colors: Mapping[str, str] | None = None,
) -> tuple[list[dict], np.ndarray, list[LegendItem]]:
    themes, index = _theme_colours(frame[theme_column])
    styles, items = [], []
    for i, t in enumerate(themes):
        colour = colors[t] if colors and t in colors else _categorical(i)
        styles.append(_filled(colour, weight=weight, fill_opacity=fill_opacity))
        styles.append(_filled(colour, weight=weight + 1.5, fill_opacity=fill_opacity, dash="6 4"))
        items.append(LegendItem(colour, t))
    styles.append(_filled(_NO_DATA_COLOUR, weight=weight, fill_opacity=fill_opacity))
    codes = frame[theme_column].map(lambda v: index.get(str(v), -1) if pd.notna(v) else -1)
    codes = codes.to_numpy(dtype=int)
    dash = np.zeros(len(frame), dtype=int) if dashed is None else dashed.astype(int)
    style_index = np.where(codes < 0, len(styles) - 1, codes * 2 + dash)
    if (codes < 0).any():
        items.append(LegendItem(_NO_DATA_COLOUR, "no theme"))
    return styles, style_index, items


def draw_cluster_hulls(
    hulls: gpd.GeoDataFrame,
    *,
    name: str = "Incident clusters",
    tooltip: Sequence[str] | None = ("dominant_theme", "incident_count"),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.25,
    simplify_m: float = 0.0,
    show: bool = True,
) -> MapLayer:
    """Cluster hulls (one polygon per cluster) coloured by ``dominant_theme``.

    Parameters
    ----------
    hulls
        One row per cluster: polygons in any labelled CRS with ``dominant_theme`` and
        ``incident_count``.
    name, tooltip, popup, labels, fill_opacity, simplify_m, show
        As for :func:`draw_ward_choropleth`.

    Returns
    -------
    MapLayer
        Theme colours follow the sorted theme names through a colour-blind-safe palette
        (Okabe & Ito 2008); the legend lists them.
    """
    simplify_m = _check_simplify(simplify_m)
    src = _checked(
        hulls, argument="hulls", required=["dominant_theme"], tooltip=tooltip, popup=popup
    )
    src.drop_empty()
    frame = src.frame
    styles, style_index, items = _themed_polygons(
        frame, theme_column="dominant_theme", fill_opacity=fill_opacity, weight=2.0
    )
    labels = {"dominant_theme": "theme", **(labels or {})}
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=Legend(title="Clusters by dominant theme", items=tuple(items)),
        simplify_m=simplify_m,
        choices={},
        show=show,
    )


def draw_estates(
    estates: gpd.GeoDataFrame,
    *,
    name: str = "Estates",
    tooltip: Sequence[str] | None = ("name",),
    popup: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    color: str = "#6a3d9a",
    point_radius_px: float = 6.0,
    simplify_m: float = 0.0,
    show: bool = True,
) -> MapLayer:
    """Housing estates as outlined polygons or as circle markers for points.

    Parameters
    ----------
    estates
        Estates in any labelled CRS with a ``name`` column; polygons, points, or a mix.
    color
        Outline colour (a CSS colour).
    point_radius_px
        Circle marker radius in screen pixels for point estates.
    name, tooltip, popup, labels, simplify_m, show
        As for :func:`draw_ward_choropleth`.

    Returns
    -------
    MapLayer
    """
    simplify_m = _check_simplify(simplify_m)
    src = _checked(estates, argument="estates", required=["name"], tooltip=tooltip, popup=popup)
    src.drop_empty()
    frame = src.frame
    styles = [
        _filled(color, weight=2.0, fill_opacity=0.15),
        _filled(color, weight=2.0, fill_opacity=0.6, radius=point_radius_px),
    ]
    kinds = shapely.get_type_id(frame.geometry.to_numpy())
    style_index = np.where(np.isin(kinds, [0, 4]), 1, 0)
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=Legend(title="Estates", items=(LegendItem(color + "55", "Estate", border=color),)),
        simplify_m=simplify_m,
        choices={},
        show=show,
    )


#: Link widths by ``hotspot_weight_share`` (upper class limits, screen px, opacity).
LINK_SHARE_CLASSES = ((0.05, 1.5, 0.45), (0.10, 3.0, 0.6), (0.20, 5.0, 0.75), (1.0, 8.0, 0.9))

_SIGNIFICANT_COLOUR = "#b2182b"
_NOT_SIGNIFICANT_COLOUR = "#8c8c8c"


def draw_links(
    links: gpd.GeoDataFrame,
    *,
    name: str = "ASB to street-crime links",
    tooltip: Sequence[str] | None = ("estate",),
    popup: Sequence[str] | None = ("estate", "explanation", "p_value"),
    labels: Mapping[str, str] | None = None,
    share_column: str = "hotspot_weight_share",
    min_share: float = 0.0,
    show: bool = True,
) -> MapLayer:
    """Links as lines with popups: solid red when ``significant``, dashed grey otherwise.

    Parameters
    ----------
    links
        LineStrings in any labelled CRS with ``significant`` (bool) and, for the default
        tooltip/popup, ``estate``, ``explanation`` and ``p_value`` (the output of
        :func:`snt_geo.linkage.links.link_asb_to_street_crime` has them all).
    name, tooltip, popup, labels, show
        As for :func:`draw_ward_choropleth`.
    share_column
        Share (0 to 1) of the estate's nearby street crime held by the link's hotspot (default
        ``"hotspot_weight_share"``). When the column is present, line width and opacity grow
        with it in the classes of :data:`LINK_SHARE_CLASSES` (below 5%, 5-10%, 10-20%, 20% and
        over), so the hotspots that matter stand out among an estate's candidates; when absent,
        every line has one width.
    min_share
        Draw only links whose share is at least this (default 0: all); the others are counted
        in ``info.n_not_drawn["share below min_share"]`` (keep them in a table beside the map).
        Needs ``share_column``.

    Returns
    -------
    MapLayer
        ``info.choices`` records ``n_significant`` (drawn significant links), ``share_column``
        (None when absent) and ``min_share``.

    Notes
    -----
    Significance from :func:`~snt_geo.linkage.links.link_asb_to_street_crime` is per estate (one
    co-location test per estate), so every candidate hotspot of a significant estate is drawn
    red; the width, from the hotspot's share, says which of them carry the link.
    """
    if not isinstance(min_share, int | float) or not 0 <= min_share <= 1:
        raise ValueError(f"`min_share` must be a share from 0 to 1; got {min_share!r}.")
    required = ["significant"] + ([share_column] if min_share > 0 else [])
    src = _checked(links, argument="links", required=required, tooltip=tooltip, popup=popup)
    frame = src.frame
    bad = [v for v in frame["significant"].tolist() if not isinstance(v, bool | np.bool_)]
    if bad:
        raise SchemaError(
            "`links` column 'significant' must hold True/False.", [f"values such as {bad[:3]!r}"]
        )
    has_share = share_column in frame.columns
    if min_share > 0:
        share = frame[share_column].astype("float64").fillna(0.0).to_numpy()
        src.keep(share >= min_share, reason="share below min_share")
    src.drop_empty()
    frame = src.frame
    significant = frame["significant"].to_numpy(dtype=bool)
    n_sig, n_not = int(significant.sum()), int((~significant).sum())
    if has_share:
        share = frame[share_column].astype("float64").fillna(0.0).to_numpy()
        limits = np.array([c[0] for c in LINK_SHARE_CLASSES])
        klass = np.minimum(np.searchsorted(limits, share, side="right"), len(limits) - 1)
        styles = [
            _line_style(sig, weight=w, opacity=o)
            for sig in (False, True)
            for _, w, o in LINK_SHARE_CLASSES
        ]
        style_index = significant.astype(int) * len(LINK_SHARE_CLASSES) + klass
        lows = [0.0] + [c[0] for c in LINK_SHARE_CLASSES[:-1]]
        widths = tuple(
            LegendItem(
                _SIGNIFICANT_COLOUR,
                f"{lo:.0%}" + (f" to {hi:.0%}" if hi < 1 else " and over"),
                line=True,
                weight=w,
            )
            for lo, (hi, w, _) in zip(lows, LINK_SHARE_CLASSES, strict=True)
            if hi > min_share
        )
        note = (
            "Width: the hotspot's share of the street crime near the estate's ASB. Red: the "
            "estate's co-location test is significant (one test per estate)."
        )
        if min_share > 0:
            note += f" Links under {min_share:.0%} are not drawn."
    else:
        styles = [_line_style(False, weight=2.0, opacity=0.8), _line_style(True, 3.5, 0.9)]
        style_index = significant.astype(int)
        widths, note = (), None
    legend = Legend(
        title="Links",
        items=(
            LegendItem(_SIGNIFICANT_COLOUR, f"Significant ({n_sig})", line=True),
            LegendItem(_NOT_SIGNIFICANT_COLOUR, f"Not significant ({n_not})", line=True, dash=True),
            *widths,
        ),
        note=note,
    )
    labels = {"p_value": "p-value", share_column: "hotspot share", **(labels or {})}
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=legend,
        simplify_m=0.0,
        choices={
            "n_significant": n_sig,
            "share_column": share_column if has_share else None,
            "min_share": float(min_share),
        },
        show=show,
    )


def _line_style(significant: bool, weight: float, opacity: float) -> dict:
    if significant:
        style = _path_style(color=_SIGNIFICANT_COLOUR, weight=weight, opacity=opacity)
    else:
        style = _path_style(
            color=_NOT_SIGNIFICANT_COLOUR, weight=weight, opacity=opacity, dash="5 5"
        )
    return {**style, "fill": False}


def draw_priority_groups(
    groups: gpd.GeoDataFrame,
    *,
    name: str = "Shared priorities",
    tooltip: Sequence[str] | None = ("theme", "n_wards", "cross_borough"),
    popup: Sequence[str] | None = ("theme", "n_wards", "ward_codes", "cross_borough"),
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.3,
    simplify_m: float = 10.0,
    show: bool = True,
    colors: Mapping[str, str] | None = None,
    legend_title: str = "Shared priorities by theme",
) -> MapLayer:
    """Groups of wards sharing a priority, coloured by ``theme``; cross-borough groups dashed.

    Parameters
    ----------
    groups
        Polygons in any labelled CRS with ``theme`` and ``cross_borough`` (bool), and for the
        default tooltip/popup ``n_wards`` and ``ward_codes`` (a list, shown comma-separated).
    name, tooltip, popup, labels, fill_opacity, simplify_m, show
        As for :func:`draw_ward_choropleth`.
    colors
        CSS colour by theme name; default: the sorted themes through a colour-blind-safe palette
        (Okabe & Ito 2008).
    legend_title
        Legend heading.

    Returns
    -------
    MapLayer
    """
    simplify_m = _check_simplify(simplify_m)
    required = ["theme", "cross_borough"]
    src = _checked(groups, argument="groups", required=required, tooltip=tooltip, popup=popup)
    src.drop_empty()
    frame = src.frame
    cross = frame["cross_borough"].fillna(False).to_numpy(dtype=bool)
    styles, style_index, items = _themed_polygons(
        frame,
        theme_column="theme",
        dashed=cross,
        fill_opacity=fill_opacity,
        weight=2.0,
        colors=colors,
    )
    items.append(LegendItem("#333333", "Cross-borough group", line=True, dash=True))
    labels = {
        "n_wards": "wards",
        "ward_codes": "ward codes",
        "cross_borough": "cross-borough",
        **(labels or {}),
    }
    return _vector_layer(
        src,
        name=name,
        styles=styles,
        style_index=style_index,
        labels=labels,
        legend=Legend(title=legend_title, items=tuple(items)),
        simplify_m=simplify_m,
        choices={"n_cross_borough": int(cross.sum())},
        show=show,
    )


def draw_priority_themes(
    groups: gpd.GeoDataFrame,
    *,
    n_shown: int = 2,
    shown_first: Sequence[str] = ("street_crime", "asb"),
    name_prefix: str = "Shared priority",
    tooltip: Sequence[str] | None = ("theme", "n_wards", "cross_borough"),
    popup: Sequence[str] | None = ("theme", "n_wards", "ward_codes", "cross_borough"),
    labels: Mapping[str, str] | None = None,
    fill_opacity: float = 0.08,
    simplify_m: float = 10.0,
) -> list[MapLayer]:
    """One layer per theme of shared-priority groups, biggest first, few shown on opening.

    Filled groups of many themes cover a borough and hide each other; one toggleable layer per
    theme, drawn as coloured outlines over a light fill, keeps each readable.

    Parameters
    ----------
    groups
        As for :func:`draw_priority_groups` (``theme``, ``cross_borough``, and ``n_wards`` which
        also orders the layers).
    n_shown
        How many theme layers are on when the map opens (default 2); the others are listed in
        the layer control, off.
    shown_first
        Themes shown before the others when present (default street crime and ASB, the themes
        of the ASB-to-street-crime links); the rest of the ``n_shown`` go by number of wards.
    name_prefix
        Layer names are ``"{name_prefix}: {theme} ({n} wards)"``.
    tooltip, popup, labels, simplify_m
        As for :func:`draw_priority_groups`.
    fill_opacity
        Fill opacity of the groups (default 0.08: outlines carry the colour).

    Returns
    -------
    list of MapLayer
        One per theme, ordered by the theme's wards in groups (sum of ``n_wards``, largest first;
        ties by theme name). Each layer's ``info.choices`` records ``theme``, ``rank`` (1 =
        most wards), ``n_wards`` and ``shown``. Colours go through the palette of
        :func:`draw_priority_groups` in the order shown-first, then by wards, so the first eight
        themes (those on at opening among them) have distinct colours.
    """
    if not isinstance(n_shown, int | np.integer) or n_shown < 0:
        raise ValueError(f"`n_shown` must be an integer >= 0; got {n_shown!r}.")
    required = ["theme", "cross_borough", "n_wards"]
    frame = _checked(
        groups, argument="groups", required=required, tooltip=tooltip, popup=popup
    ).frame
    theme = frame["theme"].astype("string")
    totals = frame.assign(theme=theme).groupby("theme", sort=True)["n_wards"].sum()
    order = sorted(totals.index, key=lambda t: (-int(totals[t]), str(t)))
    first = [t for t in shown_first if t in totals.index]
    preferred = first + [t for t in order if t not in first]
    shown = preferred[:n_shown]
    # Colours in that order, so the layers on at opening (and the largest) never share one.
    palette = {str(t): _categorical(i) for i, t in enumerate(preferred)}
    layers = []
    for rank, t in enumerate(order, start=1):
        n = int(totals[t])
        layer = draw_priority_groups(
            frame.loc[(theme == t).to_numpy()],
            name=f"{name_prefix}: {_default_label(str(t))} ({n} wards)",
            tooltip=tooltip,
            popup=popup,
            labels=labels,
            fill_opacity=fill_opacity,
            simplify_m=simplify_m,
            show=t in shown,
            colors=palette,
            legend_title=f"{name_prefix}: {_default_label(str(t))}",
        )
        layer.info.choices.update(
            {"theme": str(t), "rank": rank, "n_wards": n, "shown": t in shown}
        )
        layers.append(layer)
    return layers
