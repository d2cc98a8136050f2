"""The police.uk archive and the GeoParquet cache as dask GeoDataFrames (one partition per file).

A partition is one street file (a month of one force) or one cached month, read by the same
engine as :func:`snt_geo.io.read_archive` / :func:`snt_geo.io.read_incidents_parquet`, so the
rows are the ones the in-memory reader keeps. Partitions are independent: a cluster reads them
wherever its workers run (the paths must be visible to the workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import geopandas as gpd

from snt_geo.io import _parquet
from snt_geo.io.archive import _read_street, _select
from snt_geo.io.police_uk import _normalise_crime_types, _normalise_months
from snt_geo.scale._backend import dask_modules
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = ["read_archive_dask", "read_incidents_parquet_dask"]


def _street_partition(file, crime_types, themes: ThemeTable) -> gpd.GeoDataFrame:
    gdf, _ = _read_street([file], crime_types=crime_types, themes=themes, workers=1)
    gdf.attrs = {}
    return _plain_text(gdf)


def _plain_text(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Categorical text as Arrow strings: partitions' categories differ, strings concatenate."""
    out = gdf.copy(deep=False)
    for col in out.columns:
        if col != out.geometry.name and str(out[col].dtype) == "category":
            out[col] = out[col].astype("string[pyarrow]")
    return out


def read_archive_dask(
    source: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    crime_types: object = None,
    themes: ThemeTable | None = None,
):
    """Read the street files of a police.uk archive as a dask GeoDataFrame, one partition per file.

    Parameters
    ----------
    source, forces, months, crime_types, themes
        As for :func:`snt_geo.io.read_archive` (outcomes are not joined here).

    Returns
    -------
    dask_geopandas.GeoDataFrame
        Lazy; the incidents schema plus ``force``, with text columns as Arrow strings (each
        partition's categories would differ), each partition with its own ``RangeIndex``.
        Partitions follow the files: month, then force.
        Rows dropped by the reader (no coordinates, ...) are dropped here too; the per-file
        account is that of :func:`snt_geo.io.read_archive`.
    """
    dask, dd = dask_modules()
    themes = themes or DEFAULT_THEMES
    _normalise_crime_types(crime_types, themes)
    files = sorted(
        _select(source, ("street",), forces, months), key=lambda f: (f.month, f.force, f.name)
    )
    if not files:
        raise FileNotFoundError("`source` holds no street files for these `forces` and `months`.")
    meta = _street_partition(files[0], crime_types, themes).iloc[:0]
    parts = [dask.delayed(_street_partition)(f, crime_types, themes) for f in files]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _cache_partition(root, month, forces, crime_types, columns) -> gpd.GeoDataFrame:
    table = _parquet.read_table(
        root, months=[month], forces=forces, crime_types=crime_types, columns=columns
    )
    return _plain_text(_parquet.table_to_incidents(table))


def read_incidents_parquet_dask(
    path: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    crime_types: object = None,
    columns: list[str] | None = None,
    themes: ThemeTable | None = None,
):
    """Read a GeoParquet cache as a dask GeoDataFrame, one partition per cached month.

    The cache is the one :func:`snt_geo.io.read_archive` writes with ``cache=``; filters are
    pushed down to the files.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        Lazy; the cached columns (or ``columns`` plus ``month`` and ``geometry``), text as Arrow
        strings.
    """
    from pathlib import Path

    dask, dd = dask_modules()
    root = Path(path)
    cached = _parquet.cached_months(root)
    wanted = _normalise_months(months)
    chosen = [m for m in cached if wanted is None or m in wanted]
    if not chosen:
        raise FileNotFoundError(
            f"`path` {str(root)!r} holds no cached months for these `months`; build the cache "
            "with snt_geo.io.read_archive(source, cache=path)."
        )
    types = _normalise_crime_types(crime_types, themes or DEFAULT_THEMES)
    types_list = sorted(types) if types is not None else None
    forces_list = None
    if forces is not None:
        forces_list = [forces] if isinstance(forces, str) else list(forces)
    meta = _cache_partition(root, chosen[0], forces_list, types_list, columns).iloc[:0]
    parts = [
        dask.delayed(_cache_partition)(root, m, forces_list, types_list, columns) for m in chosen
    ]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)
