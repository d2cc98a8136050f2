"""Tracking problem solving: stages, days in stage, overdue reviews, responses, outcomes.

What the MPS recorded in EPIC, per ward and borough and per month: is ward problem solving
working? :func:`track_plans` reads plans (a register or a list of plans) and returns, for a date
(``as_of``) and a run of months, the counts a TTCG or SN tasking meeting checks.

*Overdue review* (the Neighbourhood Panel meets every 4-6 weeks): on a given day an open plan's
review is overdue when

1. a review date has passed (due before that day) and no review was held by then; or
2. no review was held or is scheduled for longer than ``review_interval_days`` (default 42, six
   weeks): the last review held (or, before any, the day the plan was opened) is more than that
   many days back and no review date falls on or after the day.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pandas as pd

from snt_geo._dates import parse_month
from snt_geo._method import MethodRecord
from snt_geo._validate import check_whole
from snt_geo.problem_solving.plans import LEADS, OUTCOMES, STAGES, Plan

__all__ = ["PlanTracking", "TrackingMethod", "track_plans", "REVIEW_INTERVAL_DAYS"]

#: Longest expected gap between reviews: the panel meets every 4-6 weeks.
REVIEW_INTERVAL_DAYS = 42

_OVERDUE_PASSED = "review date passed, no review held"
_OVERDUE_NONE = "no review held or scheduled within the interval"


@dataclass(frozen=True, repr=False)
class TrackingMethod(MethodRecord):
    """What :func:`track_plans` counted.

    Attributes
    ----------
    as_of
        Day of the ``plans`` and ``overdue`` tables (ISO date).
    first_month, last_month
        The months of the panels (``"YYYY-MM"``); each month is counted at its last day.
    review_interval_days
        Longest gap between reviews before a plan counts as overdue.
    n_plans
        Plans read.
    borough_source
        Where the borough of each ward came from.
    """

    as_of: str
    first_month: str
    last_month: str
    review_interval_days: int
    n_plans: int
    borough_source: str

    def describe(self) -> str:
        """One paragraph for a method note."""
        return (
            f"Problem-solving tracking of {self.n_plans} plans, {self.first_month} to "
            f"{self.last_month} (each month counted at its last day) and as of {self.as_of}. "
            "A review is overdue when its date has passed with no review held, or when no "
            f"review was held or scheduled for more than {self.review_interval_days} days (the "
            f"panel meets every 4-6 weeks). Boroughs: {self.borough_source}."
        )


@dataclass(frozen=True)
class PlanTracking:
    """Result of :func:`track_plans`.

    Attributes
    ----------
    plans
        One row per plan as of ``method.as_of``, indexed by ``plan_id``: ``ward_code``,
        ``borough_code``, ``theme``, ``stage`` (NA before it was opened), ``status``,
        ``stage_since``, ``days_in_stage``, ``last_review_held``, ``next_review_due``,
        ``overdue`` (bool), ``days_overdue`` (0 when not overdue), ``overdue_reason``.
    overdue
        The overdue plans of ``plans`` (same columns), most overdue first.
    wards
        Indexed by (``ward_code``, ``month``): plans in each stage at the month's end
        (``scanning`` ... ``closed``), ``open_plans``, ``mean_days_in_stage`` (open plans),
        ``overdue_reviews``, ``responses_police`` / ``_partner`` / ``_public`` (responses
        running during the month by lead), ``closed_<outcome>`` for each outcome (plans
        closed in the month).
    boroughs
        The same counts summed by (``borough_code``, ``month``); ``mean_days_in_stage``
        weighted by open plans.
    method
        :class:`TrackingMethod`.
    """

    plans: pd.DataFrame
    overdue: pd.DataFrame
    wards: pd.DataFrame
    boroughs: pd.DataFrame
    method: TrackingMethod

    def to_frame(self) -> pd.DataFrame:
        """Return the per-plan table with ``attrs["method"]`` set."""
        frame = self.plans.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        return (
            f"<p>{html.escape(self.method.describe())}</p>"
            + f"<p>{len(self.overdue)} plan(s) with an overdue review.</p>"
            + self.plans.to_html()
        )


def _snapshot(plan: Plan, day: _dt.date, interval: int) -> dict[str, object]:
    stage = plan.stage_on(day)
    entered = [on for s, on in plan.stage_dates if on <= day]
    since = None
    if stage is not None:
        since = max(on for s, on in plan.stage_dates if s == stage and on <= day)
    held = [r.held_on for r in plan.reviews if r.held_on is not None and r.held_on <= day]
    last_held = max(held) if held else None
    pending = [r.due_on for r in plan.reviews if r.held_on is None or r.held_on > day]
    next_due = min((d for d in pending if d >= day), default=None)
    passed = [d for d in pending if d < day]
    reason, days_overdue = "", 0
    is_open = stage is not None and stage != "closed"
    if is_open and passed:
        reason, days_overdue = _OVERDUE_PASSED, (day - min(passed)).days
    elif is_open and next_due is None:
        start = last_held if last_held is not None else min(entered)
        gap = (day - start).days
        if gap > interval:
            reason, days_overdue = _OVERDUE_NONE, gap - interval
    return {
        "stage": stage,
        "stage_since": since,
        "days_in_stage": None if since is None else (day - since).days,
        "last_review_held": last_held,
        "next_review_due": next_due,
        "overdue": bool(reason),
        "days_overdue": days_overdue,
        "overdue_reason": reason,
    }


def _boroughs(wards) -> tuple[dict[str, str], str]:
    if wards is None:
        return {}, "not given (all wards under 'all')"
    if "borough_code" not in getattr(wards, "columns", ()):
        raise ValueError(
            "`wards` needs a `borough_code` column (the wards schema of snt_geo.io."
            "read_wards); got columns " + repr(list(getattr(wards, "columns", [])))
        )
    codes = wards["borough_code"].astype("string").fillna("unknown")
    return dict(zip(wards.index.astype(str), codes, strict=True)), "the `wards` borough_code"


def _borough_of(borough_of: dict[str, str], ward_code: str) -> str:
    if not borough_of:
        return "all"
    return borough_of.get(ward_code, "unknown")


def track_plans(
    plans,
    *,
    months: Sequence,
    as_of=None,
    wards=None,
    review_interval_days: int = REVIEW_INTERVAL_DAYS,
) -> PlanTracking:
    """Track plans per ward and borough, per month.

    Plans by stage, days in stage, overdue reviews, responses by lead and outcomes.

    Parameters
    ----------
    plans
        A :class:`~snt_geo.problem_solving.Register` or a sequence of
        :class:`~snt_geo.problem_solving.Plan`.
    months
        ``(first month, last month)`` of the monthly panels, e.g. ``('2024-01', '2024-12')``.
    as_of
        Day of the per-plan and overdue tables. Default: the last day of ``months``.
    wards
        Wards GeoDataFrame (index ward code, column ``borough_code``) for the borough panel.
        Default None: every ward under borough ``"all"``.
    review_interval_days
        Longest gap between reviews before a plan counts as overdue (default 42).

    Returns
    -------
    PlanTracking
    """
    review_interval_days = check_whole("review_interval_days", review_interval_days, minimum=1)
    if isinstance(months, str) or not isinstance(months, Sequence) or len(months) != 2:
        raise ValueError(
            f"`months` must be a (first month, last month) pair, e.g. ('2024-01', '2024-12'); "
            f"got {months!r}."
        )
    first = parse_month(months[0], argument="months")
    last = parse_month(months[1], argument="months")
    if last < first:
        raise ValueError(f"`months` ends before it starts: {months!r}.")
    month_index = pd.period_range(first, last, freq="M", name="month")
    if as_of is None:
        as_of = last.end_time.date()
    elif isinstance(as_of, str):
        as_of = _dt.date.fromisoformat(as_of)
    elif isinstance(as_of, _dt.datetime):
        as_of = as_of.date()
    loaded = plans.load_plans() if hasattr(plans, "load_plans") else list(plans)
    bad = [type(p).__name__ for p in loaded if not isinstance(p, Plan)]
    if bad:
        raise TypeError(f"`plans` must be a Register or Plans; got items of type {bad[:3]}.")
    borough_of, borough_source = _boroughs(wards)

    rows = []
    for plan in loaded:
        snap = _snapshot(plan, as_of, review_interval_days)
        rows.append(
            {
                "plan_id": plan.plan_id,
                "ward_code": plan.ward_code,
                "borough_code": borough_of.get(
                    plan.ward_code, "all" if not borough_of else "unknown"
                ),
                "theme": plan.theme,
                "status": plan.status,
                **snap,
            }
        )
    columns = [
        "ward_code",
        "borough_code",
        "theme",
        "stage",
        "status",
        "stage_since",
        "days_in_stage",
        "last_review_held",
        "next_review_due",
        "overdue",
        "days_overdue",
        "overdue_reason",
    ]
    table = pd.DataFrame(rows, columns=["plan_id", *columns]).set_index("plan_id")[columns]
    for c in ("stage_since", "last_review_held", "next_review_due"):
        table[c] = pd.to_datetime(table[c]).astype("datetime64[ns]")
    table["days_in_stage"] = table["days_in_stage"].astype("Int64")
    table["overdue"] = table["overdue"].astype(bool)
    overdue = table[table["overdue"]].sort_values("days_overdue", ascending=False, kind="stable")

    panel = _monthly(loaded, month_index, review_interval_days, borough_of)
    wards_panel = panel.drop(columns="borough_code").groupby(["ward_code", "month"]).sum()
    wards_panel = _finish_means(wards_panel)
    borough_panel = _finish_means(
        panel.drop(columns="ward_code").groupby(["borough_code", "month"]).sum()
    )
    method = TrackingMethod(
        as_of=as_of.isoformat(),
        first_month=str(first),
        last_month=str(last),
        review_interval_days=review_interval_days,
        n_plans=len(loaded),
        borough_source=borough_source,
    )
    return PlanTracking(table, overdue, wards_panel, borough_panel, method)


def _monthly(plans, month_index, interval, borough_of) -> pd.DataFrame:
    counts = [*STAGES, "open_plans", "days_sum", "overdue_reviews"]
    counts += [f"responses_{lead}" for lead in LEADS] + [f"closed_{o}" for o in OUTCOMES]
    rows = []
    for plan in plans:
        borough = _borough_of(borough_of, plan.ward_code)
        for month in month_index:
            start, end = month.start_time.date(), month.end_time.date()
            snap = _snapshot(plan, end, interval)
            stage = snap["stage"]
            row = dict.fromkeys(counts, 0)
            if isinstance(stage, str):
                row[stage] = 1
                if stage != "closed":
                    row["open_plans"] = 1
                    row["days_sum"] = cast(int, snap["days_in_stage"])
            row["overdue_reviews"] = int(bool(snap["overdue"]))
            for r in plan.responses:
                if r.start_on and r.start_on <= end and (r.end_on is None or r.end_on >= start):
                    row[f"responses_{r.lead}"] += 1
            closed = [on for s, on in plan.stage_dates if s == "closed" and start <= on <= end]
            if closed and plan.outcome is not None and plan.stage == "closed":
                row[f"closed_{plan.outcome}"] = 1
            rows.append(
                {"ward_code": plan.ward_code, "borough_code": borough, "month": month, **row}
            )
    if not rows:
        return pd.DataFrame(columns=["ward_code", "borough_code", "month", *counts])
    return pd.DataFrame(rows)


def _finish_means(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    mean = out["days_sum"] / out["open_plans"].where(out["open_plans"] > 0)
    out.insert(list(out.columns).index("open_plans") + 1, "mean_days_in_stage", mean.astype(float))
    return out.drop(columns="days_sum")
