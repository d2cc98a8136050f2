"""The problem-solving review of a period, for a tasking meeting (briefing section 1).

:func:`review_plans` answers the TTCG's first question, "is ward problem solving working?", for
one period: the plans by stage in each ward, the overdue reviews, and an evaluation
(:func:`~snt_geo.problem_solving.evaluate_intervention`) of every response with an area that
ended in the period.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from snt_geo._dates import parse_month
from snt_geo._method import MethodRecord
from snt_geo._validate import check_whole
from snt_geo.errors import SntGeoError
from snt_geo.problem_solving.evaluation import InterventionEvaluation, evaluate_intervention
from snt_geo.problem_solving.plans import STAGES
from snt_geo.problem_solving.tracking import REVIEW_INTERVAL_DAYS, PlanTracking, track_plans

__all__ = ["EVALUATION_COLUMNS", "PlanReview", "ReviewMethod", "review_plans"]

#: Columns of :attr:`PlanReview.evaluations`, in order.
EVALUATION_COLUMNS = (
    "plan_id",
    "ward_code",
    "theme",
    "response_id",
    "description",
    "lead",
    "start_on",
    "end_on",
    "implemented_as_planned",
    "before",
    "after",
    "treated_change_pct",
    "placebo_change_pct",
    "placebo_p_value",
    "poisson_p_value",
    "wdq",
    "declined",
    "displaced",
    "verdict",
)


@dataclass(frozen=True, repr=False)
class ReviewMethod(MethodRecord):
    """What :func:`review_plans` did.

    Attributes
    ----------
    period_start, period_end
        The period reviewed (``"YYYY-MM"``); plans are counted as of its last day.
    before_months
        Months before a response's start month used as its "before" period.
    evaluation_rule
        Which responses were evaluated and over which months.
    n_plans, n_evaluated, n_not_evaluated
        Plans read; responses evaluated; responses that ended in the period but could not be
        (their reason is in the ``verdict`` column).
    tracking
        The :class:`~snt_geo.problem_solving.TrackingMethod` of the tracking.
    """

    period_start: str
    period_end: str
    before_months: int
    evaluation_rule: str
    n_plans: int
    n_evaluated: int
    n_not_evaluated: int
    tracking: MethodRecord

    def describe(self) -> str:
        """One paragraph for a method note."""
        return (
            f"Problem solving reviewed for {self.period_start} to {self.period_end}: "
            f"{self.n_plans} plans counted by stage as of the period's end. "
            + self.tracking.describe()
            + f" Evaluations: {self.evaluation_rule}; {self.n_evaluated} evaluated"
            + (f", {self.n_not_evaluated} could not be" if self.n_not_evaluated else "")
            + "."
        )


@dataclass(frozen=True)
class PlanReview:
    """Result of :func:`review_plans`.

    Attributes
    ----------
    by_stage
        One row per ward with a plan, indexed by ``ward_code``: ``borough_code``, plans in each
        stage (``scanning`` ... ``closed``), ``open_plans``, ``mean_days_in_stage``,
        ``overdue_reviews``, all as of the period's last day.
    plans
        One row per plan as of the period's last day (see
        :attr:`snt_geo.problem_solving.PlanTracking.plans`).
    overdue
        The plans with an overdue review, most overdue first.
    evaluations
        One row per response with an area that ended in the period (:data:`EVALUATION_COLUMNS`):
        its plan, ward, theme, dates, the months compared (``before``, ``after``), the treated
        area's change per month (%), the change beyond comparable untouched areas (%) and its
        placebo p-value, the Poisson E-test p-value, the WDQ, ``declined``, ``displaced`` and
        the verdict in words ("not evaluated: ..." when it could not be).
    results
        ``(plan_id, response_id)`` -> the full
        :class:`~snt_geo.problem_solving.InterventionEvaluation` (read-only mapping), e.g. for
        :func:`snt_geo.maps.evaluation_chart.plot_evaluation`.
    tracking
        The monthly :class:`~snt_geo.problem_solving.PlanTracking` over the period.
    method
        :class:`ReviewMethod`.
    """

    by_stage: pd.DataFrame
    plans: pd.DataFrame
    overdue: pd.DataFrame
    evaluations: pd.DataFrame
    results: Mapping[tuple[str, str], InterventionEvaluation]
    tracking: PlanTracking
    method: ReviewMethod

    def to_frame(self) -> pd.DataFrame:
        """Return the ``by_stage`` table with ``attrs["method"]`` set."""
        frame = self.by_stage.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        return (
            f"<p>{html.escape(self.method.describe())}</p>"
            + self.by_stage.to_html()
            + self.evaluations.drop(columns=["verdict"]).to_html()
        )


def _evaluate(plan, response, incidents, wards, before_months):
    """One row of the evaluations table, and the result (None when not evaluated)."""
    first = pd.Period(response.start_on, "M")
    last = pd.Period(response.end_on, "M")
    before = (first - before_months, first - 1)
    after = (first, last)
    row = {
        "plan_id": plan.plan_id,
        "ward_code": plan.ward_code,
        "theme": plan.theme,
        "response_id": response.response_id,
        "description": response.description,
        "lead": response.lead,
        "start_on": pd.Timestamp(response.start_on),
        "end_on": pd.Timestamp(response.end_on),
        "implemented_as_planned": response.implemented_as_planned,
        "before": f"{before[0]}..{before[1]}",
        "after": f"{after[0]}..{after[1]}",
    }
    if incidents is None:
        return {**row, "verdict": "not evaluated: no incidents given"}, None
    try:
        result = evaluate_intervention(
            incidents,
            treated=_series(response.area),
            before=(str(before[0]), str(before[1])),
            after=(str(after[0]), str(after[1])),
            themes=[plan.theme],
            area=wards,
            implemented_as_planned=response.implemented_as_planned,
        )
    except (SntGeoError, ValueError) as err:
        return {**row, "verdict": f"not evaluated: {err}"}, None
    tests = result.tests
    row.update(
        treated_change_pct=result.counts.loc["treated", "change_pct"],
        placebo_change_pct=tests.loc["treated_placebo", "estimate"],
        placebo_p_value=tests.loc["treated_placebo", "p_value"],
        poisson_p_value=tests.loc["treated_poisson", "p_value"],
        wdq=result.wdq.wdq,
        declined=result.declined,
        displaced=result.displaced,
        verdict=result.verdict,
    )
    return row, result


def _series(geom):
    import geopandas as gpd

    return gpd.GeoSeries([geom], crs="EPSG:27700")


def review_plans(
    plans,
    incidents=None,
    *,
    period: Sequence,
    wards=None,
    before_months: int = 6,
    review_interval_days: int = REVIEW_INTERVAL_DAYS,
) -> PlanReview:
    """Plans by stage, overdue reviews and evaluations of the responses that ended in a period.

    Parameters
    ----------
    plans
        A :class:`~snt_geo.problem_solving.Register` or a sequence of plans.
    incidents
        Incidents (:func:`snt_geo.io.read_police_uk`) covering the responses' before and after
        months. Default None: nothing is evaluated (the rows say so).
    period
        ``(first month, last month)`` reviewed, e.g. the assessment period.
    wards
        Wards (index ward code, ``borough_code``): the borough of each plan, and the study
        area of the evaluations (their control and placebo areas stay inside the wards).
        Default None: boroughs unknown, the study area is all of ``incidents``.
    before_months
        Months before a response's start month compared with it (default 6).
    review_interval_days
        As in :func:`~snt_geo.problem_solving.track_plans` (default 42).

    Returns
    -------
    PlanReview

    Notes
    -----
    A response is evaluated when it has an area and an end date inside the period: its months
    from the start month to the end month ("after") against the ``before_months`` months before
    the start month, counting the plan's theme, with the automatic buffer and control of
    :func:`~snt_geo.problem_solving.evaluate_intervention` inside ``wards`` and the
    implementation recorded on the response. Warnings of the evaluations (e.g. few comparable
    areas) are issued as they come; the verdicts repeat them.
    """
    before_months = check_whole("before_months", before_months, minimum=1)
    if isinstance(period, str) or not isinstance(period, Sequence) or len(period) != 2:
        raise ValueError(
            f"`period` must be a (first month, last month) pair, e.g. ('2024-01', '2024-12'); "
            f"got {period!r}."
        )
    start = parse_month(period[0], argument="period")
    end = parse_month(period[1], argument="period")
    loaded = plans.load_plans() if hasattr(plans, "load_plans") else list(plans)
    tracking = track_plans(
        loaded,
        months=(str(start), str(end)),
        wards=wards,
        review_interval_days=review_interval_days,
    )
    last = tracking.wards.xs(end, level="month") if len(tracking.wards) else tracking.wards
    columns = [*STAGES, "open_plans", "mean_days_in_stage", "overdue_reviews"]
    by_stage = pd.DataFrame(last[columns]) if len(last) else pd.DataFrame(columns=columns)
    boroughs = tracking.plans.groupby("ward_code")["borough_code"].first()
    by_stage.insert(0, "borough_code", boroughs.reindex(by_stage.index))
    by_stage.index.name = "ward_code"

    rows, results = [], {}
    first_day, last_day = start.start_time.date(), end.end_time.date()
    for plan in loaded:
        for response in plan.responses:
            if response.area is None or response.end_on is None or response.start_on is None:
                continue
            if not first_day <= response.end_on <= last_day:
                continue
            row, result = _evaluate(plan, response, incidents, wards, before_months)
            rows.append(row)
            if result is not None:
                results[(plan.plan_id, response.response_id)] = result
    evaluations = pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS))
    method = ReviewMethod(
        period_start=str(start),
        period_end=str(end),
        before_months=before_months,
        evaluation_rule=(
            "every response with an area that ended in the period, its start month to its end "
            f"month against the {before_months} months before it started, the plan's theme"
        ),
        n_plans=len(loaded),
        n_evaluated=len(results),
        n_not_evaluated=len(rows) - len(results),
        tracking=tracking.method,
    )
    return PlanReview(
        by_stage=by_stage,
        plans=tracking.plans,
        overdue=tracking.overdue,
        evaluations=evaluations,
        results=MappingProxyType(results),
        tracking=tracking,
        method=method,
    )
