"""Aoristic weights: spreading an incident known only within a from-to window over the hours.

A burglary found on return from a weekend away happened some time between Friday 18:00 and
Monday 08:00. Aoristic analysis (Ratcliffe & McCullagh 1998; Ratcliffe 2002) gives each hour of
the window an equal share of the incident: the weight of an hour-of-week bin is the part of the
window inside it divided by the window's length, so every incident's weights sum to 1 and an
incident with an exact time puts all its weight in one bin.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from snt_geo._dates import parse_dates
from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo.errors import SchemaError

__all__ = ["AoristicMethod", "aoristic_weights"]

HOURS_PER_WEEK = 168
_NS_PER_HOUR = 3_600_000_000_000
#: A Monday at 00:00 (1970-01-05): hours counted from it fall in bin ``hours % 168``.
_MONDAY = np.datetime64("1970-01-05T00:00:00", "ns")


@dataclass(frozen=True, repr=False)
class AoristicMethod(MethodRecord):
    """What :func:`aoristic_weights` ran (``frame.attrs["method"]``).

    Attributes
    ----------
    start, end
        Columns holding the start and end of each incident's window (``end`` None: exact times).
    n_incidents
        Incidents given.
    n_exact
        Incidents with an exact time (no end, or end equal to start): weight 1 in one bin.
    n_windowed
        Incidents spread over a window.
    n_no_start
        Incidents without a readable start (no weights; counted, not spread).
    n_reversed
        Incidents whose end precedes their start (no weights; counted, not spread).
    longest_window_hours
        The longest window spread, in hours (0 when none).
    """

    start: str
    end: str | None
    n_incidents: int
    n_exact: int
    n_windowed: int
    n_no_start: int
    n_reversed: int
    longest_window_hours: float

    def describe(self) -> str:
        """One paragraph for a method note."""
        dropped = self.n_no_start + self.n_reversed
        return (
            f"Aoristic weighting (Ratcliffe 2002) over the 168 hours of the week (London local "
            f"time): {format_count(self.n_windowed)} incidents known only between "
            f"`{self.start}` and `{self.end}` were spread over their windows in proportion to "
            f"the time inside each hour (longest window {self.longest_window_hours:.0f} hours); "
            f"{format_count(self.n_exact)} with an exact time count in one hour. "
            f"{format_count(dropped)} incidents without a usable time "
            f"({format_count(self.n_no_start)} no start, {format_count(self.n_reversed)} ending "
            "before they start) were not counted."
        )


def aoristic_weights(
    incidents: pd.DataFrame, *, start: str, end: str | None = None
) -> pd.DataFrame:
    """Each incident's share of each hour of the week.

    Parameters
    ----------
    incidents
        Any frame with the time columns (the incidents schema from
        :func:`snt_geo.io.incidents_from_frame`, or a plain DataFrame). Never modified.
    start
        Column with the earliest time the incident could have happened (datetimes, ISO or UK
        day-first text; tz-aware values are converted to London local time).
    end
        Column with the latest time. Missing or equal to ``start``: an exact time. Default None:
        every incident has an exact time (``start``).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per incident and hour-of-week bin with a positive weight, indexed by
        the incident's label in ``incidents`` (repeated), in input order then bin order.
        Columns: ``weekday`` (0 = Monday ... 6 = Sunday), ``hour`` (0-23, the hour starting at
        that clock time) and ``weight`` (the share of the incident's window in that hour; each
        incident's weights sum to 1). ``attrs["method"]`` holds an :class:`AoristicMethod`.
        Incidents without a usable time have no rows and are counted on the method record.

    Raises
    ------
    SchemaError
        ``start`` or ``end`` names a column that ``incidents`` does not have.

    Warns
    -----
    UserWarning
        Some incidents have no readable start or end before their start (counted, not spread).

    Notes
    -----
    Windows are measured in clock time (London local, as recorded), so a window across a change
    to or from British Summer Time is one hour longer or shorter than the time that passed. A
    window of a week or more gives every bin a whole hour per full week plus its share of the
    remainder.

    Examples
    --------
    >>> df = pd.DataFrame({"from": ["2024-03-10 23:00"], "to": ["2024-03-11 01:00"]})
    >>> aoristic_weights(df, start="from", end="to")
       weekday  hour  weight
    0        0     0     0.5
    0        6    23     0.5
    """
    problems = [
        f"`{arg}` names column {col!r}, which `incidents` does not have"
        for arg, col in (("start", start), ("end", end))
        if col is not None and col not in incidents.columns
    ]
    if problems:
        raise SchemaError(
            "`incidents` lacks the time columns asked for; pass the names of its from-to "
            "columns (e.g. start='date_from', end='date_to').",
            problems,
        )
    s_hours = _hours_since_monday(parse_dates(incidents[start], argument="start"))
    if end is None:
        e_hours = s_hours.copy()
    else:
        e_hours = _hours_since_monday(parse_dates(incidents[end], argument="end"))
        e_hours = np.where(np.isnan(e_hours), s_hours, e_hours)
    no_start = np.isnan(s_hours)
    reversed_ = ~no_start & (e_hours < s_hours)
    usable = ~(no_start | reversed_)
    exact = usable & (e_hours == s_hours)
    windowed = usable & ~exact
    rows, bins, weights = _spread(s_hours, e_hours, exact, windowed)
    method = AoristicMethod(
        start=start,
        end=end,
        n_incidents=len(incidents),
        n_exact=int(exact.sum()),
        n_windowed=int(windowed.sum()),
        n_no_start=int(no_start.sum()),
        n_reversed=int(reversed_.sum()),
        longest_window_hours=float((e_hours - s_hours)[windowed].max()) if windowed.any() else 0.0,
    )
    if method.n_no_start or method.n_reversed:
        warnings.warn(
            f"aoristic_weights: {method.n_no_start} incident(s) without a readable `start` and "
            f"{method.n_reversed} with `end` before `start` were not spread (counted on "
            "attrs['method']).",
            UserWarning,
            stacklevel=2,
        )
    out = pd.DataFrame(
        {"weekday": bins // 24, "hour": bins % 24, "weight": weights},
        index=incidents.index[rows],
    )
    out.attrs["method"] = method
    return out


def _hours_since_monday(dates: pd.Series) -> np.ndarray:
    """Clock hours since Monday 1970-01-05 00:00 as float (NaN where NaT)."""
    values = dates.to_numpy("datetime64[ns]")
    missing = np.isnat(values)
    delta = (values - _MONDAY).astype(np.int64)
    hours = delta / _NS_PER_HOUR
    hours[missing] = np.nan
    return hours


def _spread(
    s: np.ndarray, e: np.ndarray, exact: np.ndarray, windowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, hour-of-week bin, weight) for every positive weight."""
    n_rows = len(s)
    row_parts, bin_parts, amount_parts = [], [], []
    ex = np.flatnonzero(exact)
    row_parts.append(ex)
    bin_parts.append(np.floor(s[ex]).astype(np.int64) % HOURS_PER_WEEK)
    amount_parts.append(np.ones(len(ex)))
    win = np.flatnonzero(windowed)
    ws, we = s[win], e[win]
    length = we - ws
    full_weeks = np.floor(length / HOURS_PER_WEEK)
    rest_end = ws + (length - full_weeks * HOURS_PER_WEEK)
    first = np.floor(ws)
    for k in range(HOURS_PER_WEEK + 1):  # the remainder (< 1 week) touches at most 169 hours
        lo = np.maximum(ws, first + k)
        hi = np.minimum(rest_end, first + k + 1)
        inside = hi > lo
        if not inside.any():
            continue
        row_parts.append(win[inside])
        bin_parts.append((first[inside].astype(np.int64) + k) % HOURS_PER_WEEK)
        amount_parts.append(hi[inside] - lo[inside])
    weekly = np.flatnonzero(full_weeks > 0)
    if len(weekly):
        row_parts.append(np.repeat(win[weekly], HOURS_PER_WEEK))
        bin_parts.append(np.tile(np.arange(HOURS_PER_WEEK), len(weekly)))
        amount_parts.append(np.repeat(full_weeks[weekly], HOURS_PER_WEEK))
    rows = np.concatenate(row_parts).astype(np.int64)
    bins = np.concatenate(bin_parts).astype(np.int64)
    amount = np.concatenate(amount_parts)
    total = np.zeros(n_rows)
    total[ex] = 1.0
    total[win] = length
    key = rows * HOURS_PER_WEEK + bins
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=amount, minlength=len(uniq))
    rows, bins = uniq // HOURS_PER_WEEK, uniq % HOURS_PER_WEEK
    return rows, bins, summed / total[rows]
