"""Stop and search per ward and month: how many, for what, and with what outcome.

A BIU tactical assessment reports stop and search beside crime: the number of searches per ward,
what officers searched for (object of search) and what came of it, notably the share that ended in
no further action. These functions count the searches of
:func:`snt_geo.io.read_stop_and_search` in the wards they fall in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._format import format_count, format_percent
from snt_geo._method import METHOD_KEY, MethodRecord
from snt_geo.errors import SchemaError
from snt_geo.io.boundaries import check_wards
from snt_geo.profile.assignment import assign_wards

__all__ = [
    "NFA_PATTERN",
    "StopSearchMethod",
    "describe_stop_search",
    "stop_search_monthly",
    "stop_search_profile",
]

#: An outcome is "no further action" when it matches this (case-insensitive): police.uk's
#: ``"A no further action disposal"`` and the older ``"Nothing found - no further action"``.
NFA_PATTERN = r"no further action"

_CORE = ("searches", "no_further_action", "nfa_share", "arrests", "arrest_share", "age_10_17")


@dataclass(frozen=True, repr=False)
class StopSearchMethod(MethodRecord):
    """What :func:`stop_search_profile` / :func:`stop_search_monthly` counted.

    Attributes
    ----------
    first_month, last_month
        The months counted (``pandas.Period`` as text), inclusive.
    searches_given, searches_in_period, searches_in_wards
        Searches given, dated in the period, and of those inside a ward; the rest of the period's
        searches fall outside every ward (``searches_outside_wards``).
    searches_outside_wards
        ``searches_in_period - searches_in_wards``.
    objects
        Column key -> the object of search it counts (``object_controlled_drugs`` ->
        ``"Controlled drugs"``).
    nfa_rule
        How "no further action" was recognised.
    """

    first_month: str
    last_month: str
    searches_given: int
    searches_in_period: int
    searches_in_wards: int
    searches_outside_wards: int
    objects: dict
    nfa_rule: str

    def describe(self) -> str:
        """Say what was counted, in one paragraph."""
        return (
            f"Stop and search counted per ward, {self.first_month} to {self.last_month}: "
            f"{format_count(self.searches_in_wards)} of "
            f"{format_count(self.searches_in_period)} located searches in the period fell in a "
            f"ward ({format_count(self.searches_outside_wards)} outside every ward). An outcome "
            f"counts as no further action when it {self.nfa_rule}."
        )


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_")


def _prepare(wards, searches, months):
    areas = check_wards(wards)
    if not isinstance(searches, gpd.GeoDataFrame):
        raise TypeError(
            f"`searches` must be a GeoDataFrame from read_stop_and_search; got "
            f"{type(searches).__name__}."
        )
    missing = [c for c in ("month", "object_of_search", "outcome") if c not in searches.columns]
    if missing:
        raise SchemaError(
            "`searches` is not a searches table (snt_geo.io.read_stop_and_search):",
            [f"missing column {c!r}" for c in missing],
        )
    month = pd.PeriodIndex(searches["month"], freq="M")
    if months is None:
        if month.notna().any():
            period = pd.period_range(month.min(), month.max(), freq="M")
        else:
            period = pd.PeriodIndex([], freq="M")
    else:
        try:
            period = pd.PeriodIndex(
                [months] if isinstance(months, (str, pd.Period)) else list(months), freq="M"
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"`months` must be months such as '2019-01' or pd.period_range('2019-01', "
                f"'2019-06', freq='M'); got {months!r} ({exc})."
            ) from None
    in_period = month.isin(period)
    ward = assign_wards(searches, areas).to_numpy()
    frame = pd.DataFrame(
        {
            "ward_code": ward,
            "month": month,
            "object": searches["object_of_search"].astype("string").fillna("not recorded"),
            "outcome": searches["outcome"].astype("string").fillna(""),
            "age": searches["age_range"].astype("string")
            if "age_range" in searches.columns
            else pd.NA,
        }
    )[in_period]
    in_wards = frame["ward_code"].notna()
    objects = {f"object_{_key(o)}": o for o in sorted(frame["object"].unique())}
    method = StopSearchMethod(
        first_month=str(period.min()) if len(period) else "",
        last_month=str(period.max()) if len(period) else "",
        searches_given=len(searches),
        searches_in_period=int(in_period.sum()),
        searches_in_wards=int(in_wards.sum()),
        searches_outside_wards=int((~in_wards).sum()),
        objects=objects,
        nfa_rule=f"matches {NFA_PATTERN!r} (case-insensitive)",
    )
    return areas, frame[in_wards], period, objects, method


def _count(frame: pd.DataFrame, keys: list[str], index: pd.Index, objects: dict) -> pd.DataFrame:
    nfa = frame["outcome"].str.contains(NFA_PATTERN, case=False, regex=True).fillna(False)
    arrest = frame["outcome"].str.fullmatch("arrest|suspect arrested", case=False).fillna(False)
    parts = pd.DataFrame(
        {
            "searches": 1,
            "no_further_action": nfa.astype("int64"),
            "arrests": arrest.astype("int64"),
            "age_10_17": (frame["age"] == "10-17").fillna(False).astype("int64"),
        },
        index=frame.index,
    )
    for col, label in objects.items():
        parts[col] = (frame["object"] == label).astype("int64")
    grouped = parts.groupby([frame[k] for k in keys]).sum() if len(frame) else parts.iloc[:0]
    out = grouped.reindex(index, fill_value=0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out.insert(2, "nfa_share", out["no_further_action"] / out["searches"].replace(0, np.nan))
        out.insert(4, "arrest_share", out["arrests"] / out["searches"].replace(0, np.nan))
    return out


def stop_search_profile(
    wards: gpd.GeoDataFrame, searches: gpd.GeoDataFrame, *, months=None
) -> pd.DataFrame:
    """Stop and search per ward over a period.

    Parameters
    ----------
    wards
        Ward polygons indexed by ward code (the wards schema); any labelled CRS.
    searches
        Output of :func:`snt_geo.io.read_stop_and_search` (``month``, ``object_of_search``,
        ``outcome``, ``age_range``, points); never modified.
    months
        Months to count (``'2024-01'``, a list, or ``pd.period_range(...)``). Default: every
        month from the first to the last search.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code`` like ``wards`` (every ward, zeros included). Columns:
        ``searches``, ``no_further_action``, ``nfa_share`` (0-1; NaN without searches),
        ``arrests``, ``arrest_share``, ``age_10_17`` (searches of 10-17 year olds), then one
        ``object_<key>`` count per object of search found (``object_controlled_drugs``...;
        ``object_not_recorded`` for blanks). ``attrs["method"]`` is a :class:`StopSearchMethod`.

    Notes
    -----
    A search on a boundary shared by two wards is counted once, in the first of them
    (:func:`snt_geo.profile.assign_wards`). Searches outside every ward are counted only in the
    method record.
    """
    areas, frame, _, objects, method = _prepare(wards, searches, months)
    index = pd.Index(areas.index, name="ward_code")
    out = _count(frame, ["ward_code"], index, objects)
    out.attrs[METHOD_KEY] = method
    return out


def stop_search_monthly(
    wards: gpd.GeoDataFrame, searches: gpd.GeoDataFrame, *, months=None
) -> pd.DataFrame:
    """Stop and search per ward and month.

    Parameters are those of :func:`stop_search_profile`.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``ward_code``, ``month``): every ward times every month of the period, zeros
        included. Columns as :func:`stop_search_profile`. ``attrs["method"]`` is a
        :class:`StopSearchMethod`.
    """
    areas, frame, period, objects, method = _prepare(wards, searches, months)
    index = pd.MultiIndex.from_product(
        [pd.Index(areas.index, name="ward_code"), pd.PeriodIndex(period, name="month")]
    )
    out = _count(frame, ["ward_code", "month"], index, objects)
    out.attrs[METHOD_KEY] = method
    return out


def describe_stop_search(profile: pd.DataFrame, ward_code: str) -> str:
    """One sentence on a ward's stop and search, for a briefing."""
    row = profile.loc[ward_code]
    if not row["searches"]:
        return "No stop and search recorded in the ward."
    objects = {c: row[c] for c in profile.columns if c.startswith("object_")}
    nfa = f"{format_percent(row['nfa_share'])} ended in no further action."
    if not objects:  # a profile without object_ columns: no object to name
        return f"{format_count(row['searches'])} stop and searches; {nfa}"
    top = max(objects, key=lambda c: objects[c])
    method = profile.attrs.get(METHOD_KEY)
    label = method.objects.get(top, top) if method is not None else top
    return (
        f"{format_count(row['searches'])} stop and searches, mostly for "
        f"{str(label).lower()} ({format_count(objects[top])}); {nfa}"
    )
