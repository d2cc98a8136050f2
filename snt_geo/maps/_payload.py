"""Payload encoding: input checks, display text, lon/lat geometry and the JSON payload.

Vector layers carry their data column by column; tooltips and popups are built in the browser
with ``textContent``, so every text value shows as text.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from snt_geo._format import format_value
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.maps._html import script_json
from snt_geo.maps._layer import LayerInfo, Legend, MapLayer

#: Decimal places kept in longitude/latitude (1e-5 degree is about 1.1 m of latitude).
COORDINATE_DECIMALS = 5


_TO_LONLAT = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True)


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


def _class_counts(src: _Input, column: str, classes: Sequence[str]) -> dict[str, int]:
    """Check that ``column`` of ``src`` holds only ``classes``; return the rows per class.

    Raises
    ------
    SchemaError
        Naming the argument, the values outside ``classes`` and the rows with none.
    """
    cls = src.frame[column].astype("string")
    unknown = sorted(set(cls.dropna().unique()) - set(classes))
    if unknown or cls.isna().any():
        problems = [f"unknown {column} values {unknown}"] if unknown else []
        if cls.isna().any():
            problems.append(f"{int(cls.isna().sum())} rows have no {column}")
        raise SchemaError(
            f"`{src.argument}` column '{column}' must hold only {list(classes)}.", problems
        )
    return {c: int((cls == c).sum()) for c in classes}


def _class_index(frame: pd.DataFrame, column: str, classes: Sequence[str]) -> np.ndarray:
    """Each row's position of its ``column`` value in ``classes`` (its style index)."""
    order = {c: i for i, c in enumerate(classes)}
    return frame[column].astype("string").map(order).to_numpy(dtype=int)


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


def _display_column(values: pd.Series) -> list[str]:
    """Tooltip and popup text of a column: the one display formatter (missing is "n/a")."""
    return [format_value(v) for v in values.tolist()]


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
    """Return a path style whose outline and fill share one colour (see :func:`_path_style`)."""
    return _path_style(
        color=colour, weight=weight, fill_color=colour, fill_opacity=fill_opacity, **options
    )
