"""The police.uk archive as a whole: every force and month, filtered, in parallel, cached.

The police.uk download (https://data.police.uk/data/archive/) is a zip, or the folder it unpacks
to, of month folders holding one file per force and kind::

    2023-06/2023-06-metropolitan-street.csv
    2023-06/2023-06-metropolitan-stop-and-search.csv
    2023-06/2023-06-metropolitan-outcomes.csv

:func:`list_archive` catalogues the files; :func:`read_archive` reads the street files of the
chosen forces and months into incidents (both cores parse files; each file accounted for as in
:func:`~snt_geo.io.read_police_uk`), joins each crime's latest outcome from the outcomes files by
Crime ID, and, given ``cache=``, keeps the result as GeoParquet partitioned by month so that the
next run reads only the months and columns it needs (see :func:`read_incidents_parquet`).
:func:`read_archive_outcomes` and :func:`read_archive_stop_and_search` read the other two kinds.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from snt_geo._dates import NO_MONTH, month_ordinals, months_from_ordinals
from snt_geo.errors import SchemaError
from snt_geo.io import _parquet
from snt_geo.io._accounting import ReadReport, attach
from snt_geo.io._csv import (
    ParsedFile,
    header_fields,
    issue_file,
    parse_file,
    read_text_table,
    require_columns,
)
from snt_geo.io.police_uk import (
    _finish,
    _normalise_crime_types,
    _normalise_months,
    _open_bytes,
    _parse_files,
    _street_rows,
)
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "ARCHIVE_KINDS",
    "list_archive",
    "read_archive",
    "read_archive_outcomes",
    "read_archive_stop_and_search",
    "read_incidents_parquet",
]

#: File kinds of the police.uk archive, as they end the file names.
ARCHIVE_KINDS = ("street", "stop-and-search", "outcomes")

_NAME = re.compile(
    r"(?:^|/)(\d{4}-\d{2})-([a-z0-9-]+?)-(street|stop-and-search|outcomes)\.csv(?:\.gz)?$"
)


@dataclass(frozen=True)
class _File:
    kind: str
    month: pd.Period
    force: str
    name: str
    opener: object  # a Path, or (zip path, member)
    size: int


def _catalogue(source: str | os.PathLike) -> list[_File]:
    path = Path(source)
    found: list[_File] = []
    if path.is_dir():
        for p in sorted(path.rglob("*.csv*")):
            m = _NAME.search(p.name.lower())
            if m and p.is_file():
                rel = str(p.relative_to(path))
                found.append(
                    _File(
                        m.group(3), pd.Period(m.group(1), "M"), m.group(2), rel, p, p.stat().st_size
                    )
                )
    elif path.is_file() and path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                m = _NAME.search(info.filename.lower())
                if m and not info.is_dir():
                    found.append(
                        _File(
                            m.group(3),
                            pd.Period(m.group(1), "M"),
                            m.group(2),
                            info.filename,
                            (path, info.filename),
                            info.file_size,
                        )
                    )
    else:
        raise FileNotFoundError(
            f"`source` {str(path)!r} is neither a folder nor a .zip: pass the police.uk archive "
            "(the downloaded .zip or the folder it unpacks to)."
        )
    if not found:
        raise SchemaError(
            f"`source` {str(path)!r} holds no police.uk archive files (named "
            "YYYY-MM/YYYY-MM-<force>-street.csv, -stop-and-search.csv or -outcomes.csv)."
        )
    return found


def _normalise_forces(forces: str | Iterable[str] | None, known: set[str]) -> set[str] | None:
    if forces is None:
        return None
    wanted = {forces} if isinstance(forces, str) else set(forces)
    wanted = {f.strip().lower().replace(" ", "-") for f in wanted}
    unknown = sorted(wanted - known)
    if unknown:
        raise SchemaError(
            f"`forces` has {unknown}, which the archive does not hold; use the force names of the "
            f"file names, e.g. {sorted(known)[:5]}."
        )
    return wanted


def _select(
    source: str | os.PathLike,
    kinds: Sequence[str],
    forces: str | Iterable[str] | None,
    months: object,
) -> list[_File]:
    files = _catalogue(source)
    wanted_forces = _normalise_forces(forces, {f.force for f in files})
    wanted_months = _normalise_months(months)
    return [
        f
        for f in files
        if f.kind in kinds
        and (wanted_forces is None or f.force in wanted_forces)
        and (wanted_months is None or f.month in wanted_months)
    ]


def list_archive(
    source: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    kinds: Sequence[str] = ARCHIVE_KINDS,
) -> pd.DataFrame:
    """List the files of a police.uk archive (folder or .zip), one row per file.

    Parameters
    ----------
    source
        The archive: the downloaded .zip or the folder it unpacks to.
    forces
        Keep these forces, as named in the file names (``"metropolitan"``, ``"city-of-london"``).
        Default None: all.
    months
        Keep these months (``"2023-06"``, ``pd.Period`` or ``pd.period_range(...)``). Default: all.
    kinds
        File kinds to list, from :data:`ARCHIVE_KINDS`.

    Returns
    -------
    pandas.DataFrame
        ``RangeIndex``; columns ``kind``, ``month`` (Period), ``force``, ``file`` (path inside the
        archive) and ``size_bytes``, sorted by month, force and kind.
    """
    bad = [k for k in kinds if k not in ARCHIVE_KINDS]
    if bad:
        raise ValueError(f"`kinds` must be drawn from {ARCHIVE_KINDS}; got {bad}.")
    files = _select(source, kinds, forces, months)
    frame = pd.DataFrame(
        {
            "kind": [f.kind for f in files],
            "month": pd.PeriodIndex([f.month for f in files], freq="M"),
            "force": [f.force for f in files],
            "file": [f.name for f in files],
            "size_bytes": np.array([f.size for f in files], dtype=np.int64),
        }
    )
    return frame.sort_values(["month", "force", "kind"], ignore_index=True)


# --------------------------------------------------------------------------------------------------
# Street files


def _read_street(
    files: Sequence[_File],
    *,
    crime_types: object,
    themes: ThemeTable,
    workers: int,
) -> tuple[gpd.GeoDataFrame, ReadReport]:
    """Street files -> incidents with a ``force`` column; the report is returned, not warned."""
    names = [f.name for f in files]
    parsed = _parse_files([(f.name, f.opener) for f in files], workers=workers)
    parts = [issue_file(p) for p in parsed]  # each file's repairs, in file order
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        gdf = _finish(
            **_street_rows(parts, names),
            months=None,
            crime_types=crime_types,
            themes=themes,
            reader="read_archive",
            outside_gb="drop",
        )
    report = gdf.attrs["read_report"]
    # Rows come back in file order: each file's kept rows carry its force.
    kept = [report.files[n]["rows_kept"] for n in names]
    forces = np.repeat(np.array([f.force for f in files], dtype=object), kept)
    gdf.insert(gdf.columns.get_loc("falls_within") + 1, "force", pd.Categorical(forces))
    gdf.index = pd.RangeIndex(len(gdf))
    return gdf, report


def _merge_reports(reports: Sequence[ReadReport], reader: str) -> ReadReport:
    files: dict = {}
    notes: dict = {}
    encodings: dict = {}
    reasons: tuple[str, ...] = ()
    for r in reports:
        files.update(r.files)
        notes.update(r.notes)
        encodings.update(r.encodings)
        reasons = reasons or r.reasons
    return ReadReport(reader=reader, files=files, reasons=reasons, notes=notes, encodings=encodings)


def _report_from_manifest(entries: Sequence[dict], reader: str) -> ReadReport:
    files, notes, encodings = {}, {}, {}
    reasons: tuple[str, ...] = ()
    for e in entries:
        files.update(e["files"])
        notes.update(e["notes"])
        encodings.update(e.get("encodings", {}))
        reasons = reasons or tuple(e["reasons"])
    return ReadReport(reader=reader, files=files, reasons=reasons, notes=notes, encodings=encodings)


# --------------------------------------------------------------------------------------------------
# Outcomes


def _latest_outcomes(files: Sequence[_File], workers: int) -> pd.DataFrame:
    """Return the last outcome of each Crime ID over the outcomes files, indexed by ``crime_id``."""
    if not files:
        return pd.DataFrame(
            {"outcome_type": pd.Categorical([]), "outcome_month": pd.PeriodIndex([], freq="M")},
            index=pd.Index([], dtype="string", name="crime_id"),
        )
    frame = _read_outcome_files(files, workers=workers)
    frame = frame.dropna(subset=["crime_id"])
    # The outcomes files are monthly: the later file holds the later outcome.
    order = np.argsort(frame["month"].array.asi8, kind="stable")
    frame = frame.iloc[order].drop_duplicates("crime_id", keep="last")
    return frame.set_index("crime_id")[["outcome_type", "month"]].rename(
        columns={"month": "outcome_month"}
    )


def _join_outcomes(incidents: gpd.GeoDataFrame, latest: pd.DataFrame) -> gpd.GeoDataFrame:
    pos = latest.index.get_indexer(incidents["crime_id"].astype("string").fillna(""))
    hit = pos >= 0
    pick = np.maximum(pos, 0)
    codes = latest["outcome_type"].cat.codes.to_numpy()
    ordinals = latest["outcome_month"].array.asi8
    outcome = pd.Categorical.from_codes(
        np.where(hit, codes[pick] if len(codes) else -1, -1),
        categories=latest["outcome_type"].cat.categories,
    )
    month = np.where(hit, ordinals[pick] if len(ordinals) else NO_MONTH, NO_MONTH)
    return incidents.assign(outcome_type=outcome, outcome_month=months_from_ordinals(month))


#: Drop reasons of the outcomes reader, in the order they are tested.
OUTCOME_REASONS = ("malformed_row", "unclosed_quote")

# Normalised outcomes header -> column; Reported by and Falls within may be missing (null).
_OUTCOME_COLUMNS = ("crime_id", "month", "reported_by", "falls_within", "outcome_type")
_OUTCOME_REQUIRED = ("crime_id", "month", "outcome_type")


def _parse_outcomes(name: str, data: bytes) -> ParsedFile:
    """Parse one outcomes file's bytes; never warns or raises (files are parsed on threads)."""
    return parse_file(
        name,
        data,
        _parse_outcome_rows,
        expected="a police.uk outcomes CSV with a header row (Crime ID, Month, ..., Outcome type)",
    )


def _parse_outcome_rows(name: str, data: bytes) -> tuple[pa.Table, int]:
    """Rows of repaired outcomes bytes as text columns, and the malformed rows skipped."""
    header = header_fields(data)
    norm = [re.sub(r"[^0-9a-z]+", "_", h.lower()).strip("_") for h in header]
    require_columns(name, header, norm, _OUTCOME_REQUIRED, "outcomes")
    names = [n if n in _OUTCOME_COLUMNS else f"extra_{i}" for i, n in enumerate(norm)]
    return read_text_table(name, data, column_names=names, include_columns=_OUTCOME_COLUMNS)


def _read_outcome_files(files: Sequence[_File], *, workers: int = 2) -> pd.DataFrame:
    """Outcomes files -> one row per outcome (engine of :func:`read_archive_outcomes`).

    Each file is repaired before parsing and accounted for as street files are: the frame's
    ``attrs["read_report"]`` holds the :class:`ReadReport`, and each file's repairs and then the
    report are warned (in file order, never from a worker thread) at the analyst's call, whether
    it was :func:`read_archive_outcomes` or :func:`read_archive`.
    """
    found = [(f.name, f.opener) for f in files]
    parts = [issue_file(p) for p in _parse_files(found, parse=_parse_outcomes, workers=workers)]
    table = pa.concat_tables(
        p.table.append_column("force", pa.array([f.force] * p.table.num_rows, pa.string()))
        for p, f in zip(parts, files, strict=True)
    )
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    for col in ("reported_by", "falls_within", "outcome_type", "force"):
        frame[col] = frame[col].astype("category")
    ordinals = month_ordinals(frame["month"], argument="month")
    frame["month"] = months_from_ordinals(ordinals)
    # Kept but noted: an outcome with no month cannot be ordered (read_archive's join takes it
    # only when its crime has no dated outcome), and one with no Crime ID joins no crime.
    file_of_row = np.repeat(np.arange(len(parts)), [p.table.num_rows for p in parts])
    no_month = np.bincount(file_of_row[ordinals == NO_MONTH], minlength=len(parts))
    no_id = np.bincount(file_of_row[frame["crime_id"].isna().to_numpy()], minlength=len(parts))
    report = ReadReport(
        reader="read_archive_outcomes",
        files={
            p.name: {
                "rows_read": p.table.num_rows + p.malformed + p.unclosed,
                "rows_kept": p.table.num_rows,
                "malformed_row": p.malformed,
                "unclosed_quote": p.unclosed,
            }
            for p in parts
        },
        reasons=OUTCOME_REASONS,
        notes={
            p.name: {
                "cp1252_lines": p.cp1252_lines,
                "unparseable_month": int(no_month[i]),
                "no_crime_id": int(no_id[i]),
            }
            for i, p in enumerate(parts)
        },
        encodings={p.name: p.encoding for p in parts},
    )
    attach(frame, report)
    report.warn(stacklevel=None)
    return frame


def read_archive_outcomes(
    source: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    workers: int = 2,
) -> pd.DataFrame:
    """Read the outcomes files of a police.uk archive: one row per recorded outcome.

    Parameters
    ----------
    source, forces, months
        As for :func:`read_archive` (``months`` selects outcome files by the month they were
        recorded in).
    workers
        Files parsed at once (threads). Default 2.

    Returns
    -------
    pandas.DataFrame
        ``RangeIndex``; ``crime_id`` (string), ``month`` (Period: when the outcome was recorded),
        ``reported_by``, ``falls_within``, ``outcome_type`` and ``force`` (categoricals), in file
        then row order. ``attrs["read_report"]`` holds the :class:`~snt_geo.io.ReadReport`
        (see :func:`~snt_geo.io.read_report`), warned once when anything was dropped or noted.

    Raises
    ------
    SchemaError
        No outcomes file is selected, or one is empty or lacks the Crime ID, Month or Outcome
        type column.

    Notes
    -----
    Every row is accounted for: per file, rows read = rows kept + ``malformed_row`` (wrong number
    of fields) + ``unclosed_quote`` (a line opening a quote that never closes, which would swallow
    the rest of the file; warned with its line number). Files are repaired before parsing as street
    files are (see :func:`~snt_geo.io.read_police_uk`): a file that is not UTF-8 is read as
    Windows-1252, Windows-1252 lines inside a UTF-8 file are decoded and counted as the note
    ``cp1252_lines`` (with a warning), and CR-only line endings are read. Rows are kept but noted
    when their month cannot be read (``unparseable_month``: ``month`` is missing) or they have no
    Crime ID (``no_crime_id``: they cannot be joined to a crime). The outcome join of
    :func:`read_archive` reads the outcomes files the same way and warns the same.
    """
    _check_workers(workers)
    files = _select(source, ("outcomes",), forces, months)
    if not files:
        raise SchemaError("`source` holds no outcomes files for these `forces` and `months`.")
    return _read_outcome_files(files, workers=workers)


def _check_workers(workers: object) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`workers` must be a whole number >= 1; got {workers!r}.")


def read_archive_stop_and_search(
    source: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
) -> gpd.GeoDataFrame:
    """Read the stop-and-search files of the chosen forces and months of a police.uk archive.

    Returns
    -------
    geopandas.GeoDataFrame
        The searches schema of :func:`~snt_geo.io.read_stop_and_search` (with its
        ``attrs["read_report"]``), for the selected files.
    """
    import tempfile

    from snt_geo.io.stop_search import read_stop_and_search

    files = _select(source, ("stop-and-search",), forces, months)
    if not files:
        raise SchemaError("`source` holds no stop-and-search files for these `forces`/`months`.")
    paths = [f.opener for f in files if not isinstance(f.opener, tuple)]
    if len(paths) == len(files):
        return read_stop_and_search(paths)
    # Members of a zip: read_stop_and_search takes paths, so the chosen members are unpacked.
    with tempfile.TemporaryDirectory(prefix="snt_geo_sas_") as tmp:
        out = []
        for f in files:
            target = Path(tmp) / Path(f.name).name
            target.write_bytes(_open_bytes(f.opener))
            out.append(target)
        return read_stop_and_search(out)


# --------------------------------------------------------------------------------------------------
# The archive reader and its cache


def read_archive(
    source: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    crime_types: object = None,
    themes: ThemeTable | None = None,
    outcomes: bool = True,
    cache: str | os.PathLike | None = None,
    workers: int = 2,
) -> gpd.GeoDataFrame:
    """Read the street-level crime of a police.uk archive (every force and month, or a choice).

    Parameters
    ----------
    source
        The archive: the downloaded .zip or the folder it unpacks to
        (``YYYY-MM/YYYY-MM-<force>-street.csv`` and friends).
    forces
        Forces to read, as named in the file names (``"metropolitan"``). Default None: all.
    months
        Months to read (``"2023-06"``, ``pd.Period``, ``pd.period_range(...)``). Default: all.
    crime_types
        Keep only these crime types (names, API slugs or theme keys, as for
        :func:`~snt_geo.io.read_police_uk`). Default: all.
    themes
        Theme table for the ``theme`` column; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    outcomes
        Join each crime's latest outcome from the outcomes files of the chosen forces (all
        months of the archive) by Crime ID. Default True.
    cache
        A folder for the GeoParquet cache (created if missing). Months already cached from the same
        files are read from it; the others are read from the CSV files and added. Default None: no
        cache.
    workers
        Files parsed at once (threads; pyarrow releases the GIL). Default 2 (both cores here).

    Returns
    -------
    geopandas.GeoDataFrame
        The incidents schema (:data:`~snt_geo.io.INCIDENT_COLUMNS`) plus ``force`` (categorical,
        from the file names) and, with ``outcomes``, ``outcome_type`` (categorical, NA when the
        crime has no outcome row) and ``outcome_month`` (Period). EPSG:27700, ``RangeIndex``, in
        month, then file, then row order. ``attrs["read_report"]`` is the per-file account of the
        CSV files behind the rows (kept in the cache's manifest for cached months); it is warned
        once when anything was dropped or noted.

    Notes
    -----
    A cached month is reused only when its source files (names and sizes) are the ones the archive
    holds now for the chosen forces; otherwise the month is read again. The crime-type filter is
    applied on reading the cache, so one cache serves every filter.
    """
    themes = themes or DEFAULT_THEMES
    _check_workers(workers)
    street = _select(source, ("street",), forces, months)
    if not street:
        raise SchemaError("`source` holds no street files for these `forces` and `months`.")
    _normalise_crime_types(crime_types, themes)  # fail early on a bad filter
    by_month: dict[pd.Period, list[_File]] = {}
    for f in street:
        by_month.setdefault(f.month, []).append(f)
    latest = None
    if outcomes:
        wanted_forces = {f.force for f in street}
        latest = _latest_outcomes(
            [f for f in _catalogue(source) if f.kind == "outcomes" and f.force in wanted_forces],
            workers,
        )
    if cache is None:
        gdf, report = _read_street(street, crime_types=crime_types, themes=themes, workers=workers)
        if latest is not None:
            gdf = _join_outcomes(gdf, latest)
    else:
        gdf, report = _through_cache(
            Path(cache), by_month, latest, crime_types=crime_types, themes=themes, workers=workers
        )
    attach(gdf, report)
    report.warn(stacklevel=3)  # the caller of read_archive
    return gdf


def _signature(files: Sequence[_File]) -> list[list]:
    return sorted([f.name, f.size] for f in files)


def _through_cache(
    root: Path,
    by_month: dict[pd.Period, list[_File]],
    latest: pd.DataFrame | None,
    *,
    crime_types: object,
    themes: ThemeTable,
    workers: int,
) -> tuple[gpd.GeoDataFrame, ReadReport]:
    manifest = _parquet.read_manifest(root)
    present = set(_parquet.cached_months(root))
    entries = []
    for month, files in sorted(by_month.items()):
        key = month.strftime("%Y-%m")
        entry = manifest["months"].get(key)
        fresh = (
            month in present
            and entry is not None
            and entry["files_signature"] == _signature(files)
            and entry["outcomes"] == (latest is not None)
        )
        if not fresh:
            gdf, report = _read_street(files, crime_types=None, themes=themes, workers=workers)
            if latest is not None:
                gdf = _join_outcomes(gdf, latest)
            _parquet.write_month(gdf, root, month)
            entry = {
                "files_signature": _signature(files),
                "outcomes": latest is not None,
                "files": {k: dict(v) for k, v in report.files.items()},
                "notes": {k: dict(v) for k, v in report.notes.items()},
                "encodings": dict(report.encodings),
                "reasons": list(report.reasons),
            }
            manifest["months"][key] = entry
            _parquet.write_manifest(root, manifest)
        entries.append(entry)
    forces = sorted({f.force for files in by_month.values() for f in files})
    types = _normalise_crime_types(crime_types, themes)
    table = _parquet.read_table(
        root,
        months=sorted(by_month),
        forces=forces,
        crime_types=sorted(types) if types is not None else None,
    )
    gdf = _parquet.table_to_incidents(table)
    return gdf, _report_from_manifest(entries, "read_archive")


def read_incidents_parquet(
    path: str | os.PathLike,
    *,
    forces: str | Iterable[str] | None = None,
    months: object = None,
    crime_types: object = None,
    columns: Sequence[str] | None = None,
    themes: ThemeTable | None = None,
) -> gpd.GeoDataFrame:
    """Read incidents back from a GeoParquet cache written by :func:`read_archive` (``cache=``).

    Parameters
    ----------
    path
        The cache folder (``month=YYYY-MM/part-0.parquet`` partitions).
    forces, months, crime_types
        Filters pushed down to the files: the months choose partitions, forces and crime types
        skip row groups. Default: everything.
    columns
        Columns to read besides ``month`` and ``geometry`` (always read). Default None: all.
    themes
        Theme table that resolves theme keys and slugs in ``crime_types``.

    Returns
    -------
    geopandas.GeoDataFrame
        The cached columns (``month`` as Period, text as categoricals or Arrow strings), EPSG:27700,
        ``RangeIndex``, in month order.
    """
    root = Path(path)
    if not _parquet.cached_months(root):
        raise FileNotFoundError(
            f"`path` {str(root)!r} holds no cached months (month=YYYY-MM/part-0.parquet); build "
            "the cache with snt_geo.io.read_archive(source, cache=path)."
        )
    wanted_months = _normalise_months(months)
    types = _normalise_crime_types(crime_types, themes or DEFAULT_THEMES)
    forces_list = None
    if forces is not None:
        forces_list = [forces] if isinstance(forces, str) else list(forces)
    table = _parquet.read_table(
        root,
        months=sorted(wanted_months) if wanted_months is not None else None,
        forces=forces_list,
        crime_types=sorted(types) if types is not None else None,
        columns=columns,
    )
    return _parquet.table_to_incidents(table)
