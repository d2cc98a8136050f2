"""Readers for estates and any other named places (polygons or points).

The *estates* schema: a GeoDataFrame indexed by ``estate_id`` (unique strings) with the column
``name`` (string), any other source columns unchanged, and ``geometry`` (Polygon, MultiPolygon,
Point or MultiPoint; EPSG:27700). Polygons and points may be mixed: a housing estate drawn as a
polygon and a youth club given as a point are both *places*; later steps measure distances from the
geometry either way.

``estate_id`` comes from an id column when there is one (``estate_id``, ``id``, or
``id_column=``); otherwise it is made from the name: lower case, runs of other characters replaced
by ``-`` (``"Golden Lane Estate"`` -> ``"golden-lane-estate"``), with ``-2``, ``-3`` ... appended to
repeats, and ``estate-<row>`` for a row with no name.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo.crs import to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach
from snt_geo.io._repair import repair_polygons

__all__ = ["read_estates", "estates_from_frame"]

_NAME_COLUMNS = ("name", "estate_name", "estate", "place_name", "site_name", "title", "label")
_ID_COLUMNS = ("estate_id", "id", "place_id")
_ALLOWED = ("Polygon", "MultiPolygon", "Point", "MultiPoint")
_REASONS = ("null_geometry",)


def read_estates(
    path,
    *,
    name_column: str | None = None,
    id_column: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read estates (or any named places) from a vector file into EPSG:27700.

    Parameters
    ----------
    path
        Anything pyogrio reads (GeoPackage, GeoJSON, shapefile, zipped shapefile), with a CRS.
    name_column
        Source column with the place name. Default: the first of ``name``, ``estate_name``,
        ``estate``, ``place_name``, ``site_name``, ``title``, ``label`` (any case).
    id_column
        Source column with a unique identifier, used as the index. Default: ``estate_id``, ``id``
        or ``place_id`` if present, else identifiers made from the names (see the module notes).
    layer
        Layer of a multi-layer source such as a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``estate_id`` (string); columns ``name`` (string; NA never: a row without a name is
        named after its ``estate_id`` and counted as the note ``unnamed``), the other source
        columns, and ``geometry`` in EPSG:27700. ``attrs["read_report"]`` counts rows read, kept
        and dropped (``null_geometry``) and notes ``repaired_geometries`` and ``unnamed``.

    Raises
    ------
    CRSError
        The file has no CRS (never guessed), or places fall outside Great Britain.
    SchemaError
        No name column (the columns found are listed), geometries other than polygons and points,
        or a non-unique ``id_column``; all problems are listed together.

    Notes
    -----
    Null and empty geometries are dropped and counted. Invalid polygons are repaired with
    ``shapely.make_valid`` (keeping the polygonal part) and counted; no coordinate of a valid
    geometry moves.

    Examples
    --------
    >>> from snt_geo.datasets import sample_paths
    >>> paths = sample_paths()
    >>> estates = read_estates(paths.estates)
    >>> estates.index.tolist()
    ['golden-lane-estate', 'middlesex-street-estate', 'mansell-street-estate']
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass an estates or places file (.gpkg, "
            ".geojson, .shp, .zip)."
        )
    try:
        frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio/GDAL raise several kinds; the file is the cause
        raise SchemaError(
            f"`path` {str(path)!r} could not be read as a spatial file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); pass estate or place polygons as "
            ".gpkg, .geojson, .shp or a .zip holding one."
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise SchemaError(
            f"`path` {str(path)!r} is not a spatial file: it has no geometry (columns "
            f"{[str(c) for c in frame.columns][:8]}). Pass estate or place polygons as .gpkg, "
            ".geojson, .shp or a .zip holding one."
        )
    return estates_from_frame(
        frame,
        name_column=name_column,
        id_column=id_column,
        source_name=path.name,
        argument="path",
    )


def estates_from_frame(
    frame: gpd.GeoDataFrame,
    *,
    name_column: str | None = None,
    id_column: str | None = None,
    source_name: str = "frame",
    argument: str = "frame",
) -> gpd.GeoDataFrame:
    """Validate an in-memory GeoDataFrame of places into the estates schema.

    Parameters and result are those of :func:`read_estates`; ``frame`` must have a CRS and is never
    modified. ``source_name`` and ``argument`` name the input in the report and in messages.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(
            f"`{argument}` must be a GeoDataFrame; got {type(frame).__name__}. Build one with "
            "geopandas.GeoDataFrame(df, geometry=..., crs=...)."
        )
    columns = [c for c in frame.columns if c != frame.geometry.name]
    problems: list[str] = []
    name_col = _pick(columns, name_column, _NAME_COLUMNS, "name_column", problems)
    if name_col is None and name_column is None:
        problems.append(
            f"no name column recognised ({', '.join(_NAME_COLUMNS)}); name it with "
            f"`name_column=`; columns: {columns}"
        )
    id_col = _pick(columns, id_column, _ID_COLUMNS, "id_column", problems)
    out = to_working_crs(frame, argument=argument)
    rows_read = len(out)
    geom = out.geometry.to_numpy()
    null = shapely.is_missing(geom) | shapely.is_empty(geom)
    problems += _geometry_problems(geom[~null]) + _id_problems(out.loc[~null], id_col)
    if problems:
        raise SchemaError(f"`{argument}` ({source_name}) cannot be read as estates:", problems)

    out = out.loc[~null]
    geom = geom[~null].copy()
    polygonal = np.isin(
        shapely.get_type_id(geom), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]
    )
    invalid = polygonal & ~shapely.is_valid(geom)
    geom = repair_polygons(geom, invalid)
    ids, names, unnamed = _ids_and_names(out, name_col, id_col)
    result = pd.DataFrame(
        {"name": pd.array(names, dtype="string")},
        index=pd.Index(ids, name="estate_id", dtype="string"),
    )
    for col in columns:
        if col not in (name_col, id_col, "name"):
            result[col] = out[col].to_numpy()
    gdf = gpd.GeoDataFrame(result, geometry=geom, crs=out.crs)
    report = ReadReport(
        reader="read_estates",
        files={
            source_name: {
                "rows_read": rows_read,
                "rows_kept": len(gdf),
                "null_geometry": int(null.sum()),
            }
        },
        reasons=_REASONS,
        notes={
            source_name: {
                "repaired_geometries": int(invalid.sum()),
                "unnamed": int(unnamed.sum()),
            }
        },
    )
    attach(gdf, report)
    report.warn(stacklevel=4 if argument == "path" else 3)
    return gdf


def _geometry_problems(geom: np.ndarray) -> list[str]:
    """Return a problem line when a geometry is not a point or polygon (buffer lines first)."""
    allowed_ids = {
        shapely.GeometryType.POINT,
        shapely.GeometryType.POLYGON,
        shapely.GeometryType.MULTIPOINT,
        shapely.GeometryType.MULTIPOLYGON,
    }
    kinds = pd.Series(shapely.get_type_id(geom))
    bad_kinds = sorted(
        {shapely.GeometryType(k).name.title() for k in kinds.unique() if k not in allowed_ids}
    )
    if not bad_kinds:
        return []
    return [
        f"geometries must be {', '.join(_ALLOWED)}; found {bad_kinds} (buffer lines first, "
        "e.g. frame.buffer(10), if a street should count as a place)"
    ]


def _id_problems(located: pd.DataFrame, id_col: str | None) -> list[str]:
    """Return a problem line when the id column repeats or has blanks (rows with a geometry)."""
    if id_col is None:
        return []
    ids = located[id_col].astype("string")
    dupes = ids[ids.duplicated()].unique().tolist()
    if dupes or ids.isna().any():
        return [
            f"`id_column` {id_col!r} must be unique and filled; repeats {dupes[:5]}, "
            f"{int(ids.isna().sum())} blank"
        ]
    return []


def _ids_and_names(
    out: pd.DataFrame, name_col: str | None, id_col: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estate ids (given, or made from the names), names (the id where blank), blank mask."""
    text = out[name_col].astype("string").str.strip()
    text = text.mask(text == "")
    unnamed = text.isna().to_numpy()
    if id_col is not None:
        ids = out[id_col].astype("string").str.strip().to_numpy()
    else:
        ids = _make_ids(text.to_numpy())
    names = text.to_numpy().copy()
    names[unnamed] = ids[unnamed]
    return ids, names, unnamed


def _pick(columns, given, candidates, arg, problems) -> str | None:
    if given is not None:
        if given not in columns:
            problems.append(f"`{arg}` is {given!r}, which is not a column; columns: {columns}")
            return None
        return given
    lower = {str(c).lower(): c for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _make_ids(names: np.ndarray) -> np.ndarray:
    used: set[str] = set()
    out = []
    for i, name in enumerate(names):
        base = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") if pd.notna(name) else ""
        base = base or f"estate-{i}"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        out.append(candidate)
    return np.array(out, dtype=object)
