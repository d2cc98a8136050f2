"""Reader for police.uk stop-and-search files (``YYYY-MM-<force>-stop-and-search.csv``).

Returns the *searches* schema: a GeoDataFrame of points in EPSG:27700, one row per search, with
the columns :data:`STOP_SEARCH_COLUMNS`:

=============================  =====================================================================
``date``                       date and time of the search (``datetime64``, London local time)
``month``                      ``pandas.Period`` (freq ``M``) of ``date``
``force``                      force of the file, from its name (``"metropolitan"``)
``type``                       ``"Person search"``, ``"Vehicle search"`` or both
``part_of_operation``          boolean (NA when blank)
``operation``                  name of the policing operation (string)
``gender``                     categorical
``age_range``                  ``"under 10"``, ``"10-17"``, ``"18-24"``, ``"25-34"``, ``"over 34"``
``self_defined_ethnicity``     categorical
``officer_defined_ethnicity``  categorical
``legislation``                categorical
``object_of_search``           categorical (``"Controlled drugs"``, ``"Offensive weapons"``...)
``outcome``                    categorical (``"A no further action disposal"``, ``"Arrest"``...)
``outcome_linked``             boolean: outcome linked to the object of search (NA when blank)
``removal_of_clothing``        boolean: more than outer clothing removed (NA when blank)
``geometry``                   point, EPSG:27700
=============================  =====================================================================

Every row is accounted for, as in :func:`snt_geo.io.read_police_uk`: rows read = rows kept + rows
dropped, per reason and per file, in ``attrs["read_report"]`` and one ``UserWarning``.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from snt_geo._dates import NO_MONTH, month_ordinals, months_from_ordinals, parse_dates
from snt_geo.crs import GB_BOUNDS_27700, WORKING_CRS
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach
from snt_geo.io._csv import ParsedFile, header_fields, issue_file, parse_file, read_text_table
from snt_geo.io.police_uk import _normalise_months, _parse_files, _points, _project_unique

__all__ = ["read_stop_and_search", "STOP_SEARCH_COLUMNS"]

#: Columns of the searches schema, in order (geometry last).
STOP_SEARCH_COLUMNS = (
    "date",
    "month",
    "force",
    "type",
    "part_of_operation",
    "operation",
    "gender",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_linked",
    "removal_of_clothing",
    "geometry",
)

# Normalised police.uk header -> schema column.
_HEADER = {
    "type": "type",
    "date": "date",
    "part_of_a_policing_operation": "part_of_operation",
    "policing_operation": "operation",
    "latitude": "latitude",
    "longitude": "longitude",
    "gender": "gender",
    "age_range": "age_range",
    "self_defined_ethnicity": "self_defined_ethnicity",
    "officer_defined_ethnicity": "officer_defined_ethnicity",
    "legislation": "legislation",
    "object_of_search": "object_of_search",
    "outcome": "outcome",
    "outcome_linked_to_object_of_search": "outcome_linked",
    "removal_of_more_than_just_outer_clothing": "removal_of_clothing",
}
_REQUIRED = ("date", "latitude", "longitude", "object_of_search", "outcome")
_CATEGORIES = (
    "type",
    "gender",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
)
_FLAGS = ("part_of_operation", "outcome_linked", "removal_of_clothing")

#: Drop reasons, in the order they are tested.
REASONS = (
    "malformed_row",
    "unclosed_quote",
    "unparseable_date",
    "no_coordinates",
    "zero_coordinates",
    "outside_great_britain",
    "filtered_months",
)

_FILE = re.compile(r"^(\d{4}-\d{2})-(.+)-stop-and-search\.csv(\.gz)?$", re.IGNORECASE)


def _is_search_csv(name: str) -> bool:
    return bool(_FILE.match(os.path.basename(name)))


def _expand(source) -> list[tuple[str, object]]:
    """(display name, opener) for every stop-and-search file in ``source``."""
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, Iterable):
        items = list(source)
        if not items:
            raise SchemaError("`source` is an empty list: pass at least one file, folder or .zip.")
    else:
        raise TypeError(
            "`source` must be a path (CSV, .csv.gz, folder or .zip) or a list of paths; got "
            f"{type(source).__name__}."
        )
    found: list[tuple[str, object]] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_search_csv(p.name))
            if not files:
                raise SchemaError(
                    f"`source` folder {str(path)!r} holds no police.uk stop-and-search files "
                    "(named YYYY-MM-<force>-stop-and-search.csv or .csv.gz)."
                )
            found += [(p.name, p) for p in files]
        elif path.is_file() and path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                members = sorted(n for n in zf.namelist() if _is_search_csv(n))
            if not members:
                raise SchemaError(
                    f"`source` archive {str(path)!r} holds no stop-and-search files "
                    "(YYYY-MM/YYYY-MM-<force>-stop-and-search.csv)."
                )
            found += [(os.path.basename(m), (path, m)) for m in members]
        elif path.is_file():
            found.append((path.name, path))
        else:
            raise FileNotFoundError(
                f"`source` {str(path)!r} does not exist: pass a police.uk stop-and-search CSV "
                "(.csv or .csv.gz), a folder of them (the archive's month folders), or a "
                "police.uk archive .zip."
            )
    return found


def _parse_table(name: str, data: bytes) -> ParsedFile:
    """Parse one file's rows as text columns named by the schema; never warns or raises.

    The bytes are repaired first, exactly as for street files (:func:`clean_csv_bytes`): a line
    opening a quote that never closes is cut out and counted, Windows-1252 lines of a UTF-8 file are
    decoded and counted, CR-only line endings are converted.
    """
    return parse_file(
        name,
        data,
        _parse_rows,
        expected="a police.uk stop-and-search CSV with a header row (Type, Date, ..., Latitude, "
        "Longitude, ..., Object of search, Outcome...)",
    )


def _parse_rows(name: str, data: bytes) -> tuple[pa.Table, int]:
    """Rows of repaired bytes as text columns named by the schema, and the malformed rows."""
    header = header_fields(data)
    norm = [re.sub(r"[^0-9a-z]+", "_", h.lower()).strip("_") for h in header]
    missing = [c for c in _REQUIRED if c not in {_HEADER.get(n) for n in norm}]
    if missing:
        raise SchemaError(
            f"`source` file {name!r} is not a police.uk stop-and-search file: it lacks "
            f"{missing} (found {header}).",
        )
    names = [_HEADER.get(n, f"extra_{i}") for i, n in enumerate(norm)]
    return read_text_table(
        name,
        data,
        column_names=names,
        include_columns=[n for n in names if not n.startswith("extra_")],
    )


def _flag(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    return text.map({"true": True, "false": False}, na_action="ignore").astype("boolean")


def read_stop_and_search(source, *, months=None) -> gpd.GeoDataFrame:
    """Read police.uk stop-and-search files into searches (EPSG:27700).

    Parameters
    ----------
    source
        One stop-and-search CSV (plain or ``.gz``), a folder (searched recursively, as in the
        archive's ``YYYY-MM/`` month folders), a police.uk archive ``.zip`` (its stop-and-search
        files; street and outcomes files are ignored), or a list of these. Files of several forces
        may be mixed.
    months
        Keep only searches dated in these months (``'2024-01'``, ``pd.Period``,
        ``pd.period_range(...)``). Default all; others are counted as ``filtered_months``.

    Returns
    -------
    geopandas.GeoDataFrame
        The searches schema (:data:`STOP_SEARCH_COLUMNS`), EPSG:27700, a fresh ``RangeIndex`` in
        file then row order. ``attrs["read_report"]`` holds the :class:`~snt_geo.io.ReadReport`.

    Raises
    ------
    FileNotFoundError
        ``source`` does not exist.
    SchemaError
        An empty file, a file without the stop-and-search columns, or a folder or zip without
        stop-and-search files.

    Notes
    -----
    Rows are dropped, and counted, for exactly these reasons (the first that applies):
    ``malformed_row`` (wrong number of fields), ``unclosed_quote`` (a line opening a quote that
    never closes, which would swallow the rest of the file; warned with its line number),
    ``unparseable_date``, ``no_coordinates`` (police.uk publishes many searches without a location:
    10,292 of 10,866 in the Met's 2018-03 file), ``zero_coordinates``, ``outside_great_britain``
    (after projection) and ``filtered_months``. Dates carry a UTC offset; the month is taken in
    London local time. A search dated in another month than its file's is kept and counted as the
    note ``month_differs_from_file``.

    Files are repaired before parsing as street files are (see :func:`~snt_geo.io.read_police_uk`):
    a file that is not UTF-8 is read as Windows-1252, Windows-1252 lines inside a UTF-8 file are
    decoded and counted as the note ``cp1252_lines`` (with a warning), and CR-only line endings
    are read. ``encodings`` of the report records each file's encoding.
    """
    months_set = _normalise_months(months)
    # Parsed on every core; each file's repairs warned in file order, at the analyst's call.
    parts = [issue_file(p) for p in _parse_files(_expand(source), parse=_parse_table)]
    names = [p.name for p in parts]
    matches = [_FILE.match(n) for n in names]
    file_months = [pd.Period(m.group(1), freq="M").ordinal if m else NO_MONTH for m in matches]
    forces = [m.group(2).lower() if m else pd.NA for m in matches]
    if len(set(names)) != len(names):
        names = [f"{i}:{n}" for i, n in enumerate(names)]
    sizes = [p.table.num_rows for p in parts]
    frame = pd.concat([p.table.to_pandas() for p in parts], ignore_index=True)
    codes = np.repeat(np.arange(len(parts)), sizes)

    dates = parse_dates(frame["date"], argument="source")
    month = month_ordinals(dates, argument="source")  # London-time months of the parsed dates
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy("float64")
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy("float64")
    reason = np.full(len(frame), -1, dtype=np.int8)

    def mark(mask: np.ndarray, name: str) -> None:
        reason[(reason < 0) & mask] = REASONS.index(name)

    mark(dates.isna().to_numpy() | (month == NO_MONTH), "unparseable_date")
    mark(np.isnan(lon) | np.isnan(lat), "no_coordinates")
    mark((lon == 0) & (lat == 0), "zero_coordinates")
    ok = reason < 0
    x, y = _project_unique(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan), "EPSG:4326")
    xmin, ymin, xmax, ymax = GB_BOUNDS_27700
    with np.errstate(invalid="ignore"):
        outside = ~((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)) & ~np.isnan(x)
    mark(outside, "outside_great_britain")
    if months_set is not None:
        wanted = np.array([p.ordinal for p in months_set], dtype=np.int64)
        mark(~np.isin(month, wanted), "filtered_months")
    keep = reason < 0

    counts, notes = {}, {}
    other_month = month != np.repeat(np.array(file_months, dtype=np.int64), sizes)
    for i, (name, part) in enumerate(zip(names, parts, strict=True)):
        in_file = codes == i
        per = {
            "rows_read": int(in_file.sum()) + part.malformed + part.unclosed,
            "rows_kept": int((keep & in_file).sum()),
        }
        per["malformed_row"] = part.malformed
        per["unclosed_quote"] = part.unclosed
        for j, r in enumerate(REASONS[2:], start=2):
            per[r] = int(((reason == j) & in_file).sum())
        counts[name] = per
        notes[name] = {
            "month_differs_from_file": int(
                (keep & in_file & other_month).sum() if file_months[i] != NO_MONTH else 0
            ),
            "cp1252_lines": part.cp1252_lines,
        }

    kept = frame.loc[keep].reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(int(keep.sum())))
    out["date"] = dates[keep].to_numpy()
    out["month"] = months_from_ordinals(month[keep])
    out["force"] = pd.Categorical(np.asarray(forces, dtype=object)[codes[keep]])
    out["type"] = _column(kept, "type", lambda v: v.astype("category"))
    out["part_of_operation"] = _column(kept, "part_of_operation", _flag)
    out["operation"] = _column(kept, "operation", lambda v: v.astype("string"))
    for col in _CATEGORIES[1:]:
        out[col] = _column(kept, col, lambda v: v.astype("category"))
    out["outcome_linked"] = _column(kept, "outcome_linked", _flag)
    out["removal_of_clothing"] = _column(kept, "removal_of_clothing", _flag)
    gdf = gpd.GeoDataFrame(out, geometry=_points(x[keep], y[keep]), crs=WORKING_CRS)
    report = ReadReport(
        reader="read_stop_and_search",
        files=counts,
        reasons=REASONS,
        notes=notes,
        encodings={n: p.encoding for n, p in zip(names, parts, strict=True)},
    )
    attach(gdf, report)
    report.warn(stacklevel=3)
    return gdf


def _column(frame: pd.DataFrame, col: str, convert) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return convert(frame[col])
