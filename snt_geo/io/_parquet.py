"""The incidents cache on disk: GeoParquet partitioned by month (engine of the archive reader).

Layout: ``<root>/month=YYYY-MM/part-0.parquet``, one file per month (a hive partition, so a month
filter opens only that month's files), plus ``<root>/_manifest.json`` naming the source files each
partition came from and their read accounts. Each file is GeoParquet 1.1 with the geometry in the
native ``point`` encoding (a struct of x and y, EPSG:27700 in the ``geo`` metadata), readable by
``geopandas.read_parquet``, GDAL >= 3.8 and QGIS; the month lives in the directory name only.

Files are written to a temporary name and renamed into place, so a partition is never
half-written: an interrupted run leaves complete months and no partial one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from snt_geo._dates import months_from_ordinals
from snt_geo._locations import group_locations, shared_points
from snt_geo.crs import WORKING_CRS, is_british_national_grid
from snt_geo.errors import CRSError, SchemaError

MANIFEST = "_manifest.json"
PART = "part-0.parquet"


def partition_dir(root: Path, month: pd.Period) -> Path:
    return root / f"month={month.strftime('%Y-%m')}"


def write_month(incidents: gpd.GeoDataFrame, root: Path, month: pd.Period) -> int:
    """Write the incidents of one month as one GeoParquet file (atomically); rows written."""
    if incidents.crs is None or not is_british_national_grid(incidents.crs):
        raise CRSError("the cache holds EPSG:27700 incidents; reproject with snt_geo.crs first.")
    folder = partition_dir(root, month)
    folder.mkdir(parents=True, exist_ok=True)
    frame = incidents.drop(columns=["month"], errors="ignore")
    if "force" in frame.columns:
        # Sorted by force, so a force filter skips whole row groups by their statistics.
        frame = frame.sort_values("force", kind="stable")
    frame.attrs = {}  # the read report lives in the manifest, not in the file's metadata
    tmp = folder / f".{PART}.{os.getpid()}.tmp"
    frame.to_parquet(tmp, index=False, geometry_encoding="geoarrow", row_group_size=65_536)
    os.replace(tmp, folder / PART)
    return len(frame)


def cached_months(root: Path) -> list[pd.Period]:
    """Months with a complete partition file under ``root``."""
    if not root.is_dir():
        return []
    out = []
    for sub in sorted(root.glob("month=*")):
        if (sub / PART).is_file():
            out.append(pd.Period(sub.name.split("=", 1)[1], freq="M"))
    return out


def read_manifest(root: Path) -> dict:
    path = root / MANIFEST
    if not path.is_file():
        return {"months": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(root: Path, manifest: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)


def _filter(
    months: Sequence[pd.Period] | None,
    forces: Iterable[str] | None,
    crime_types: Iterable[str] | None,
    schema: pa.Schema,
) -> ds.Expression | None:
    expr = None

    def both(a, b):
        return b if a is None else a & b

    if months is not None:
        expr = both(expr, ds.field("month").isin([m.strftime("%Y-%m") for m in months]))
    if forces is not None:
        if "force" not in schema.names:
            raise SchemaError(
                "`forces` needs a `force` column in the cache (written by the archive)."
            )
        expr = both(expr, ds.field("force").isin(list(forces)))
    if crime_types is not None:
        expr = both(expr, ds.field("crime_type").isin(list(crime_types)))
    return expr


def read_table(
    root: Path,
    *,
    months: Sequence[pd.Period] | None = None,
    forces: Iterable[str] | None = None,
    crime_types: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Read the cached rows that pass the filters, as an Arrow table.

    The filters are pushed down: the month prunes partitions, force and crime type use
    row-group statistics.
    """
    dataset = ds.dataset(
        root,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive"),
        exclude_invalid_files=False,
        ignore_prefixes=[".", "_"],
    )
    expr = _filter(months, forces, crime_types, dataset.schema)
    wanted = None
    if columns is not None:
        unknown = [c for c in columns if c not in dataset.schema.names]
        if unknown:
            raise SchemaError(
                f"`columns` {unknown} are not in the cache; it holds {dataset.schema.names}."
            )
        wanted = list(dict.fromkeys([*columns, "month", "geometry"]))
    return dataset.to_table(columns=wanted, filter=expr)


def table_to_incidents(table: pa.Table) -> gpd.GeoDataFrame:
    """Convert an Arrow table read from the cache to an incidents GeoDataFrame.

    The month becomes a Period, text columns categorical, with one shared point object per
    distinct location.
    """
    geometry = table.column("geometry")
    x = pc.struct_field(geometry, "x").to_numpy()
    y = pc.struct_field(geometry, "y").to_numpy()
    month_text = table.column("month").dictionary_encode().combine_chunks()
    month_values = pd.PeriodIndex(month_text.dictionary.to_pylist(), freq="M").asi8
    ordinals = month_values[month_text.indices.to_numpy(zero_copy_only=False)]
    rest = table.drop_columns(["geometry", "month"])
    frame = rest.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.insert(0, "month", months_from_ordinals(ordinals))
    codes, xy, _ = group_locations(x, y)
    return gpd.GeoDataFrame(frame, geometry=shared_points(xy, codes), crs=WORKING_CRS)


def table_xy(table: pa.Table) -> np.ndarray:
    """(n, 2) EPSG:27700 coordinates of a cache table's rows, without building geometries."""
    geometry = table.column("geometry")
    return np.column_stack(
        [pc.struct_field(geometry, "x").to_numpy(), pc.struct_field(geometry, "y").to_numpy()]
    )
