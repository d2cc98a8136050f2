"""Hour x weekday tables: when incidents happen, or an explicit "no times" for month-only data."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from snt_geo._dates import parse_dates
from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo.errors import SchemaError
from snt_geo.temporal.aoristic import aoristic_weights

__all__ = ["TIME_STATES", "WEEKDAYS", "TimeOfDay", "TimeOfDayMethod", "time_of_day"]

#: Row labels of the table, Monday first (ISO 8601 weeks).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Values of ``TimeOfDay.state``: ``"times"`` (a table) or ``"no_times"`` (nothing to tabulate).
TIME_STATES = ("times", "no_times")


@dataclass(frozen=True, repr=False)
class TimeOfDayMethod(MethodRecord):
    """What :func:`time_of_day` ran (``TimeOfDay.method``).

    Attributes
    ----------
    state
        ``"times"`` or ``"no_times"`` (:data:`TIME_STATES`).
    reason
        Why there is no table (``""`` when there is one).
    start, end
        The time columns used (None when there were none).
    n_incidents
        Incidents given.
    n_counted
        Incidents in the table (exact or spread over their windows).
    weighting
        The aoristic step's description (``""`` without times).
    """

    state: str
    reason: str
    start: str | None
    end: str | None
    n_incidents: int
    n_counted: int
    weighting: str

    def describe(self) -> str:
        """One paragraph for a method note."""
        if self.state == "no_times":
            return (
                f"No time-of-day table: {self.reason}. {format_count(self.n_incidents)} "
                "incidents, none with a time of day."
            )
        return (
            f"Hour x weekday table of {format_count(self.n_counted)} of "
            f"{format_count(self.n_incidents)} incidents. {self.weighting}"
        )


@dataclass(frozen=True)
class TimeOfDay:
    """Result of :func:`time_of_day`.

    Attributes
    ----------
    table
        DataFrame indexed by ``weekday`` (:data:`WEEKDAYS`, Monday first), columns ``0`` ..
        ``23`` (named ``hour``: the hour starting at that clock time); values are incident
        counts (aoristic: fractional). All NaN when ``state`` is ``"no_times"``: unknown, not
        zero.
    method
        :class:`TimeOfDayMethod`.
    """

    table: pd.DataFrame
    method: TimeOfDayMethod

    @property
    def state(self) -> str:
        """``"times"`` or ``"no_times"``."""
        return self.method.state

    @property
    def has_times(self) -> bool:
        """True when the table holds counts."""
        return self.method.state == "times"

    def to_frame(self) -> pd.DataFrame:
        """Return the table with ``attrs["method"]`` set."""
        frame = self.table.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        note = f"<p>{html.escape(self.method.describe())}</p>"
        return note if not self.has_times else note + self.table.round(1).to_html()


def time_of_day(
    incidents: pd.DataFrame, *, start: str | None = None, end: str | None = None
) -> TimeOfDay:
    """Incidents per hour of the day and day of the week.

    Parameters
    ----------
    incidents
        The incidents schema (or any frame with time columns). Never modified.
    start
        Column with each incident's time, or the earliest time it could have happened. Default:
        ``"date"`` when ``incidents`` has it (as :func:`snt_geo.io.incidents_from_frame` writes
        it). Without one, and with only ``month`` (police.uk), the result says there are no
        times.
    end
        Column with the latest time of a from-to window (burglaries found on return). Windows
        are spread over the hours by aoristic weights (:func:`aoristic_weights`). Default None:
        exact times.

    Returns
    -------
    TimeOfDay
        ``table`` (7 weekdays x 24 hours) and ``method``; ``state`` is ``"no_times"`` for
        month-only data or dates without a time of day (every time 00:00), and the table is
        then all NaN.

    Raises
    ------
    SchemaError
        ``start`` or ``end`` names a missing column, or ``incidents`` has neither a time column
        nor ``month``.
    """
    if start is None and end is not None:
        raise SchemaError(
            "`end` was given without `start`: pass both columns of the from-to window "
            "(e.g. start='date_from', end='date_to')."
        )
    if start is None:
        if "date" in incidents.columns:
            start = "date"
        elif "month" in incidents.columns:
            return _no_times(
                incidents, "the incidents carry months only (police.uk publishes no dates or times)"
            )
        else:
            raise SchemaError(
                "`incidents` has no `date` column and no `month`: pass `start` (and `end` for "
                "from-to windows) naming its time columns."
            )
    if start not in incidents.columns:
        raise SchemaError(
            f"`start` names column {start!r}, which `incidents` does not have; columns: "
            f"{list(incidents.columns)}."
        )
    if end is None and _midnight_only(incidents[start]):
        return _no_times(
            incidents, f"`{start}` holds dates without a time of day (every time is 00:00)"
        )
    weights = aoristic_weights(incidents, start=start, end=end)
    aoristic = weights.attrs["method"]
    grid = np.zeros((7, 24))
    np.add.at(grid, (weights["weekday"].to_numpy(), weights["hour"].to_numpy()), weights["weight"])
    method = TimeOfDayMethod(
        state="times",
        reason="",
        start=start,
        end=end,
        n_incidents=len(incidents),
        n_counted=aoristic.n_exact + aoristic.n_windowed,
        weighting=aoristic.describe(),
    )
    return TimeOfDay(table=_table(grid), method=method)


def _midnight_only(values: pd.Series) -> bool:
    dates = parse_dates(values, argument="start")
    known = dates.dropna()
    return bool(len(known)) and bool((known == known.dt.normalize()).all())


def _table(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        values,
        index=pd.Index(WEEKDAYS, name="weekday"),
        columns=pd.RangeIndex(24, name="hour"),
    )


def _no_times(incidents: pd.DataFrame, reason: str) -> TimeOfDay:
    method = TimeOfDayMethod(
        state="no_times",
        reason=reason,
        start=None,
        end=None,
        n_incidents=len(incidents),
        n_counted=0,
        weighting="",
    )
    return TimeOfDay(table=_table(np.full((7, 24), np.nan)), method=method)
