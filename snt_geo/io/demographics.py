"""Readers for ward demographics, and apportionment of LSOA populations to wards.

The *demographics* schema: a DataFrame indexed by ``ward_code`` (strings) with these columns, in
this order (a column the source cannot supply is left out, except those marked *always*):

=======================  =========================================================================
``ward_name``            ward name as the source spells it (*always*; NA when the source has none)
``population``           residents (*always*; float64: apportioned counts are fractional and the
                         GLA rounds to 50)
``age_0_15``             residents aged 0-15
``age_16_64``            residents aged 16-64
``age_65_plus``          residents aged 65 and over
``youth``                young residents; the ages depend on the source and are in ``youth_ages``
``share_age_0_15``       ``age_0_15 / population`` (a fraction 0-1, not a percentage)
``share_age_16_64``      ``age_16_64 / population``
``share_age_65_plus``    ``age_65_plus / population``
``share_youth``          ``youth / population``
``pct_social_rented``    households renting from a council or housing association (percent 0-100)
``youth_ages``           ages counted in ``youth``, e.g. ``"16-29"`` or ``"10-24"``
``year``                 year of the population figures (*always*; ``Int64``, NA when unknown)
``source``               one line naming the source and its vintages (*always*)
=======================  =========================================================================

Sources recognised (see :func:`read_demographics`): the GLA ward profiles CSV, ONS-style ward
population sheets (xlsx or CSV, one row per ward, a total and optionally single years of age), and
files in this schema (such as the bundled sample). LSOA populations are turned into ward figures by
:func:`apportion_lsoa_population`.

Every reader accounts for every row: a :class:`~snt_geo.io.ReadReport` in
``frame.attrs["read_report"]`` and one ``UserWarning`` with the counts.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._format import format_number
from snt_geo._method import MethodRecord
from snt_geo.crs import to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach

__all__ = [
    "ApportionmentMethod",
    "DEMOGRAPHIC_COUNTS",
    "read_demographics",
    "demographics_from_frame",
    "read_lsoa_population",
    "apportion_lsoa_population",
]

#: Count columns of the demographics schema (summed when apportioning).
DEMOGRAPHIC_COUNTS = ("population", "age_0_15", "age_16_64", "age_65_plus", "youth")

_ORDER = (
    "ward_name",
    *DEMOGRAPHIC_COUNTS,
    "share_age_0_15",
    "share_age_16_64",
    "share_age_65_plus",
    "share_youth",
    "pct_social_rented",
    "youth_ages",
    "year",
    "source",
)

# Column recognition: schema column -> source header patterns (full match, case-insensitive). A
# pattern's first group, when present, is the year of the figures.
_WARD_CODE = (r"ward_code", r"new code", r"gss_code", r"wd\d\dcd", r"ward code( 1)?", r"code")
_WARD_NAME = (r"ward_name", r"ward name( 1)?", r"ward", r"wd\d\dnm", r"name")
_LSOA_CODE = (r"lsoa_code", r"lsoa\d\dcd", r"lsoa code", r"code")
_LSOA_NAME = (r"lsoa_name", r"lsoa\d\dnm", r"lsoa name", r"name")
_VALUES = {
    "population": (
        r"population",
        r"population - (\d{4})",
        r"all ages",
        r"persons_all-ages",
        r"all_ages",
    ),
    "age_0_15": (r"age_0_15", r"children aged 0-15 - (\d{4})", r"persons_0-15"),
    "age_16_64": (r"age_16_64", r"working-age \(16-64\) - (\d{4})"),
    "age_65_plus": (r"age_65_plus", r"older people aged 65\+ - (\d{4})", r"persons_65\+"),
    "youth": (r"youth",),
    "pct_social_rented": (r"pct_social_rented", r"% households social rented - (\d{4})"),
    "year": (r"year",),
    "source": (r"source",),
    "youth_ages": (r"youth_ages",),
}
# ONS LSOA files band 16-64 as 16-29, 30-44 and 45-64; 16-29 is the closest they come to "youth".
_BANDS_16_64 = (r"persons_16-29", r"persons_30-44", r"persons_45-64")
_SINGLE_AGE_MAX = 90  # ONS single-year-of-age sheets stop at "90+"

# GSS entity codes of ward-level units; any other GSS code (E09 borough, E12 region, E92 country,
# ...) is an aggregate row. E09000001 is the City of London, which the GLA treats as one ward unit.
_WARD_ENTITIES = ("E05", "W05", "S13", "N08")
_CITY_OF_LONDON = "E09000001"
_GSS = re.compile(r"^[EWSNK]\d{8}$")

_REASONS = ("no_code", "not_a_ward", "duplicate_code")


# --------------------------------------------------------------------------------------------------
# Reading files


def _read_table(path: Path, *, sheet_name, encoding: str | None) -> tuple[pd.DataFrame, str]:
    """Raw table (all values as read) and the encoding used ('' for spreadsheets)."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raw = pd.read_excel(path, sheet_name=0 if sheet_name is None else sheet_name, header=None)
        # ONS sheets carry title rows above the header: the header is the first row that names a
        # ward or LSOA code column.
        code_like = [*_WARD_CODE[:-1], *_LSOA_CODE[:-1]]
        for i in range(min(len(raw), 30)):
            cells = [str(c).strip() for c in raw.iloc[i] if pd.notna(c)]
            if any(_match(c, p) is not None for c in cells for p in code_like):
                header = [_header_text(c) for c in raw.iloc[i]]
                frame = raw.iloc[i + 1 :].reset_index(drop=True)
                frame.columns = header
                return frame.dropna(how="all"), ""
        frame = pd.read_excel(path, sheet_name=0 if sheet_name is None else sheet_name)
        return frame, ""
    data = path.read_bytes()
    if not data.strip():
        raise SchemaError(
            f"`path` {str(path)!r} is empty: expected a table with a header row naming a ward code "
            "column and a population column."
        )
    if b"\x00" in data[:4096]:  # a GeoPackage, shapefile, parquet...: binary, not a text table
        raise SchemaError(
            f"`path` {str(path)!r} is not a CSV or Excel (.xlsx) table (it holds binary data, e.g. "
            "a GeoPackage); pass the ward demographics as CSV or .xlsx."
        )
    encodings = (encoding,) if encoding else ("utf-8-sig", "cp1252", "latin-1")
    for enc in encodings:
        try:
            frame = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            raise SchemaError(
                f"`path` {str(path)!r} could not be parsed as a CSV table "
                f"({str(exc).strip().splitlines()[0]}); pass the ward demographics as CSV or .xlsx."
            ) from None
        return frame.replace({"": np.nan}), enc
    raise SchemaError(f"`path` {str(path)!r} could not be decoded with encodings {encodings}.")


def _header_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _match(column: str, pattern: str) -> re.Match | None:
    return re.fullmatch(pattern, column.strip(), flags=re.IGNORECASE)


def _find(columns: Sequence[str], patterns: Iterable[str]) -> tuple[str | None, int | None]:
    """First column matching the first pattern that matches anything; and the year it names."""
    for pattern in patterns:
        for col in columns:
            m = _match(str(col), pattern)
            if m is not None:
                year = int(m.group(1)) if m.groups() and m.group(1) else None
                return col, year
    return None, None


def _numbers(values: pd.Series) -> tuple[pd.Series, int]:
    """Numeric values (thousands separators allowed); and how many non-blank cells were not."""
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = int((out.isna() & text.notna() & (text != "")).sum())
    return out, bad


# --------------------------------------------------------------------------------------------------
# Shared standardisation


def _standard_values(
    frame: pd.DataFrame,
    *,
    population_column: str | None,
    year: int | None,
    problems: list[str],
) -> tuple[pd.DataFrame, int | None, str | None, int]:
    """Return the schema value columns of a source table, the year, youth ages and bad cells."""
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    out = pd.DataFrame(index=frame.index)
    found_year = None
    bad_cells = 0
    col: str | None
    for target, patterns in _VALUES.items():
        if target == "population" and population_column is not None:
            if population_column not in columns:
                problems.append(
                    f"`population_column` is {population_column!r}, which is not a column"
                )
                continue
            col, col_year = population_column, None
        else:
            col, col_year = _find(columns, patterns)
        if col is None:
            continue
        if target in ("source", "youth_ages"):
            out[target] = frame[col].astype("string")
        elif target == "year":
            out[target] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
        else:
            out[target], bad = _numbers(frame[col])
            bad_cells += bad
        if target == "population" and col_year is not None:
            found_year = col_year
    youth_ages = None
    if "age_16_64" not in out:
        bands = [_find(columns, (p,))[0] for p in _BANDS_16_64]
        if all(b is not None for b in bands):
            values = [_numbers(frame[b]) for b in bands]
            bad_cells += sum(v[1] for v in values)
            out["age_16_64"] = sum(v[0] for v in values)
            if "youth" not in out:
                out["youth"] = values[0][0]
                youth_ages = "16-29"
    ages = {}
    for c in columns:
        key = c.strip().lower().removeprefix("age ").replace(" ", "")
        if key.isdigit() and int(key) < _SINGLE_AGE_MAX:
            ages[int(key)] = c
        elif key == f"{_SINGLE_AGE_MAX}+":
            ages[_SINGLE_AGE_MAX] = c
    if len(ages) == _SINGLE_AGE_MAX + 1:  # complete single years of age 0..89 and 90+
        by_age = {a: _numbers(frame[c])[0] for a, c in ages.items()}

        def band(lo: int, hi: int) -> pd.Series:
            return sum((by_age[a] for a in range(lo + 1, hi + 1)), start=by_age[lo])

        out["age_0_15"] = band(0, 15)
        out["age_16_64"] = band(16, 64)
        out["age_65_plus"] = band(65, _SINGLE_AGE_MAX)
        out["youth"] = band(10, 24)
        youth_ages = "10-24"
        if "population" not in out:
            out["population"] = band(0, _SINGLE_AGE_MAX)
    if "population" not in out:
        problems.append(
            "no population column recognised (population, 'Population - YYYY', 'All Ages', "
            "Persons_All-Ages); name it with `population_column=`"
        )
    if year is not None:
        out["year"] = pd.array([year] * len(out), dtype="Int64")
    return out, found_year, youth_ages, bad_cells


def _add_shares(frame: pd.DataFrame) -> pd.DataFrame:
    pop = frame["population"].where(frame["population"] > 0)
    for col in ("age_0_15", "age_16_64", "age_65_plus", "youth"):
        if col in frame:
            frame[f"share_{col}"] = frame[col] / pop
    return frame


def _order(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    cols = [c for c in _ORDER if c in frame.columns]
    cols += [c for c in extra if c in frame.columns and c not in cols]
    cols += [c for c in frame.columns if c not in cols]
    return frame[cols]


def _ward_codes(wards) -> pd.Index:
    if isinstance(wards, pd.DataFrame):
        if "ward_code" in wards.columns:
            return pd.Index(wards["ward_code"].astype("string"))
        return pd.Index(wards.index.astype("string"))
    if isinstance(wards, pd.Series):
        return pd.Index(wards.astype("string"))
    if isinstance(wards, Iterable) and not isinstance(wards, str):
        return pd.Index(pd.array(list(wards), dtype="string"))
    raise TypeError(
        "`wards` must be a wards GeoDataFrame (indexed by ward code, as from "
        f"snt_geo.io.read_wards) or a list of ward codes; got {type(wards).__name__}."
    )


def _match_wards(result: pd.DataFrame, wards) -> dict[str, list[str]]:
    codes = _ward_codes(wards)
    return {
        "codes_without_ward": [c for c in result.index if c not in set(codes)],
        "wards_without_demographics": [c for c in codes if c not in set(result.index)],
    }


def _warn(report: ReadReport, unmatched: dict[str, list[str]] | None, stacklevel: int) -> None:
    text = report.summary()
    if unmatched and any(unmatched.values()):
        a, b = unmatched["codes_without_ward"], unmatched["wards_without_demographics"]
        text += (
            f" {len(a)} demographic code(s) match no ward in `wards` (e.g. {a[:3]}) and "
            f"{len(b)} ward(s) have no demographics (e.g. {b[:3]}); they are kept, not dropped. "
            "Ward boundaries changed in 2014 (London) and 2022: use demographics and boundaries of "
            "the same vintage. Lists in read_report(frame).codes."
        )
    elif not (
        any(report.dropped.values()) or any(v for n in report.notes.values() for v in n.values())
    ):
        return
    warnings.warn(text, UserWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------------------------------
# Public readers


def read_demographics(
    path,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    year: int | None = None,
    extra_columns: Sequence[str] = (),
    wards=None,
    sheet_name: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read ward demographics (population, age bands, tenure) into the demographics schema.

    Parameters
    ----------
    path
        A CSV (any of UTF-8, Windows-1252 or latin-1; the encoding used is recorded) or a
        spreadsheet (.xlsx). Recognised layouts: the GLA ward profiles
        (``ward-profiles-excel-version.csv``: ``New code``, ``Population - 2015``, ``Children aged
        0-15 - 2015``, ``Working-age (16-64) - 2015``, ``Older people aged 65+ - 2015``, ``%
        Households Social Rented - 2011``); ONS-style ward population sheets (``gss_code``,
        ``ward``, ``population``; or ``Ward Code 1``, ``All Ages`` and single years of age ``0`` ..
        ``90+``, with title rows above the header); and the demographics schema itself.
    code_column, name_column, population_column
        Source columns of the ward code, ward name and total population. Default: recognised
        from the layouts above.
    year
        Year of the population figures. Default: taken from the population header (``Population -
        2015`` -> 2015) or a ``year`` column; otherwise NA (ONS sheets do not state it: the
        Lancashire and Northumbria sheets in ``shared/data`` are mid-2020).
    extra_columns
        Further source columns to keep unchanged (e.g. ``["% BAME - 2011"]``).
    wards
        Optional wards (a GeoDataFrame indexed by ward code, as from
        :func:`snt_geo.io.read_wards`, or a list of codes) to check the codes against. Codes with
        no ward, and wards with no demographics, are kept, counted and warned about; the lists are
        in the read report's ``codes`` (``read_report(frame).codes["codes_without_ward"]``,
        ``...["wards_without_demographics"]``).
    sheet_name
        Sheet of a spreadsheet; default the first.
    encoding
        Force a CSV encoding instead of trying UTF-8, then Windows-1252, then latin-1.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code`` (string dtype), columns as in the module table: ``ward_name``,
        ``population``, and where the source has them ``age_0_15``, ``age_16_64``,
        ``age_65_plus``, ``youth``, their ``share_*`` fractions, ``pct_social_rented``,
        ``youth_ages``; then ``year`` and ``source``, then ``extra_columns``.
        ``attrs["read_report"]`` is the :class:`~snt_geo.io.ReadReport`.

    Raises
    ------
    SchemaError
        No code or population column (all problems listed at once), or the same code twice with
        different values.

    Notes
    -----
    Only ward-level rows are kept. A row is dropped and counted as ``no_code`` (blank code),
    ``not_a_ward`` (a GSS code of an aggregate: E09 borough other than the City of London, E12
    region, E92 country, ...) or ``duplicate_code`` (a repeat of an earlier row with identical
    values; a repeat with different values is an error). The City of London (``E09000001``) is kept
    as one ward unit, as in the GLA ward profiles and ``London_Ward_CityMerged``; the GLA file lists
    it a second time among the boroughs, which is counted as ``duplicate_code``. Non-GSS codes are
    kept as they are.

    ``youth`` is 10-24 when the source has single years of age, 16-29 for the ONS LSOA bands
    (apportioned), and absent for the GLA ward profiles (which band only 0-15, 16-64 and 65+).
    GLA vintages differ by column: population 2015 (GLA estimates), tenure 2011 (Census);
    ``source`` says so.

    Examples
    --------
    >>> from snt_geo.datasets import sample_paths
    >>> paths = sample_paths()
    >>> demographics = read_demographics(paths.demographics)
    >>> demographics[["population", "youth"]].round(1).head(2)
               population  youth
    ward_code
    E05000001      1017.8  107.1
    E05000002       352.7  130.7
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass a ward demographics CSV or .xlsx (e.g. the "
            "GLA ward profiles or an ONS ward population sheet)."
        )
    raw, used_encoding = _read_table(path, sheet_name=sheet_name, encoding=encoding)
    return _demographics(
        raw,
        code_column=code_column,
        name_column=name_column,
        population_column=population_column,
        year=year,
        extra_columns=extra_columns,
        wards=wards,
        source_name=path.name,
        encoding=used_encoding,
        argument="path",
    )


def demographics_from_frame(
    frame: pd.DataFrame,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    year: int | None = None,
    extra_columns: Sequence[str] = (),
    wards=None,
) -> pd.DataFrame:
    """Validate an in-memory table into the demographics schema.

    Parameters and result are those of :func:`read_demographics`; ``frame`` is never modified.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame; got {type(frame).__name__}.")
    return _demographics(
        frame.reset_index(drop=frame.index.name is None),
        code_column=code_column,
        name_column=name_column,
        population_column=population_column,
        year=year,
        extra_columns=extra_columns,
        wards=wards,
        source_name="frame",
        encoding="",
        argument="frame",
    )


def _demographics(
    raw: pd.DataFrame,
    *,
    code_column,
    name_column,
    population_column,
    year,
    extra_columns,
    wards,
    source_name: str,
    encoding: str,
    argument: str,
) -> pd.DataFrame:
    columns = [str(c) for c in raw.columns]
    raw = raw.set_axis(columns, axis=1)
    problems: list[str] = []
    code_col, name_col = _code_and_name_columns(columns, code_column, name_column, problems)
    missing_extra = [c for c in extra_columns if c not in columns]
    if missing_extra:
        problems.append(f"`extra_columns` names columns that are not there: {missing_extra}")
    values, found_year, youth_ages, bad_cells = _standard_values(
        raw, population_column=population_column, year=year, problems=problems
    )
    if problems:
        raise SchemaError(
            f"`{argument}` ({source_name}) cannot be read as ward demographics; columns: "
            f"{columns}.",
            problems,
        )
    codes = raw[code_col].astype("string").str.strip()
    codes = codes.mask(codes == "")
    table = values.copy()
    table["ward_name"] = (
        raw[name_col].astype("string").str.strip()
        if name_col is not None
        else pd.array([pd.NA] * len(raw), dtype="string")
    )
    for col in extra_columns:
        table[col] = raw[col]
    reason = _drop_reasons(codes, table, argument=argument, source_name=source_name)
    keep = reason < 0

    result = table.loc[keep].copy()
    result.index = pd.Index(codes[keep].to_numpy(), name="ward_code", dtype="string")
    if "year" not in result:
        result["year"] = pd.array([found_year] * len(result), dtype="Int64")
    if youth_ages is not None and "youth_ages" not in result:
        result["youth_ages"] = pd.array([youth_ages] * len(result), dtype="string")
    if "source" not in result:
        result["source"] = pd.array([_describe(source_name, columns)] * len(result), "string")
    result = _order(_add_shares(result), extra_columns)
    notes: dict[str, int] = {"unparseable_values": bad_cells}
    unmatched = _match_wards(result, wards) if wards is not None else None
    if unmatched is not None:
        notes["codes_without_ward"] = len(unmatched["codes_without_ward"])
        notes["wards_without_demographics"] = len(unmatched["wards_without_demographics"])
    report = ReadReport(
        reader="read_demographics",
        files={
            source_name: {
                "rows_read": len(raw),
                "rows_kept": int(keep.sum()),
                **{r: int((reason == i).sum()) for i, r in enumerate(_REASONS)},
            }
        },
        reasons=_REASONS,
        notes={source_name: notes},
        encodings={source_name: encoding} if encoding else {},
        codes={k: tuple(v) for k, v in unmatched.items()} if unmatched is not None else {},
    )
    attach(result, report)
    _warn(report, unmatched, stacklevel=4)
    return result


def _code_and_name_columns(
    columns: list[str], code_column: str | None, name_column: str | None, problems: list[str]
) -> tuple[str | None, str | None]:
    """Return the ward code and name columns, given or recognised (problems appended)."""
    for arg, col in (("code_column", code_column), ("name_column", name_column)):
        if col is not None and col not in columns:
            problems.append(f"`{arg}` is {col!r}, which is not a column")
    code_col = code_column if code_column is not None else _find(columns, _WARD_CODE)[0]
    name_col = name_column if name_column is not None else _find(columns, _WARD_NAME)[0]
    if name_col == code_col:
        name_col = None
    if code_col is None:
        hint = ""
        if _find(columns, _LSOA_CODE[:-1])[0] is not None:
            hint = (
                "; this looks like an LSOA table: read it with read_lsoa_population and turn it "
                "into ward figures with apportion_lsoa_population"
            )
        problems.append(
            "no ward code column recognised (ward_code, 'New code', gss_code, WDyyCD, "
            f"'Ward Code 1'); name it with `code_column=`{hint}"
        )
    return code_col, name_col


def _drop_reasons(
    codes: pd.Series, table: pd.DataFrame, *, argument: str, source_name: str
) -> np.ndarray:
    """Return each row's drop reason (an index into ``_REASONS``; -1 kept).

    Rows without a code, with a GSS code that is not a ward's, or repeating a code with the same
    values are dropped; a code repeated with different values is refused.
    """
    reason = np.full(len(codes), -1, dtype=np.int8)
    reason[codes.isna().to_numpy()] = _REASONS.index("no_code")
    filled = codes.fillna("")
    gss = filled.str.match(_GSS.pattern).to_numpy(dtype=bool)
    ward_level = filled.str[:3].isin(_WARD_ENTITIES).to_numpy(dtype=bool) | (
        filled == _CITY_OF_LONDON
    ).to_numpy(dtype=bool)
    reason[(reason < 0) & gss & ~ward_level] = _REASONS.index("not_a_ward")
    candidate = reason < 0
    dup = candidate & codes.duplicated(keep=False).to_numpy(dtype=bool)
    if dup.any():
        clashes = []
        for code, rows in table[dup].groupby(codes[dup].to_numpy()):
            if len(rows.astype("string").drop_duplicates()) > 1:
                clashes.append(code)
        if clashes:
            raise SchemaError(
                f"`{argument}` ({source_name}) lists ward codes more than once with different "
                f"values: {clashes[:5]}. Keep one row per ward (e.g. one year) before reading.",
            )
        first = ~codes.duplicated(keep="first").to_numpy(dtype=bool)
        reason[candidate & ~first] = _REASONS.index("duplicate_code")
    return reason


def _describe(source_name: str, columns: Sequence[str]) -> str:
    cols = {c.lower() for c in columns}
    if "new code" in cols and any(c.startswith("population - ") for c in cols):
        return (
            f"GLA ward profiles ({source_name}): population and age bands GLA estimates "
            f"{_find(columns, _VALUES['population'])[1]}, % social rented 2011 Census"
        )
    return f"{source_name}"


# --------------------------------------------------------------------------------------------------
# LSOA populations and apportionment


@dataclass(frozen=True, repr=False)
class ApportionmentMethod(MethodRecord):
    """What :func:`apportion_lsoa_population` did (``frame.attrs["method"]``).

    Attributes
    ----------
    source
        Where the LSOA figures came from (the file read, when known).
    total, in_wards, outside_wards
        Per count column: persons over the LSOAs with a polygon; placed in wards; in LSOA parts
        outside every ward (``total == in_wards + outside_wards``).
    lsoas_without_geometry
        LSOA codes with figures but no polygon (not placed).
    lsoas_outside_all_wards, lsoas_partly_outside, lsoas_in_overlapping_wards
        LSOAs entirely outside the wards, partly outside, and covered more than once (the wards
        overlap, so their residents are counted twice).
    """

    source: str
    total: dict[str, float]
    in_wards: dict[str, float]
    outside_wards: dict[str, float]
    lsoas_without_geometry: tuple[str, ...]
    lsoas_outside_all_wards: int
    lsoas_partly_outside: int
    lsoas_in_overlapping_wards: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        return (
            f"Residents apportioned from LSOAs ({self.source}) to wards by area share (areal "
            f"weighting, Goodchild & Lam 1980, assuming residents spread evenly within each "
            f"LSOA): {format_number(self.in_wards.get('population'))} of "
            f"{format_number(self.total.get('population'))} persons placed in wards, "
            f"{format_number(self.outside_wards.get('population'))} in LSOA parts outside every "
            f"ward; {len(self.lsoas_without_geometry)} LSOAs without a polygon were not placed."
        )


def _source_name(lsoa_population: pd.DataFrame) -> str:
    """Return the LSOA file's name from its read report, or a generic label."""
    report = lsoa_population.attrs.get("read_report")
    if isinstance(report, ReadReport) and len(report.files) == 1:
        return next(iter(report.files))
    return "LSOA populations"


def read_lsoa_population(path, *, year: int | None = None) -> pd.DataFrame:
    """Read LSOA population estimates (such as the ONS mid-year estimates by age band).

    Parameters
    ----------
    path
        CSV with an LSOA code column (``LSOA11CD``, ``LSOA21CD`` or ``lsoa_code``) and a total
        (``Persons_All-Ages``, ``All Ages`` or ``population``); ONS bands ``Persons_0-15``,
        ``Persons_16-29``, ``Persons_30-44``, ``Persons_45-64``, ``Persons_65+`` are used when
        present.
    year
        Year of the estimates. Default: from a ``midYYYY`` in the file name
        (``london-mid2019-pop.csv`` -> 2019), else NA.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa_code``; columns ``lsoa_name`` and the count columns ``population``,
        ``age_0_15``, ``age_16_64`` (16-29 + 30-44 + 45-64), ``age_65_plus``, ``youth`` (16-29,
        with ``youth_ages`` ``"16-29"``) where available, and ``year``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass an LSOA population CSV."
        )
    raw, _ = _read_table(path, sheet_name=None, encoding=None)
    columns = [str(c) for c in raw.columns]
    problems: list[str] = []
    code_col = _find(columns, _LSOA_CODE)[0]
    if code_col is None:
        problems.append("no LSOA code column recognised (LSOA11CD, LSOA21CD, lsoa_code)")
    if year is None:
        m = re.search(r"mid-?(\d{4})", path.name, flags=re.IGNORECASE)
        year = int(m.group(1)) if m else None
    values, _, youth_ages, _ = _standard_values(
        raw, population_column=None, year=year, problems=problems
    )
    if problems:
        raise SchemaError(
            f"`path` ({path.name}) cannot be read as LSOA populations; columns: {columns}.",
            problems,
        )
    name_col = _find(columns, _LSOA_NAME)[0]
    out = values.drop(columns=["source"], errors="ignore")
    lsoa_name = raw[name_col].astype("string") if name_col else pd.NA
    out.insert(0, "lsoa_name", lsoa_name)  # type: ignore[arg-type]  # stubs omit the NA scalar
    if "year" not in out:
        out["year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if youth_ages is not None:
        out["youth_ages"] = pd.array([youth_ages] * len(out), dtype="string")
    out.index = pd.Index(raw[code_col].astype("string").str.strip().to_numpy(), name="lsoa_code")
    if not out.index.is_unique:
        dupes = out.index[out.index.duplicated()].unique().tolist()
        raise SchemaError(f"`path` ({path.name}) lists LSOA codes more than once: {dupes[:5]}.")
    attach(
        out,
        ReadReport(
            reader="read_lsoa_population",
            files={path.name: {"rows_read": len(raw), "rows_kept": len(out)}},
            reasons=(),
        ),
    )
    return out


def apportion_lsoa_population(
    lsoa_population: pd.DataFrame,
    lsoas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    lsoa_code_column: str | None = None,
) -> pd.DataFrame:
    """Apportion LSOA populations to wards by the share of each LSOA's area in each ward.

    Parameters
    ----------
    lsoa_population
        Counts per LSOA, indexed by LSOA code (as from :func:`read_lsoa_population`). Every column
        among ``population``, ``age_0_15``, ``age_16_64``, ``age_65_plus`` and ``youth`` is
        apportioned.
    lsoas
        LSOA polygons with a CRS; the code is the column ``lsoa_code_column``, else one recognised
        (``LSOA11CD``, ``LSOA21CD``, ``lsoa_code``), else the index.
    wards
        Ward polygons indexed by ward code (the wards schema, from :func:`snt_geo.io.read_wards`).
        Wards must not overlap (an overlap would count residents twice; it is warned about).
    lsoa_code_column
        Column of ``lsoas`` holding the LSOA code.

    Returns
    -------
    pandas.DataFrame
        The demographics schema indexed by ``ward_code`` in the order of ``wards``: ``ward_name``
        (when ``wards`` has it), the apportioned counts, their ``share_*`` fractions, ``youth_ages``
        and ``year`` (when given), ``source``, and ``lsoa_coverage``: the fraction of the ward's
        area covered by the LSOAs given (NA population where 0). ``attrs["method"]`` is an
        :class:`ApportionmentMethod` with the totals: ``total`` (per count column, over LSOAs
        with geometry), ``in_wards``, ``outside_wards`` (persons in LSOA parts outside every
        ward), ``lsoas_without_geometry``, ``lsoas_outside_all_wards``,
        ``lsoas_partly_outside``, ``lsoas_in_overlapping_wards``.
        ``attrs["read_report"]`` counts LSOAs read, placed and not placed.

    Notes
    -----
    Areal weighting (Goodchild & Lam 1980): ward count = sum over LSOAs of
    ``count_lsoa * area(lsoa ∩ ward) / area(lsoa)``, areas in EPSG:27700. It assumes residents are
    spread evenly within each LSOA, which is crude where an LSOA holds a dense estate and empty
    offices (the City of London). Totals are preserved: sum over wards + ``outside_wards`` = the
    LSOA total, exactly (to floating-point error). LSOAs listed in ``lsoa_population`` without a
    polygon cannot be placed and are reported. Invalid LSOA polygons are repaired with
    ``shapely.make_valid`` first.
    """
    if not isinstance(lsoa_population, pd.DataFrame):
        raise TypeError(
            "`lsoa_population` must be a DataFrame indexed by LSOA code (see "
            f"read_lsoa_population); got {type(lsoa_population).__name__}."
        )
    count_cols = [c for c in DEMOGRAPHIC_COUNTS if c in lsoa_population.columns]
    if "population" not in count_cols:
        raise SchemaError(
            "`lsoa_population` has no `population` column; columns: "
            f"{list(lsoa_population.columns)}. Read it with read_lsoa_population."
        )
    polys = to_working_crs(lsoas, argument="lsoas")
    areas = to_working_crs(wards, argument="wards")
    if not areas.index.is_unique:
        raise SchemaError(
            "`wards` must have a unique index (ward codes); use snt_geo.io.read_wards."
        )
    geom_by_code = _lsoa_polygons(polys, lsoa_code_column)
    pop = lsoa_population[count_cols].astype("float64")
    pop_codes = pd.Index(lsoa_population.index.astype("string"))
    has_geom = pop_codes.isin(geom_by_code.index)
    without_geom = pop_codes[~has_geom].tolist()
    pop = pop.loc[has_geom]
    geoms = geom_by_code.reindex(pop_codes[has_geom]).to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    in_wards, coverage, placed_share = _areal_weights(geoms, areas, pop.to_numpy())
    src = _source_name(lsoa_population)
    result = _apportioned_table(
        in_wards, coverage, areas, lsoa_population, count_cols, f"{src}: {len(pop)} LSOAs"
    )
    total = pop.sum()
    inside = pd.Series(in_wards.sum(axis=0), index=count_cols)
    outside_all = int((placed_share <= 0).sum())
    overlap = placed_share > 1 + 1e-6
    result.attrs["method"] = method = ApportionmentMethod(
        source=src,
        total=total.to_dict(),
        in_wards=cast("dict[str, float]", inside.to_dict()),  # count_cols are str
        outside_wards=(total - inside).to_dict(),
        lsoas_without_geometry=tuple(without_geom),
        lsoas_outside_all_wards=outside_all,
        lsoas_partly_outside=int(((placed_share > 0) & (placed_share < 1 - 1e-9)).sum()),
        lsoas_in_overlapping_wards=int(overlap.sum()),
    )
    report = ReadReport(
        reader="apportion_lsoa_population",
        files={
            "lsoa_population": {
                "rows_read": len(lsoa_population),
                "rows_kept": len(pop) - outside_all,
                "no_geometry": len(without_geom),
                "outside_all_wards": outside_all,
            }
        },
        reasons=("no_geometry", "outside_all_wards"),
        notes={"lsoa_population": {"partly_outside_wards": method.lsoas_partly_outside}},
    )
    attach(result, report)
    _warn_apportionment(report, method)
    return result


def _lsoa_polygons(polys: gpd.GeoDataFrame, lsoa_code_column: str | None) -> pd.Series:
    """LSOA polygons by LSOA code (the parts of a code listed twice unioned)."""
    code_col: str | None
    if lsoa_code_column is not None:
        if lsoa_code_column not in polys.columns:
            raise SchemaError(
                f"`lsoa_code_column` is {lsoa_code_column!r}, which is not a column of `lsoas`; "
                f"columns: {list(polys.columns)}."
            )
        code_col = lsoa_code_column
    else:
        code_col = _find([c for c in polys.columns if c != polys.geometry.name], _LSOA_CODE[:-1])[0]
    lsoa_codes = polys[code_col] if code_col else pd.Series(polys.index, index=polys.index)
    lsoa_codes = lsoa_codes.astype("string").str.strip().to_numpy()
    geom_by_code = pd.Series(polys.geometry.to_numpy(), index=lsoa_codes)
    if not geom_by_code.index.is_unique:
        geom_by_code = geom_by_code.groupby(level=0).agg(lambda g: shapely.union_all(g.to_numpy()))
    return geom_by_code


def _areal_weights(
    geoms: np.ndarray, areas: gpd.GeoDataFrame, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return counts per ward by area-share weighting, ward coverage and LSOA shares placed.

    The share of an LSOA placed in some ward exceeds 1 where the wards overlap.
    """
    lsoa_area = shapely.area(geoms)
    ward_geoms = areas.geometry.to_numpy()
    tree = shapely.STRtree(ward_geoms)
    li, wi = tree.query(geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(geoms[li], ward_geoms[wi]))
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(lsoa_area[li] > 0, inter / lsoa_area[li], 0.0)
    placed_share = np.bincount(li, weights=weight, minlength=len(geoms))
    in_wards = np.zeros((len(ward_geoms), counts.shape[1]))
    np.add.at(in_wards, wi, counts[li] * weight[:, None])
    ward_cover = np.bincount(wi, weights=inter, minlength=len(ward_geoms))
    ward_area = shapely.area(ward_geoms)
    coverage = np.where(ward_area > 0, ward_cover / ward_area, np.nan)
    return in_wards, coverage, placed_share


def _apportioned_table(
    in_wards: np.ndarray,
    coverage: np.ndarray,
    areas: gpd.GeoDataFrame,
    lsoa_population: pd.DataFrame,
    count_cols: list[str],
    source: str,
) -> pd.DataFrame:
    """Return the demographics schema per ward from apportioned counts (NA where no LSOA is)."""
    result = pd.DataFrame(
        in_wards, index=pd.Index(areas.index.astype("string"), name="ward_code"), columns=count_cols
    )
    result.loc[coverage <= 0, count_cols] = np.nan
    ward_name = (
        areas["ward_name"].astype("string").to_numpy()
        if "ward_name" in areas.columns
        else pd.array([pd.NA] * len(areas), dtype="string")
    )
    result.insert(0, "ward_name", ward_name)  # type: ignore[arg-type]  # stubs omit ExtensionArray
    for col in ("youth_ages", "year"):
        if col in lsoa_population.columns:
            vals = lsoa_population[col].dropna().unique()
            if len(vals) == 1:
                repeated = [vals[0]] * len(result)
                result[col] = (
                    pd.array(repeated, dtype="Int64")
                    if col == "year"
                    else pd.array(repeated, dtype="string")
                )
    if "year" not in result:
        result["year"] = pd.array([pd.NA] * len(result), dtype="Int64")
    result["source"] = pd.array(
        [f"{source} apportioned to wards by area share"] * len(result), "string"
    )
    result = _add_shares(result)
    result["lsoa_coverage"] = coverage
    return _order(result)


def _warn_apportionment(report: ReadReport, method: ApportionmentMethod) -> None:
    """One UserWarning when LSOAs or residents could not all be placed in wards."""
    if not (
        method.lsoas_without_geometry
        or method.lsoas_outside_all_wards
        or method.lsoas_partly_outside
        or method.lsoas_in_overlapping_wards
    ):
        return
    placed, total = method.in_wards["population"], method.total["population"]
    text = (
        f"{report.summary()} Population placed in wards {placed:,.1f} of {total:,.1f}; "
        f"{total - placed:,.1f} lies in LSOA parts outside every ward (attrs['method'])."
    )
    if method.lsoas_without_geometry:
        text += f" LSOAs without a polygon (not placed): {list(method.lsoas_without_geometry[:5])}."
    if method.lsoas_in_overlapping_wards:
        text += (
            f" {method.lsoas_in_overlapping_wards} LSOA(s) are covered more than once: `wards` "
            "overlap, so their residents are counted twice."
        )
    warnings.warn(text, UserWarning, stacklevel=3)
