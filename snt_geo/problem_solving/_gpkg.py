"""The GeoPackage plumbing of the register: required tables and geometry blobs (OGC 12-128r18).

Only what the register needs: the three required metadata tables, feature and attribute tables
registered in ``gpkg_contents``, and the standard geometry binary (``GP`` header, envelope, WKB).
"""

from __future__ import annotations

import sqlite3
import struct

import pyproj
import shapely

#: ``PRAGMA application_id`` of a GeoPackage ("GPKG").
APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of GeoPackage 1.3.
GPKG_VERSION = 10300
SRS_ID = 27700

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

REQUIRED_TABLES = """
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def init_geopackage(con: sqlite3.Connection) -> None:
    """Write the GeoPackage header pragmas, required tables and spatial reference systems."""
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {GPKG_VERSION}")
    con.executescript(REQUIRED_TABLES)
    bng = pyproj.CRS.from_epsg(SRS_ID)
    wgs = pyproj.CRS.from_epsg(4326)
    con.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, wgs.to_wkt("WKT1_GDAL"), "WGS 84"),
            (
                "OSGB36 / British National Grid",
                SRS_ID,
                "EPSG",
                SRS_ID,
                bng.to_wkt("WKT1_GDAL"),
                "British National Grid",
            ),
        ],
    )


def register_table(
    con: sqlite3.Connection, table: str, *, description: str, geometry: str | None
) -> None:
    """Register ``table`` in gpkg_contents (and gpkg_geometry_columns for a feature table)."""
    data_type = "attributes" if geometry is None else "features"
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (table, data_type, table, description, None if geometry is None else SRS_ID),
    )
    if geometry is not None:
        con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            (table, geometry, "GEOMETRY", SRS_ID),
        )


def to_blob(geom: shapely.Geometry | None) -> bytes | None:
    """GeoPackage geometry binary (little-endian, xy envelope); None for a missing geometry."""
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    header = b"GP" + bytes([0, 0b00000011]) + struct.pack("<i4d", SRS_ID, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")


def from_blob(blob: bytes | None) -> shapely.Geometry | None:
    """Return the shapely geometry of a GeoPackage geometry binary (None for NULL)."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry (no 'GP' magic)")
    flags = blob[3]
    envelope = _ENVELOPE_BYTES[(flags >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + envelope :]))
