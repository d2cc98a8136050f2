"""Readers for ward (and other area) boundaries.

The *wards* schema: a GeoDataFrame indexed by ``ward_code`` (unique strings) with the columns
``ward_name``, ``borough_code``, ``borough_name`` and ``geometry`` (polygons, EPSG:27700). Any other
polygons (boroughs, BCUs, LSOAs) can be used wherever wards are, given those columns.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
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


# Councils' own files: the code and name under their own headers (Lewisham's ward GeoPackage has
# ons_code, name, WD22CD_proposed, WD22NM_proposed). Tried after the known layouts, in order.
_LOOSE_CODE = (r"^WD\d\dCD", r"^ons_code$", r"^gss_code$", r"^ward_code$", r"^code$")
_LOOSE_NAME = (r"^WD\d\dNM(?!W)", r"^ward_name$", r"^name$", r"^ward$")
_GSS_WARD = re.compile(r"^[ENSW]05\d{6}$")


def _detect_layout(columns: list[str], frame=None) -> dict[str, str | None]:
    for layout, regex in ((_GLA, False), (_ONS, True), (_PLAIN, False)):
        found = [_find(columns, p, regex=regex) for p in layout]
        if found[0] is not None:
            return dict(zip(_PLAIN, found, strict=True))
    out: dict[str, str | None] = dict.fromkeys(_PLAIN)
    for pattern in _LOOSE_CODE:
        col = _find(columns, pattern, regex=True)
        if col is not None and (frame is None or _holds_ward_codes(frame[col])):
            out["ward_code"] = col
            break
    if out["ward_code"] is not None:
        out["ward_name"] = next(
            (c for p in _LOOSE_NAME if (c := _find(columns, p, regex=True)) is not None), None
        )
    return out


def _holds_ward_codes(values) -> bool:
    text = values.dropna().astype(str).str.strip()
    return len(text) > 0 and bool(text.map(lambda v: bool(_GSS_WARD.match(v))).all())


_VECTOR = (".shp", ".gpkg", ".geojson", ".json", ".gml", ".kml", ".fgb")


def _open_source(path: Path, layer: str | None) -> tuple[str, str | None, str]:
    """Return (what pyogrio opens, layer, display name) for a file as published.

    A ``.zip`` is searched for vector files in any folder (metadata such as ``.xml`` is ignored);
    a multi-layer file is read at its one polygon layer. Where there is no single choice, raise
    listing what was found.
    """
    import pyogrio

    source, name = str(path), path.name
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [
                m
                for m in zf.namelist()
                if m.lower().endswith(_VECTOR) and not m.startswith("__MACOSX/")
            ]
        if layer is not None and any(layer in (m, Path(m).name, Path(m).stem) for m in members):
            members = [m for m in members if layer in (m, Path(m).name, Path(m).stem)]
            layer = None
        if len(members) != 1:
            found = members or "no vector files (.shp, .gpkg, .geojson...)"
            raise SchemaError(
                f"`path` {path.name!r}: cannot choose the boundary file inside the zip; found "
                f"{found}. Pass `layer=` with one of these file names."
            )
        source, name = f"/vsizip/{path}/{members[0]}", f"{path.name}!{members[0]}"
    if layer is None:
        try:
            layers = pyogrio.list_layers(source)
        except pyogrio.errors.DataSourceError as exc:
            raise SchemaError(
                f"`path` {name!r} is not a boundary file that can be read ({exc}). Pass a "
                "shapefile (.shp or a .zip holding one), a GeoPackage or a GeoJSON."
            ) from None
        polygons = [str(n) for n, g in layers if g is None or "polygon" in str(g).lower()]
        if len(layers) > 1:
            if len(polygons) != 1:
                listed = [f"{n} ({g})" for n, g in layers]
                raise SchemaError(
                    f"`path` {name!r} holds {len(layers)} layers and {len(polygons)} of them are "
                    f"polygons: {listed}. Pass `layer=` with the ward layer."
                )
            layer = polygons[0]
    return source, layer, name


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
        A boundary file as published: a shapefile, GeoPackage or GeoJSON, or a ``.zip`` as ONS
        and councils publish them (the shapefile may sit in a folder inside, beside metadata such
        as ``.xml``, which is ignored).
    code_column, name_column, borough_column, borough_name_column
        Source columns holding the ward code, ward name, borough (local authority) code and name.
        Default: recognised from the GLA layout (``GSS_CODE``, ``NAME``, ``LB_GSS_CD``,
        ``BOROUGH``), the ONS layout of any year (``WD22CD``, ``WD22NM``, ``LAD22CD``,
        ``LAD22NM``), the plain one (``ward_code``, ``ward_name``, ``borough_code``,
        ``borough_name``), else a council's own headers: a ``WDyyCD...``, ``ons_code`` or
        ``gss_code`` column whose values are all GSS ward codes (``E05...``) and a ``WDyyNM...``
        or ``name`` column (Lewisham's file; its borough columns are then NA).
    layer
        Layer of a multi-layer source such as a GeoPackage; in a ``.zip`` holding several
        boundary files, the member to read (its path, file name or stem). Default: the only
        polygon layer, the only vector file in the zip; otherwise the error lists what was found.

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

    Examples
    --------
    >>> from snt_geo.datasets import sample_paths
    >>> paths = sample_paths()
    >>> wards = read_wards(paths.wards)
    >>> len(wards), wards.index.name, wards.crs.to_epsg()
    (25, 'ward_code', 27700)
    >>> list(wards.columns)
    ['ward_name', 'borough_code', 'borough_name', 'geometry']
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass a ward boundary file (.shp, .zip, .gpkg, "
            ".geojson)."
        )
    source, layer, name = _open_source(path, layer)
    frame = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
    if len(frame) == 0:
        raise SchemaError(
            f"`path` {name!r} holds no features (0 ward polygons"
            + (f" in layer {layer!r}" if layer else "")
            + "); pass the file or layer that holds the wards."
        )
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise SchemaError(
            f"`path` {name!r} is not a boundary file: it has no geometry (columns "
            f"{list(frame.columns)}). Pass ward polygons: a .gpkg, .shp (or a .zip holding one) "
            "or .geojson; a table of ward codes is not enough."
        )
    return wards_from_frame(
        frame,
        code_column=code_column,
        name_column=name_column,
        borough_column=borough_column,
        borough_name_column=borough_name_column,
        source_name=name,
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
    found = _detect_layout(columns, frame)
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
    _require_polygons(geom, out[found["ward_code"]], argument=argument, source_name=source_name)
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

    overlaps = _overlapping_pairs(codes.to_numpy(), geom)
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
        notes={
            source_name: {
                "repaired_geometries": int(invalid.sum()),
                "overlapping_ward_pairs": len(overlaps),
            }
        },
    )
    attach(gdf, report)
    if overlaps:
        shown = ", ".join(f"{a}/{b} ({area:,.0f} m2)" for a, b, area in overlaps[:5])
        warnings.warn(
            f"{report.summary()} `{argument}`: {len(overlaps)} pair(s) of wards overlap ({shown}"
            f"{' ...' if len(overlaps) > 5 else ''}); an incident in an overlap is counted in the "
            "first ward in row order only. Check the boundary file (mixed vintages?).",
            UserWarning,
            stacklevel=3,
        )
    else:
        report.warn(stacklevel=4)
    return gdf


#: Two wards overlap when their intersection is larger than this many square metres and than
#: this share of the smaller ward (real files have sub-metre slivers along shared edges).
OVERLAP_MIN_M2 = 1.0
OVERLAP_MIN_SHARE = 0.001


def _overlapping_pairs(codes, geom) -> list[tuple[str, str, float]]:
    """(code, code, overlap area m2) for every pair of wards that overlap, largest first."""
    tree = shapely.STRtree(geom)
    left, right = tree.query(geom, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    area = shapely.area(shapely.intersection(geom[left], geom[right]))
    smaller = np.minimum(shapely.area(geom[left]), shapely.area(geom[right]))
    hit = (area > OVERLAP_MIN_M2) & (area > OVERLAP_MIN_SHARE * smaller)
    pairs = [
        (str(codes[i]), str(codes[j]), float(a))
        for i, j, a in zip(left[hit], right[hit], area[hit], strict=True)
    ]
    return sorted(pairs, key=lambda p: -p[2])


def _require_polygons(geom, codes, *, argument: str, source_name: str) -> None:
    kinds = shapely.get_type_id(geom)
    bad = ~np.isin(kinds, (3, 6, 7))  # Polygon, MultiPolygon, GeometryCollection (repaired)
    if bad.any():
        names = sorted({shapely.get_type_id(g) for g in geom[bad]})
        types = ", ".join(
            ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString"][k]
            for k in names
            if k < 6
        )
        example = str(np.asarray(codes)[np.flatnonzero(bad)[0]])
        raise SchemaError(
            f"`{argument}` ({source_name}) must hold polygons: {int(bad.sum())} of {len(geom)} "
            f"geometries are {types} (e.g. ward {example!r}). Buffer points or lines into areas "
            "(frame.buffer(distance)) or pass the ward polygons."
        )


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
        Geometries that are not polygons (points or lines); else listing every problem: a
        non-unique index, missing ``columns``.
    """
    areas = to_working_crs(wards, argument=argument, check_bounds=False)
    geom = areas.geometry.to_numpy()
    present = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    _require_polygons(geom[present], areas.index[present], argument=argument, source_name="given")
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
