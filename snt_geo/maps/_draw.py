"""The ``draw_*`` functions: one per kind of thing drawn (see :mod:`snt_geo.maps.layers`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._format import format_count, format_number, format_percent
from snt_geo.errors import SchemaError
from snt_geo.linkage.density import DensityGrid
from snt_geo.linkage.hotspots import (
    HOTSPOT_CLASSES,  # one definition, where it is produced
    HotspotGrid,
)
from snt_geo.maps._html import png_data_uri, script_json
from snt_geo.maps._layer import LayerInfo, Legend, LegendItem, MapLayer
from snt_geo.maps._palettes import (
    _HOTSPOT_LABELS,
    _NO_DATA_COLOUR,
    _NOT_SIGNIFICANT_COLOUR,
    _SIGNIFICANT_COLOUR,
    HOTSPOT_PALETTE,
    LINK_SHARE_CLASSES,
    SEQUENTIAL_PALETTES,
    _categorical,
    _palette,
    _theme_colours,
    classify_values,
)
from snt_geo.maps._payload import (
    _check_simplify,
    _checked,
    _class_counts,
    _class_index,
    _default_label,
    _filled,
    _path_style,
    _vector_layer,
)
from snt_geo.maps._raster import resample_to_web_mercator

#: Drawn cells from which ``renderer="auto"`` paints on a canvas instead of one SVG path each.
CANVAS_THRESHOLD = 2_000


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
        lo = format_number(lowers[i]) if i == 0 else "> " + format_number(lowers[i])
        items.append(LegendItem(colour, f"{lo} to {format_number(float(limits[i]))} ({counts[i]})"))
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
    cells: gpd.GeoDataFrame | HotspotGrid,
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
    function only draws them. A :class:`~snt_geo.linkage.HotspotGrid` (``hotspot_grid``) is
    drawn without building the polygons of the cells left out (641k cells of 50 m over London).
    """
    grid_counts = None
    if isinstance(cells, HotspotGrid):
        grid_counts = cells.class_counts()
        cells = cells.to_frame("all" if show_not_significant else "significant")
    src = _checked(
        cells, argument="cells", required=["hotspot_class"], tooltip=tooltip, popup=popup
    )
    counts = _class_counts(src, "hotspot_class", HOTSPOT_CLASSES)
    cls = src.frame["hotspot_class"].astype("string")
    if grid_counts is not None:  # the grid's own account: every cell, drawn or not
        counts = grid_counts
        src.n_rows = sum(grid_counts.values())
        if not show_not_significant and grid_counts["not_significant"]:
            src.not_drawn["not significant"] = grid_counts["not_significant"]
    if not show_not_significant:
        src.keep((cls != "not_significant").to_numpy(), reason="not significant")
    src.drop_empty()
    frame = src.frame
    styles = [
        _filled(HOTSPOT_PALETTE[c], weight=0.5, fill_opacity=fill_opacity) for c in HOTSPOT_CLASSES
    ]
    style_index = _class_index(frame, "hotspot_class", HOTSPOT_CLASSES)
    shown = [c for c in HOTSPOT_CLASSES if show_not_significant or c != "not_significant"]
    items = tuple(
        LegendItem(HOTSPOT_PALETTE[c], f"{_HOTSPOT_LABELS[c]} ({format_count(counts[c])})")
        for c in shown
    )
    note = "(n) = cells"
    if not show_not_significant:
        n_hidden = format_count(counts["not_significant"])
        note = f"{n_hidden} not-significant cells not drawn; (n) = cells"
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


def draw_kde_surface(
    cells: gpd.GeoDataFrame | DensityGrid,
    *,
    column: str = "density_per_km2",
    name: str = "Incident density (KDE)",
    palette: str = "YlOrRd",
    opacity: float = 0.75,
    max_pixels: int = 1_500_000,
    show: bool = True,
) -> MapLayer:
    """Draw a kernel density surface as one PNG image over the map.

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
    n_grid_zero = 0
    if isinstance(cells, DensityGrid):  # polygons only for the cells that get a colour
        positive_cells = np.nan_to_num(np.asarray(cells.values[column], dtype="float64")) > 0
        n_grid_zero = int((~positive_cells).sum())
        cells = cells.to_frame(positive_cells)
    src = _checked(cells, argument="cells", required=[column])
    src.drop_empty()
    frame, n_rows = src.frame, src.n_rows + n_grid_zero
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
        not_drawn["zero or missing density"] = int((~positive).sum()) + n_grid_zero
        return _empty_image_layer(
            name, LayerInfo("image", n_rows, 0, not_drawn, {"column": column}), show
        )
    geoms, values = geoms[positive], values[positive]
    image = resample_to_web_mercator(geoms, values, max_pixels=max_pixels)
    grid, cell_m = image.grid, image.cell_size_m
    vmax = float(values.max())
    url = png_data_uri(_coloured(image.values, vmax, ramp))
    bounds = image.bounds
    payload = script_json(
        {"url": url, "bounds": [[bounds[0], bounds[1]], [bounds[2], bounds[3]]], "opacity": opacity}
    )
    items = tuple(
        LegendItem(_ramp_colour(ramp, f), format_number(f * vmax))
        for f in (0.2, 0.4, 0.6, 0.8, 1.0)
    )
    legend = Legend(title=f"{name}", items=items, note=f"{_default_label(column)}; linear scale")
    n_zero = int((~positive).sum()) + n_grid_zero
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
            "pixel_size_m": image.pixel_size_m,
            "image_shape": image.values.shape,
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


def _empty_image_layer(name: str, info: LayerInfo, show: bool) -> MapLayer:
    """Nothing to paint: an empty vector layer keeps the layer control entry harmless."""
    empty: dict[str, list] = {
        "g": [],
        "styles": [{}],
        "labels": [],
        "values": [],
        "tooltip": [],
        "popup": [],
    }
    return MapLayer(
        name=name,
        kind="vector",
        payload_json=script_json(empty),
        bounds=None,
        legend=None,
        info=info,
        show=show,
    )


def _ramp_stops(ramp: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(positions 0..1, RGB stops as floats) of a colour ramp of ``#rrggbb`` strings."""
    stops = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for c in ramp], dtype=float)
    return np.linspace(0, 1, len(stops)), stops


def _ramp_colour(ramp: Sequence[str], f: float) -> str:
    """Return the ramp's colour at ``f`` (0..1), linearly interpolated, as ``#rrggbb``."""
    pos, stops = _ramp_stops(ramp)
    return "#{:02x}{:02x}{:02x}".format(
        *(int(round(np.interp(f, pos, stops[:, c]))) for c in range(3))
    )


def _coloured(values: np.ndarray, vmax: float, ramp: Sequence[str]) -> np.ndarray:
    """RGBA pixels (rows, cols, 4) of ``values`` on ``ramp``, linear from 0 to ``vmax``."""
    pos, stops = _ramp_stops(ramp)
    flat = values.ravel()
    t = np.clip(flat / vmax, 0, 1)
    rgba = np.zeros((flat.size, 4), dtype=np.uint8)
    for ch in range(3):
        rgba[:, ch] = np.round(np.interp(t, pos, stops[:, ch]))
    # Low densities fade out so outlines stay visible under the surface.
    rgba[:, 3] = np.where(flat > 0, np.round(90 + 165 * t), 0)
    return rgba.reshape(*values.shape, 4)


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


def draw_links(
    links: gpd.GeoDataFrame,
    *,
    name: str = "ASB to street-crime links",
    tooltip: Sequence[str] | None = ("estate",),
    popup: Sequence[str] | None = ("estate", "explanation", "p_value"),
    labels: Mapping[str, str] | None = None,
    share_column: str = "street_cluster_weight_share",
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
        Share (0 to 1) of the estate's nearby street crime held by the link's street-crime
        cluster (default ``"street_cluster_weight_share"``). When the column is present, line
        width and opacity grow with it in the classes of :data:`LINK_SHARE_CLASSES` (below 5%,
        5-10%, 10-20%, 20% and over), so the clusters that matter stand out among an estate's
        candidates; when absent, every line has one width.
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
    co-location test per estate), so every candidate street-crime cluster of a significant estate
    is drawn red; the width, from the cluster's share, says which of them carry the link.
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
                format_percent(lo) + (f" to {format_percent(hi)}" if hi < 1 else " and over"),
                line=True,
                weight=w,
            )
            for lo, (hi, w, _) in zip(lows, LINK_SHARE_CLASSES, strict=True)
            if hi > min_share
        )
        note = (
            "Width: the street-crime cluster's share of the street crime near the estate's ASB. "
            "Red: the estate's co-location test is significant (one test per estate)."
        )
        if min_share > 0:
            note += f" Links under {format_percent(min_share)} are not drawn."
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
    labels = {"p_value": "p-value", share_column: "street-crime cluster share", **(labels or {})}
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
    """Draw groups of wards sharing a priority, coloured by ``theme``; cross-borough groups dashed.

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
    theme_names: Mapping[str, str] | None = None,
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
    theme_names
        Words for theme keys in layer names and legend titles (e.g. ``{"street_crime": "Street
        crime (robbery, theft from the person)"}``); default: the key with spaces.

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

    def words(theme) -> str:
        given = (theme_names or {}).get(str(theme))
        return given if given else _default_label(str(theme))

    layers = []
    for rank, t in enumerate(order, start=1):
        n = int(totals[t])
        layer = draw_priority_groups(
            frame.loc[(theme == t).to_numpy()],
            name=f"{name_prefix}: {words(t)} ({n} wards)",
            tooltip=tooltip,
            popup=popup,
            labels=labels,
            fill_opacity=fill_opacity,
            simplify_m=simplify_m,
            show=t in shown,
            colors=palette,
            legend_title=f"{name_prefix}: {words(t)}",
        )
        # The layer is being built here: its account gains the theme's place in the order.
        layer.info = layer.info.with_choices(theme=str(t), rank=rank, n_wards=n, shown=t in shown)
        layers.append(layer)
    return layers
