"""Readers for ward (and other area) boundaries.

The *wards* schema: a GeoDataFrame indexed by ``ward_code`` (unique strings) with the columns
``ward_name``, ``borough_code``, ``borough_name`` and ``geometry`` (polygons, EPSG:27700). Any other
polygons (boroughs, BCUs, LSOAs) can be used wherever wards are, given those columns.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from snt_geo.crs import to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach
from snt_geo.io._repair import repair_polygons

__all__ = ["read_wards", "wards_from_frame", "check_wards", "WARD_COLUMNS"]

WARD_COLUMNS = ("ward_name", "borough_code", "borough_name", "geometry")

# Known layouts: (code, name, borough code, borough name). ONS uses WDyyCD etc. for every year.
_GLA = ("GSS_CODE", "NAME", "LB_GSS_CD", "BOROUGH")
_ONS = (r"^WD\d\dCD$", r"^WD\d\dNM$", r"^LAD\d\dCD$", r"^LAD\d\dNM$")
_PLAIN = ("ward_code", "ward_name", "borough_code", "borough_name")


def _find(columns: list[str], pattern: str, *, regex: bool) -> str | None:
    for c in columns:
        if re.match(pattern, c, flags=re.IGNORECASE) if regex else c.lower() == pattern.lower():
            return c
    return None


def _detect_layout(columns: list[str]) -> dict[str, str | None]:
    for layout, regex in ((_GLA, False), (_ONS, True), (_PLAIN, False)):
        found = [_find(columns, p, regex=regex) for p in layout]
        if found[0] is not None:
            return dict(zip(_PLAIN, found, strict=True))
    return dict.fromkeys(_PLAIN)


def read_wards(
    path,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    borough_column: str | None = None,
    borough_name_column: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read ward boundaries (shapefile, zipped shapefile, GeoPackage, GeoJSON) into EPSG:27700.

    Parameters
    ----------
    path
        Anything pyogrio reads; a ``.zip`` holding a shapefile is read directly.
    code_column, name_column, borough_column, borough_name_column
        Source columns holding the ward code, ward name, borough (local authority) code and name.
        Default: recognised from the GLA layout (``GSS_CODE``, ``NAME``, ``LB_GSS_CD``,
        ``BOROUGH``), the ONS layout (``WDyyCD``, ``WDyyNM``, ``LADyyCD``, ``LADyyNM``) or the
        plain one (``ward_code``, ``ward_name``, ``borough_code``, ``borough_name``).
    layer
        Layer of a multi-layer source such as a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        The wards schema: index ``ward_code``; columns ``ward_name``, ``borough_code``,
        ``borough_name`` (missing borough information is NA), the other source columns, and
        ``geometry`` in EPSG:27700. ``attrs["read_report"]`` counts rows read, kept and dropped
        (``null_geometry``) and notes ``repaired_geometries``.

    Notes
    -----
    The GLA's ESRI ``.prj`` files describe British National Grid with a rounded scale factor, which
    pyproj does not identify as EPSG:27700. Such input is recognised by its parameters and labelled
    EPSG:27700 (no coordinate moves), so it matches every other layer. Invalid polygons are repaired
    with ``shapely.make_valid`` (keeping the polygonal part) and counted.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass a ward boundary file (.shp, .zip, .gpkg, "
            ".geojson)."
        )
    frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    return wards_from_frame(
        frame,
        code_column=code_column,
        name_column=name_column,
        borough_column=borough_column,
        borough_name_column=borough_name_column,
        source_name=path.name,
        argument="path",
    )


def wards_from_frame(
    frame: gpd.GeoDataFrame,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    borough_column: str | None = None,
    borough_name_column: str | None = None,
    source_name: str = "frame",
    argument: str = "frame",
) -> gpd.GeoDataFrame:
    """Validate an in-memory GeoDataFrame of areas into the wards schema.

    Parameters are those of :func:`read_wards`; ``frame`` must have a CRS.
    """
    columns = [c for c in frame.columns if c != frame.geometry.name]
    found = _detect_layout(columns)
    given = {
        "ward_code": code_column,
        "ward_name": name_column,
        "borough_code": borough_column,
        "borough_name": borough_name_column,
    }
    problems = []
    for target, col in given.items():
        if col is not None:
            if col not in frame.columns:
                arg = {
                    "ward_code": "code_column",
                    "ward_name": "name_column",
                    "borough_code": "borough_column",
                    "borough_name": "borough_name_column",
                }[target]
                problems.append(f"`{arg}` is {col!r}, which is not a column; columns: {columns}")
            found[target] = col
    if found["ward_code"] is None:
        problems.append(
            "no ward code column recognised (GSS_CODE, WDyyCD or ward_code); name it with "
            f"`code_column=`; columns: {columns}"
        )
    if problems:
        raise SchemaError(f"`{argument}` ({source_name}) cannot be read as wards:", problems)

    out = to_working_crs(frame, argument=argument)
    rows_read = len(out)
    geom = out.geometry.to_numpy()
    null = shapely.is_missing(geom) | shapely.is_empty(geom)
    out = out.loc[~null]
    geom = geom[~null]
    invalid = ~shapely.is_valid(geom)
    geom = repair_polygons(geom, invalid)
    codes = out[found["ward_code"]].astype("string").str.strip()
    dupes = codes[codes.duplicated(keep=False)].unique().tolist()
    if codes.isna().any():
        problems.append(f"{int(codes.isna().sum())} row(s) have no ward code")
    if dupes:
        problems.append(
            f"ward codes {dupes[:5]} appear more than once; dissolve them first "
            "(frame.dissolve(by=code_column)) if they are parts of one ward"
        )
    if problems:
        raise SchemaError(f"`{argument}` ({source_name}) cannot be read as wards:", problems)

    result = pd.DataFrame(index=pd.Index(codes.to_numpy(), name="ward_code", dtype="string"))
    for target in ("ward_name", "borough_code", "borough_name"):
        col = found[target]
        result[target] = (
            out[col].astype("string").to_numpy()
            if col is not None
            else pd.array([pd.NA] * len(out), dtype="string")
        )
    used = {c for c in found.values() if c is not None}
    for col in columns:
        if col not in used and col not in result.columns:
            result[col] = out[col].to_numpy()
    gdf = gpd.GeoDataFrame(result, geometry=geom, crs=out.crs)
    report = ReadReport(
        reader="read_wards",
        files={
            source_name: {
                "rows_read": rows_read,
                "rows_kept": len(gdf),
                "null_geometry": int(null.sum()),
            }
        },
        reasons=("null_geometry",),
        notes={source_name: {"repaired_geometries": int(invalid.sum())}},
    )
    attach(gdf, report)
    report.warn(stacklevel=4)
    return gdf


def check_wards(
    wards: gpd.GeoDataFrame, *, argument: str = "wards", columns: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    """Check that ``wards`` can serve as wards and return it in EPSG:27700.

    The light check every analysis applies to a wards argument (a full schema check is
    :func:`wards_from_frame`): a unique index of ward codes and the ``columns`` the caller needs.

    Raises
    ------
    CRSError
        ``wards`` has no CRS.
    SchemaError
        Listing every problem: a non-unique index, missing ``columns``.
    """
    areas = to_working_crs(wards, argument=argument, check_bounds=False)
    problems = [f"missing column {c!r}" for c in columns if c not in areas.columns]
    if not areas.index.is_unique:
        problems.append("the index (ward codes) is not unique")
    if problems:
        needs = f" and the column(s) {list(columns)}" if columns else ""
        raise SchemaError(
            f"`{argument}` must have a unique index (ward codes){needs}; use "
            "snt_geo.io.read_wards or wards.set_index('ward_code').",
            problems,
        )
    return areas
