"""Reader for the police.uk API's street-level crimes (``/api/crimes-street/...``).

The API answers the usual per-ward or per-polygon pull with a JSON list of records such as::

    {"category": "anti-social-behaviour", "location_type": "Force",
     "location": {"latitude": "51.581318", "longitude": "-0.250201",
                  "street": {"id": 1663391, "name": "On or near Fryent Fields"}},
     "context": "", "outcome_status": {"category": "Under investigation", "date": "2024-04"},
     "persistent_id": "4b3c...", "id": 118521436, "location_subtype": "", "month": "2024-04"}

Analysts keep these as JSON files, or as frames flattened from them: ``pandas.DataFrame(records)``
(``location`` and ``outcome_status`` holding dicts, or their text when saved to CSV, as in the
Barnet sample) or ``pandas.json_normalize(records)`` (``location.latitude``,
``location.street.name``, ``outcome_status.category``...). :func:`read_police_uk_api` reads all of
them into the incidents schema of :mod:`snt_geo.io.police_uk`, with the same accounting.
"""

from __future__ import annotations

import ast
import gzip
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._dates import NO_MONTH, month_ordinals, months_from_ordinals
from snt_geo.errors import SchemaError
from snt_geo.io.police_uk import INCIDENT_COLUMNS, _finish
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = ["read_police_uk_api", "API_COLUMNS"]

#: Columns the API reader adds after the incidents schema's own (before ``geometry``).
API_COLUMNS = (
    "api_id",
    "category",
    "location_type",
    "location_subtype",
    "street_id",
    "street_name",
    "outcome_date",
)

# Flattened column -> (record key, nested key path).
_FLAT = {
    "latitude": ("location", "latitude"),
    "longitude": ("location", "longitude"),
    "street_id": ("location", "street", "id"),
    "street_name": ("location", "street", "name"),
    "outcome": ("outcome_status", "category"),
    "outcome_date": ("outcome_status", "date"),
}
_REQUIRED = ("category", "month", "location")


def _load(source) -> list[tuple[str, pd.DataFrame]]:
    """(name, frame of records) per source item; files are JSON, JSON.gz, CSV or CSV.gz."""
    if isinstance(source, pd.DataFrame):
        return [("df", source)]
    if isinstance(source, (str, os.PathLike)):
        items = [source]
    elif isinstance(source, Iterable) and not isinstance(source, (bytes, dict)):
        items = list(source)
        if not items:
            raise SchemaError("`source` is an empty list: pass at least one file or a frame.")
        if all(isinstance(i, dict) for i in items):
            return [("records", pd.DataFrame.from_records(cast("list[dict]", items)))]
    else:
        raise TypeError(
            "`source` must be a police.uk API JSON file, a CSV of records flattened from it, a "
            "list of such files, a list of API records or a DataFrame; got "
            f"{type(source).__name__}."
        )
    out = []
    for item in items:
        path = Path(item)
        if not path.is_file():
            raise FileNotFoundError(
                f"`source` {str(path)!r} does not exist: pass a police.uk API JSON file (the "
                "response of /api/crimes-street/...) or a CSV flattened from it."
            )
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        text = data.decode("utf-8-sig")
        if text.lstrip()[:1] in ("[", "{"):
            try:
                records = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SchemaError(
                    f"`source` file {path.name!r} is not valid JSON ({exc}); save the API "
                    "response as it was returned."
                ) from None
            if isinstance(records, dict):
                records = [records]
            if not all(isinstance(r, dict) for r in records):
                raise SchemaError(
                    f"`source` file {path.name!r} holds a JSON list of something other than "
                    "API records (objects with 'category', 'location', 'month')."
                )
            out.append((path.name, pd.DataFrame.from_records(records)))
        else:
            out.append((path.name, pd.read_csv(io.StringIO(text), dtype=object)))
    return out


def _nested(value, keys: tuple[str, ...]):
    """Follow ``keys`` into a dict (or the text of one); None where absent."""
    for k in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(k)
    return value


def _as_dict(value) -> tuple[object, bool]:
    """Return a record field as a dict (parsing pandas' text of it), and whether it was bad.

    Blank is None and not bad; text that is not a dict literal is bad.
    """
    if isinstance(value, dict) or value is None:
        return value, False
    if isinstance(value, float) and np.isnan(value):
        return None, False
    text = str(value).strip()
    if not text:
        return None, False
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(text)
        except (ValueError, SyntaxError):
            continue
        return (parsed, False) if isinstance(parsed, dict) else (None, True)
    return None, True


def _flatten(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One column per field of the incidents schema; and a mask of malformed records."""
    columns = set(frame.columns)
    normalised = {"location.latitude", "location.longitude"} <= columns
    missing = [c for c in _REQUIRED if c not in columns and not (c == "location" and normalised)]
    if missing:
        raise SchemaError(
            f"`source` ({name}) is not police.uk API data: it lacks {missing} (columns: "
            f"{sorted(map(str, columns))}). Expected the records of /api/crimes-street/..., "
            "as JSON or flattened with pandas.DataFrame or pandas.json_normalize.",
        )
    n = len(frame)
    flat = pd.DataFrame(index=frame.index)
    bad = np.zeros(n, dtype=bool)
    if normalised:
        for col, keys in _FLAT.items():
            dotted = ".".join(keys)
            flat[col] = frame[dotted] if dotted in columns else None
    else:
        parsed = {}
        for field in ("location", "outcome_status"):
            values = frame[field] if field in columns else pd.Series(None, index=frame.index)
            pairs = [_as_dict(v) for v in values]
            parsed[field] = [p[0] for p in pairs]
            bad |= np.array([p[1] for p in pairs], dtype=bool)
        for col, keys in _FLAT.items():
            flat[col] = [_nested(rec, keys[1:]) for rec in parsed[keys[0]]]
    for col in ("category", "month", "context", "persistent_id", "id", "location_type"):
        flat[col] = frame[col] if col in columns else None
    flat["location_subtype"] = frame["location_subtype"] if "location_subtype" in columns else None
    return flat, bad


def read_police_uk_api(
    source,
    *,
    months=None,
    crime_types=None,
    themes: ThemeTable | None = None,
) -> gpd.GeoDataFrame:
    """Read police.uk API street-level crime records into incidents (EPSG:27700).

    Parameters
    ----------
    source
        The API's records in any of the forms analysts keep them: a JSON file (``.json`` or
        ``.json.gz``) holding the response list, a CSV (or ``.csv.gz``) of the records flattened
        by pandas (``location`` / ``outcome_status`` as dict text, or ``json_normalize``'s
        dotted columns), a list of such files, a list of record dicts, or a DataFrame of them.
        Never modified.
    months
        Keep only these months (``'2024-04'``, ``pd.Period``, ``pd.period_range(...)``). Default
        all; rows outside are counted as ``filtered_months``.
    crime_types
        Keep only these crime types: names (``'Robbery'``), API slugs (``'theft-from-the-person'``)
        or theme keys (``'street_crime'``). Default all; others counted as
        ``filtered_crime_types``.
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`. It maps the API's category
        slugs to crime-type names.

    Returns
    -------
    geopandas.GeoDataFrame
        The incidents schema (:data:`~snt_geo.io.police_uk.INCIDENT_COLUMNS`) in EPSG:27700 with a
        fresh ``RangeIndex`` in source order: ``crime_id`` is the API's ``persistent_id`` (NA when
        blank, as for ASB), ``crime_type`` the crime-type name of the category slug (an unknown
        slug is kept as written and counted as the note ``unknown_crime_types``), ``location``
        the street name (``"On or near ..."``), ``outcome`` the latest outcome category; then
        :data:`API_COLUMNS`: ``api_id`` (the API's integer id), ``category`` (the slug as given),
        ``location_type`` (``"Force"`` or ``"BTP"``), ``location_subtype``, ``street_id``,
        ``street_name``, ``outcome_date`` (``Period``, month of the outcome). The API gives no
        LSOA nor reporting force: ``lsoa_code``, ``lsoa_name``, ``reported_by``,
        ``falls_within`` are NA. ``attrs["read_report"]`` holds the
        :class:`~snt_geo.io.ReadReport`.

    Raises
    ------
    SchemaError
        A source without the API's ``category``, ``month`` and ``location`` fields, or invalid
        JSON.

    Notes
    -----
    Accounting is that of :func:`~snt_geo.io.read_police_uk`: rows read = rows kept + rows dropped
    per reason, per file. A record whose ``location`` or ``outcome_status`` text cannot be parsed is
    a ``malformed_row``. API coordinates are the same snap points as the bulk files'.

    Examples
    --------
    One record as the API returns it (``/crimes-street/all-crime``):

    >>> record = {
    ...     "category": "anti-social-behaviour",
    ...     "location_type": "Force",
    ...     "location": {
    ...         "latitude": "51.5136",
    ...         "longitude": "-0.0906",
    ...         "street": {"id": 1674390, "name": "On or near Gresham Street"},
    ...     },
    ...     "context": "",
    ...     "outcome_status": None,
    ...     "persistent_id": "",
    ...     "id": 116208998,
    ...     "location_subtype": "",
    ...     "month": "2024-01",
    ... }
    >>> incidents = read_police_uk_api([record])
    >>> incidents[["month", "crime_type", "location"]]
         month             crime_type                   location
    0  2024-01  Anti-social behaviour  On or near Gresham Street
    >>> incidents.crs.to_epsg()
    27700
    """
    themes = themes or DEFAULT_THEMES
    flats, names, malformed = [], [], []
    for name, frame in _load(source):
        flat, bad = _flatten(frame, name)
        flats.append(flat.loc[~bad].reset_index(drop=True))
        names.append(name)
        malformed.append(int(bad.sum()))
    if len(set(names)) != len(names):
        names = [f"{i}:{n}" for i, n in enumerate(names)]
    flat = pd.concat(flats, ignore_index=True) if flats else pd.DataFrame()
    file_codes = np.repeat(np.arange(len(flats)), [len(f) for f in flats])

    slug = flat["category"].astype("string").str.strip()
    names_of = {s: themes.crime_type_of(s) or s for s in slug.dropna().unique()}
    frame = pd.DataFrame(index=flat.index)
    frame["crime_id"] = _blank_to_na(flat["persistent_id"])
    frame["month"] = flat["month"].astype("string").str.strip()
    for col in ("reported_by", "falls_within", "lsoa_code", "lsoa_name"):
        frame[col] = pd.Series(pd.NA, index=flat.index, dtype="string")
    frame["location"] = flat["street_name"].astype("string").astype("category")
    frame["crime_type"] = slug.map(names_of).astype("category")
    frame["outcome"] = _blank_to_na(flat["outcome"]).astype("category")
    frame["context"] = _blank_to_na(flat["context"])
    frame["api_id"] = pd.to_numeric(flat["id"], errors="coerce").astype("Int64")
    frame["category"] = slug.astype("category")
    frame["location_type"] = _blank_to_na(flat["location_type"]).astype("category")
    frame["location_subtype"] = _blank_to_na(flat["location_subtype"]).astype("category")
    frame["street_id"] = pd.to_numeric(flat["street_id"], errors="coerce").astype("Int64")
    frame["street_name"] = frame["location"]
    outcome_date = _blank_to_na(flat["outcome_date"])
    frame["outcome_date"] = _outcome_months(outcome_date)
    lon = pd.to_numeric(flat["longitude"], errors="coerce").to_numpy("float64")
    lat = pd.to_numeric(flat["latitude"], errors="coerce").to_numpy("float64")
    gdf = _finish(
        frame,
        lon,
        lat,
        crs="EPSG:4326",
        file_codes=file_codes,
        file_names=names,
        malformed=malformed,
        encodings={},
        months=months,
        crime_types=crime_types,
        themes=themes,
        reader="read_police_uk_api",
        outside_gb="drop",
    )
    gdf.index = pd.RangeIndex(len(gdf))
    return gdf[[*INCIDENT_COLUMNS[:-1], *API_COLUMNS, "geometry"]]


def _blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _outcome_months(values: pd.Series) -> pd.arrays.PeriodArray:
    """Month of each outcome date (the one month parser); a value that is no month is refused."""
    ords = month_ordinals(values, argument="outcome_date")
    bad = (ords == NO_MONTH) & values.notna().to_numpy()
    if bad.any():
        raise SchemaError(
            f"`source` has outcome dates that are not months, e.g. {values[bad].iloc[0]!r}: "
            "the API gives them as 'YYYY-MM'."
        )
    return months_from_ordinals(ords)
