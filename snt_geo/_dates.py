"""The one month and date parser of snt_geo.

Every module that reads a month or a date goes through here, so a value means the same thing
everywhere:

- police.uk months, ``"2023-02"`` (also ``"2023-2"``), are months;
- ISO 8601 dates and datetimes, ``"2023-02-01"``, ``"2023-02-01T14:30:00"`` (a UTC offset is
  converted to London local time before the month is taken);
- dates with a month name are day first: ``"15 Jan 2024"``, ``"15 January 2024"``,
  ``"15-Jan-2024"``, ``"1st March 2024"``; ``"January 2024"`` is a month;
- UK dates are day first: ``"01/02/2023"`` (also ``01-02-2023``, ``01.02.2023``, optionally followed
  by a time, 24-hour or with AM/PM) is **1 February 2023**. US month-first dates are read only
  when the caller says so with ``dayfirst=False``; a column whose dates only make sense month-first
  is refused with that fix rather than guessed, and a column mixing day-first-only and
  month-first-only dates is refused whatever ``dayfirst`` says;
- ``pandas.Period``, ``Timestamp``, ``datetime.date`` and ``datetime64`` values are taken as they
  are. Anything else (free text, two-digit years, empty strings) is *unparseable*: the month is
  :data:`NO_MONTH` and the reader that called counts the row as a drop.

Months are handled as *ordinals*: whole months since 1970-01 (``pandas.Period.ordinal`` at
frequency ``M``), ``int64``, with :data:`NO_MONTH` for missing. Each distinct value is parsed once.

:func:`find_outlier_months` separates the plausible months of a column from stray typo months
(``"2203-01"`` among 2022 data) so that a default period is chosen from the plausible ones.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from snt_geo.errors import SchemaError

__all__ = [
    "NO_MONTH",
    "parse_dates",
    "month_ordinals",
    "to_months",
    "parse_month",
    "months_from_ordinals",
    "find_outlier_months",
    "MonthOutliers",
]

#: Ordinal marking a missing or unparseable month: pandas' NaT ordinal (the smallest int64), so it
#: never collides with a real month (1969-12 is -1). Test with ``== NO_MONTH``, never ``< 0``.
NO_MONTH = int(np.iinfo(np.int64).min)

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASH = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?$"
)
_NAMED = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_NAMED_MONTH = re.compile(r"^([A-Za-z]{3,9})\.?,? (\d{4})$")
_MONTH_NAMES = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_LONDON = "Europe/London"


# --------------------------------------------------------------------------------------------------
# Parsing distinct text values


def _slash_dates(text: pd.Series, *, argument: str, dayfirst: bool) -> pd.Series:
    """Parse dd/mm/yyyy (or mm/dd/yyyy when ``dayfirst`` is False); refuse ambiguous columns."""
    parts = text.str.extract(_SLASH)
    a = parts[0].astype("int64")
    b = parts[2].astype("int64")
    only_dayfirst = (a > 12) & (b <= 12)
    only_monthfirst = (b > 12) & (a <= 12)
    if only_dayfirst.any() and only_monthfirst.any():
        raise SchemaError(
            f"`{argument}` mixes day-first and month-first dates, e.g. "
            f"{text[only_dayfirst].iloc[0]!r} (only a day-first date) and "
            f"{text[only_monthfirst].iloc[0]!r} (only a month-first date), so the month of a date "
            "such as '01/02/2023' cannot be known. Fix the source so the column uses one format "
            "(ISO 'YYYY-MM-DD' is best)."
        )
    if dayfirst and only_monthfirst.any():
        raise SchemaError(
            f"`{argument}` holds month-first (US) dates such as "
            f"{text[only_monthfirst].iloc[0]!r}, but dates are read day-first (UK: '01/02/2023' "
            "is 1 February). If the whole column is month-first, pass dayfirst=False."
        )
    if not dayfirst and only_dayfirst.any():
        raise SchemaError(
            f"`{argument}` holds day-first (UK) dates such as {text[only_dayfirst].iloc[0]!r}, "
            "but dayfirst=False reads them month-first. Pass dayfirst=True (the default)."
        )
    day, month = (a, b) if dayfirst else (b, a)
    frame = pd.DataFrame(
        {
            "year": parts[3].astype("int64"),
            "month": month,
            "day": day,
            "hour": _hour_24(parts[4], parts[7]),
            "minute": parts[5].fillna("0").astype("int64"),
            "second": parts[6].fillna("0").astype("int64"),
        }
    )
    return _assemble(frame)


def _assemble(frame: pd.DataFrame) -> pd.Series:
    """Assemble datetimes from year..second columns; NaT for an impossible date or time.

    pandas would roll 25:00 or 10:75 over into the next day or hour.
    """
    bad = (frame["hour"] > 23) | (frame["minute"] > 59) | (frame["second"] > 59)
    out = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    return out.mask(bad.to_numpy())


def _hour_24(hour: pd.Series, am_pm: pd.Series) -> pd.Series:
    """24-hour hours from an hour and an optional 'a'/'p' (12 AM is 0); an impossible hour -> 99."""
    h = hour.fillna("0").astype("int64")
    half = am_pm.fillna("").str.lower()
    twelve = half != ""
    out = h.where(~twelve, h % 12 + np.where(half == "p", 12, 0))
    return out.where(~twelve | ((h >= 1) & (h <= 12)), 99)


def _named_dates(text: pd.Series) -> pd.Series:
    """'15 Jan 2024', '15 January 2024', '15-Jan-2024', '1st March 2024' (day first, always)."""
    parts = text.str.extract(_NAMED)
    month = parts[1].str.lower().map(_MONTH_NAMES)
    frame = pd.DataFrame(
        {
            "year": parts[2].astype("int64"),
            "month": month.fillna(0).astype("int64"),
            "day": parts[0].astype("int64"),
            "hour": parts[3].fillna("0").astype("int64"),
            "minute": parts[4].fillna("0").astype("int64"),
            "second": parts[5].fillna("0").astype("int64"),
        }
    )
    return _assemble(frame)


def _iso_dates(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    aware = text.str.match(r".*(Z|[+-]\d{2}:?\d{2})$")
    naive = text[~aware]
    if len(naive):
        out[~aware] = pd.to_datetime(naive, format="ISO8601", errors="coerce").astype(
            "datetime64[ns]"
        )
    if aware.any():
        # A UTC offset: the month is the London calendar month of that instant.
        parsed = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        out[aware] = parsed.dt.tz_convert(_LONDON).dt.tz_localize(None).astype("datetime64[ns]")
    return out


def _parse_text(text: pd.Series, *, argument: str, dayfirst: bool) -> tuple[pd.Series, np.ndarray]:
    """Distinct stripped strings -> (datetimes, month ordinals); NaT / NO_MONTH when unparseable.

    ``"YYYY-MM"`` gives a month but no date (NaT), so months outside the datetime range still read.
    """
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    ords = np.full(len(text), NO_MONTH, dtype=np.int64)
    ym = text.str.extract(_YEAR_MONTH)
    is_ym = ym[0].notna().to_numpy()
    if is_ym.any():
        year = ym[0][is_ym].astype("int64").to_numpy()
        month = ym[1][is_ym].astype("int64").to_numpy()
        ok = (month >= 1) & (month <= 12)
        ords[is_ym] = np.where(ok, (year - 1970) * 12 + month - 1, NO_MONTH)
    named = text.str.extract(_NAMED_MONTH)
    is_named_month = named[0].notna().to_numpy()
    if is_named_month.any():
        month = named[0][is_named_month].str.lower().map(_MONTH_NAMES).to_numpy()
        year = named[1][is_named_month].astype("int64").to_numpy()
        ok = ~pd.isna(month)
        month = np.where(ok, month, 1).astype(np.int64)
        ords[is_named_month] = np.where(ok, (year - 1970) * 12 + month - 1, NO_MONTH)
    is_named = text.str.match(_NAMED).to_numpy()
    if is_named.any():
        dates[is_named] = _named_dates(text[is_named])
    is_iso = text.str.match(_ISO).to_numpy() & ~is_ym
    if is_iso.any():
        dates[is_iso] = _iso_dates(text[is_iso])
    is_slash = text.str.match(_SLASH).to_numpy()
    if is_slash.any():
        dates[is_slash] = _slash_dates(text[is_slash], argument=argument, dayfirst=dayfirst)
    has_date = dates.notna().to_numpy()
    if has_date.any():
        ords[has_date] = dates[has_date].dt.to_period("M").array.asi8
    return dates, ords


def _parse_objects(values: pd.Series, *, argument: str, dayfirst: bool):
    """Distinct values of any kind -> (datetimes, month ordinals)."""
    n = len(values)
    dates = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    ords = np.full(n, NO_MONTH, dtype=np.int64)
    vals = list(values)
    text_pos, text_vals = [], []
    for i, v in enumerate(vals):
        if isinstance(v, pd.Period):
            ords[i] = v.asfreq("M").ordinal  # NaT is not a Period: it never gets here
        elif isinstance(v, (pd.Timestamp, _dt.date, np.datetime64)):
            ts = pd.Timestamp(v)
            if not pd.isna(ts):
                if ts.tzinfo is not None:
                    ts = ts.tz_convert(_LONDON).tz_localize(None)
                try:
                    dates[i] = ts
                    ords[i] = ts.to_period("M").ordinal
                except (OverflowError, ValueError):
                    pass
        elif isinstance(v, str):
            text_pos.append(i)
            text_vals.append(v.strip())
    if text_pos:
        d, o = _parse_text(
            pd.Series(text_vals, dtype="object"), argument=argument, dayfirst=dayfirst
        )
        dates.iloc[text_pos] = d.to_numpy()
        ords[text_pos] = o
    return dates, ords


def _parse(values, *, argument: str, dayfirst: bool) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[ns] array, int64 month ordinals), row-aligned with ``values``."""
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        arr = values.array.asfreq("M")
        ords = arr.asi8.copy()
        ords[arr.isna()] = NO_MONTH
        return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]"), ords
    if pd.api.types.is_datetime64_any_dtype(dtype):
        dt = values
        if getattr(dtype, "tz", None) is not None:
            dt = dt.dt.tz_convert(_LONDON).dt.tz_localize(None)
        dt = dt.astype("datetime64[ns]")
        per = dt.dt.to_period("M").array
        ords = per.asi8.copy()
        ords[per.isna()] = NO_MONTH
        return dt.to_numpy(), ords
    # Everything else: parse each distinct value once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    d, o = _parse_objects(
        pd.Series(np.asarray(uniques, dtype=object)), argument=argument, dayfirst=dayfirst
    )
    d = d.to_numpy()
    if len(o) == 0:
        return (
            np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]"),
            np.full(len(values), NO_MONTH, dtype=np.int64),
        )
    safe = np.maximum(codes, 0)
    ords = np.where(codes >= 0, o[safe], NO_MONTH).astype(np.int64)
    dates = np.where(codes >= 0, d[safe], np.datetime64("NaT")).astype("datetime64[ns]")
    return dates, ords


# --------------------------------------------------------------------------------------------------
# Public helpers


def parse_dates(values, *, argument: str, dayfirst: bool = True) -> pd.Series:
    """Dates of a column (ISO, UK day-first, datetimes); NaT where missing or unparseable.

    Parameters
    ----------
    values
        A Series (or array-like) of strings, datetimes or dates.
    argument
        The caller's parameter name, quoted in error messages (e.g. ``"date"``).
    dayfirst
        Read ``nn/nn/yyyy`` day first (UK, the default). ``False`` reads them month first (US).

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (London local time, tz-naive), indexed like ``values``. A
        ``"YYYY-MM"`` month has no day, so it gives NaT here (use :func:`month_ordinals`).

    Raises
    ------
    SchemaError
        The column mixes day-first-only and month-first-only dates, or holds dates that contradict
        ``dayfirst``.
    """
    index = values.index if isinstance(values, pd.Series) else None
    dates, _ = _parse(values, argument=argument, dayfirst=dayfirst)
    return pd.Series(dates, index=index, dtype="datetime64[ns]")


def month_ordinals(values, *, argument: str, dayfirst: bool = True) -> np.ndarray:
    """Months of a column as ordinals (months since 1970-01); :data:`NO_MONTH` where unparseable.

    Accepts police.uk months (``"2023-02"``), ISO dates/datetimes, UK day-first dates, Periods of
    any frequency and datetimes. See :func:`parse_dates` for ``argument``, ``dayfirst`` and the
    errors raised.

    Returns
    -------
    numpy.ndarray
        ``int64``, one per row of ``values``.

    Examples
    --------
    >>> month_ordinals(["2023-02", "01/02/2023", "2023-06-30T23:30:00Z"], argument="month")
    array([637, 637, 642])
    >>> month_ordinals(["soon"], argument="month")[0] == NO_MONTH
    np.True_
    """
    return _parse(values, argument=argument, dayfirst=dayfirst)[1]


def months_from_ordinals(ordinals) -> pd.arrays.PeriodArray:
    """Monthly ``PeriodArray`` from month ordinals; :data:`NO_MONTH` becomes NaT."""
    out = np.array(ordinals, dtype=np.int64)
    return pd.arrays.PeriodArray(out, dtype=pd.PeriodDtype("M"))


def to_months(
    values, *, argument: str, dayfirst: bool = True, allow_missing: bool = True
) -> pd.PeriodIndex:
    """Months of a column as a monthly ``PeriodIndex`` (NaT where missing or unparseable).

    Parameters
    ----------
    values, argument, dayfirst
        As in :func:`parse_dates`.
    allow_missing
        When False, raise a :class:`SchemaError` naming ``argument`` (with the number of rows and
        one example) if any value is missing or unparseable.

    Returns
    -------
    pandas.PeriodIndex
        Frequency ``M``, one per row of ``values`` (positional; the input's index is not kept).
    """
    ords = month_ordinals(values, argument=argument, dayfirst=dayfirst)
    if not allow_missing and (ords == NO_MONTH).any():
        bad = np.flatnonzero(ords == NO_MONTH)
        example = pd.Series(values).iloc[int(bad[0])]
        raise SchemaError(
            f"`{argument}` has {len(bad)} rows without a readable month, e.g. {example!r}; "
            "months are 'YYYY-MM', ISO dates or UK day-first dates (01/02/2023 is 1 February). "
            "Drop or fix those rows first."
        )
    return pd.PeriodIndex(months_from_ordinals(ords))


def parse_month(value, *, argument: str) -> pd.Period:
    """One month-like value (``"2023-02"``, an ISO/UK date, a Period or a datetime) as a Period.

    Raises
    ------
    ValueError
        Naming ``argument`` and the value, when it is not a month (``"March"`` has no year).
    """
    if isinstance(value, (str, pd.Period, pd.Timestamp, _dt.date, np.datetime64)):
        try:
            ords = month_ordinals(pd.Series([value], dtype="object"), argument=argument)
        except SchemaError:
            ords = np.array([NO_MONTH])
        if ords[0] != NO_MONTH:
            return pd.Period(ordinal=int(ords[0]), freq="M")
    raise ValueError(
        f"`{argument}` holds {value!r}, which is not a month; use 'YYYY-MM' strings or "
        "pandas.Period values, e.g. period=('2019-01', '2019-12')."
    )


# --------------------------------------------------------------------------------------------------
# Outlier months


@dataclass(frozen=True)
class MonthOutliers:
    """Plausible months of a column and the stray months kept out of default periods.

    Attributes
    ----------
    first, last
        Ordinals of the first and last plausible month (:data:`NO_MONTH` when there is none).
    outliers
        ``{month: rows}`` of the stray months, in month order.
    max_gap_months, max_share
        The rule applied (see :func:`find_outlier_months`).
    """

    first: int
    last: int
    outliers: dict[pd.Period, int]
    max_gap_months: int
    max_share: float

    @property
    def outlier_rows(self) -> int:
        """Rows in the outlier months."""
        return int(sum(self.outliers.values()))

    def is_outlier(self, ordinals) -> np.ndarray:
        """Boolean mask: True for rows whose month is an outlier month."""
        ordinals = np.asarray(ordinals, dtype=np.int64)
        bad = np.array([p.ordinal for p in self.outliers], dtype=np.int64)
        return np.isin(ordinals, bad)

    def describe(self) -> str:
        """One sentence for a warning or a method note ('' when there are no outliers)."""
        if not self.outliers:
            return ""
        listed = ", ".join(f"{p} ({n} rows)" for p, n in list(self.outliers.items())[:5])
        more = f" and {len(self.outliers) - 5} more" if len(self.outliers) > 5 else ""
        first = pd.Period(ordinal=self.first, freq="M")
        last = pd.Period(ordinal=self.last, freq="M")
        return (
            f"{self.outlier_rows} rows have months far from the rest of the data ({listed}{more}; "
            f"the data otherwise runs {first}..{last}); they are kept out of the default period. "
            "Check them for typos or pass `period=` explicitly."
        )


def find_outlier_months(
    ordinals, *, max_gap_months: int = 12, max_share: float = 0.01
) -> MonthOutliers:
    """Split the months of a column into a plausible span and stray outlier months.

    The distinct months are cut into runs wherever two consecutive months are more than
    ``max_gap_months`` apart. The run holding the most rows is plausible; any other run holding at
    most ``max_share`` of the rows is an outlier (a typo such as ``2203-01`` among 2022 data, or
    ``1923-01``). Larger separate runs are kept as plausible: real data can have gaps.

    Parameters
    ----------
    ordinals
        Month ordinals (:func:`month_ordinals`); :data:`NO_MONTH` is ignored.
    max_gap_months
        Largest gap, in months, inside one run. Default 12.
    max_share
        Largest share of the rows (0..1) a separate run may hold and still be an outlier.
        Default 0.01.

    Returns
    -------
    MonthOutliers
    """
    if int(max_gap_months) != max_gap_months or max_gap_months < 1:
        raise ValueError(
            f"`max_gap_months` must be a whole number of months >= 1; got {max_gap_months!r}."
        )
    if not 0 <= max_share < 1:
        raise ValueError(f"`max_share` must be a share in [0, 1); got {max_share!r}.")
    ordinals = np.asarray(ordinals, dtype=np.int64)
    valid = ordinals[ordinals != NO_MONTH]
    if len(valid) == 0:
        return MonthOutliers(NO_MONTH, NO_MONTH, {}, int(max_gap_months), float(max_share))
    months, counts = np.unique(valid, return_counts=True)
    run = np.concatenate([[0], np.cumsum(np.diff(months) > max_gap_months)])
    run_rows = np.bincount(run, weights=counts)
    main = int(np.argmax(run_rows))
    outlier_run = (run_rows <= max_share * len(valid)) & (np.arange(len(run_rows)) != main)
    is_out = outlier_run[run]
    plausible = months[~is_out]
    outliers = {
        pd.Period(ordinal=int(m), freq="M"): int(c)
        for m, c in zip(months[is_out], counts[is_out], strict=True)
    }
    return MonthOutliers(
        int(plausible.min()), int(plausible.max()), outliers, int(max_gap_months), float(max_share)
    )
