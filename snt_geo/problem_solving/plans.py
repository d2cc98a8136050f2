"""Problem-solving plans: the Form 302 record, following SARA.

SARA: Scanning, Analysis, Response, Assessment.

A :class:`Plan` holds, for one ward priority (ward and theme), the problem statement with its
CHEERS elements (Community, Harm, Expectation, Events, Recurring, Similarity), the analysis, the
objective (the O of OSARA), the responses (:class:`Response`: what, type, lead, dates, area),
the review dates (:class:`Review`) and the assessment. Plans are immutable: every change returns
a new plan (``plan.advance("analysis", on=...)``, ``plan.with_response(...)``), so a register
(:mod:`snt_geo.problem_solving.store`) can keep every version.

A plan enters a stage only with that stage's required fields (:data:`REQUIRED_FIELDS`);
:meth:`Plan.advance` refuses otherwise, naming what is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field

import shapely

from snt_geo.errors import SntGeoError

__all__ = [
    "CHEERS",
    "LEADS",
    "OUTCOMES",
    "PLAN_STATUSES",
    "REQUIRED_FIELDS",
    "STAGES",
    "Plan",
    "Response",
    "Review",
    "StageError",
    "new_plan",
]

#: SARA stages in order; ``closed`` follows the assessment.
STAGES = ("scanning", "analysis", "response", "assessment", "closed")
#: The CHEERS elements of a problem statement (Clarke & Eck 2005).
CHEERS = ("community", "harm", "expectation", "events", "recurring", "similarity")
#: Who leads a response.
LEADS = ("police", "partner", "public")
#: Status of a plan (independent of its stage: a plan may be on hold in any stage).
PLAN_STATUSES = ("open", "on_hold", "closed")
#: Outcome recorded at the assessment.
OUTCOMES = ("resolved", "reduced", "no_change", "worse", "displaced")

#: Fields a plan needs to *enter* each stage (checked cumulatively by :meth:`Plan.advance`).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "scanning": ("plan_id", "ward_code", "theme", "problem_statement"),
    "analysis": CHEERS,
    "response": ("analysis_notes", "objective", "responses", "reviews"),
    "assessment": ("responses_started", "a_response_ended"),
    "closed": ("assessment", "outcome"),
}

_WHAT = {
    "responses": "at least one response (plan.with_response(...))",
    "reviews": "a review date (plan.with_review(due_on=...))",
    "responses_started": "a start date on every response",
    "a_response_ended": "an end date on at least one response",
    "outcome": f"an outcome (one of {list(OUTCOMES)})",
}


class StageError(SntGeoError, ValueError):
    """A plan cannot enter a stage: required fields are missing, or the move is not allowed."""


def _date(name: str, value) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"`{name}` must be a date (datetime.date or 'YYYY-MM-DD'); got {value!r}.")


@dataclass(frozen=True)
class Response:
    """One response (intervention) of a plan.

    Attributes
    ----------
    response_id
        Identifier, unique within the plan.
    description
        What is done.
    type
        Kind of response, e.g. ``"enforcement"``, ``"target hardening"``, ``"environmental"``,
        ``"diversion"``, ``"engagement"`` (free text; tracking counts by it).
    lead
        ``"police"``, ``"partner"`` or ``"public"`` (:data:`LEADS`).
    partner
        The lead organisation when not police (e.g. ``"Barnet Homes"``); may be blank.
    start_on, end_on
        Dates the response started and ended (None until known).
    implemented_as_planned
        Recorded at review (None until then).
    area
        Where it runs: a shapely polygon in EPSG:27700, or None.
    """

    response_id: str
    description: str
    type: str
    lead: str
    partner: str = ""
    start_on: _dt.date | None = None
    end_on: _dt.date | None = None
    implemented_as_planned: bool | None = None
    area: shapely.Geometry | None = None

    def __post_init__(self) -> None:
        """Check ``lead``."""
        if self.lead not in LEADS:
            raise ValueError(f"`lead` must be one of {list(LEADS)}; got {self.lead!r}.")
        for name in ("response_id", "description", "type"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"`{name}` of a response must not be blank.")
        object.__setattr__(self, "start_on", _date("start_on", self.start_on))
        object.__setattr__(self, "end_on", _date("end_on", self.end_on))
        if self.start_on and self.end_on and self.end_on < self.start_on:
            raise ValueError(
                f"`end_on` ({self.end_on}) is before `start_on` ({self.start_on}) in response "
                f"{self.response_id!r}."
            )
        if self.area is not None and not isinstance(self.area, shapely.Geometry):
            raise TypeError(
                f"`area` must be a shapely polygon in EPSG:27700 or None; got "
                f"{type(self.area).__name__}."
            )


@dataclass(frozen=True)
class Review:
    """A review date of a plan: due on ``due_on``; ``held_on`` once the review took place."""

    due_on: _dt.date
    held_on: _dt.date | None = None
    note: str = ""

    def __post_init__(self) -> None:
        """Check the dates."""
        due = _date("due_on", self.due_on)
        if due is None:
            raise ValueError("`due_on` of a review must be a date; got None.")
        object.__setattr__(self, "due_on", due)
        object.__setattr__(self, "held_on", _date("held_on", self.held_on))


@dataclass(frozen=True)
class Plan:
    """A problem-solving plan (Form 302) for one ward priority. See the module docstring.

    Attributes
    ----------
    plan_id, ward_code, theme
        Identifier; the ward and theme key of the priority it answers.
    stage
        One of :data:`STAGES`.
    status
        One of :data:`PLAN_STATUSES`.
    problem_statement, community, harm, expectation, events, recurring, similarity
        The problem and its CHEERS elements (text).
    analysis_notes, objective
        The analysis and the objective of the response.
    responses, reviews
        Tuples of :class:`Response` and :class:`Review`.
    assessment, outcome
        The assessment (text) and its outcome (:data:`OUTCOMES`).
    stage_dates
        ``((stage, date entered), ...)`` in order of entry.
    area
        Where the problem is (shapely polygon, EPSG:27700), or None.
    version
        The register version this plan was read at (0: never stored).
    """

    plan_id: str
    ward_code: str
    theme: str
    stage: str = "scanning"
    status: str = "open"
    problem_statement: str = ""
    community: str = ""
    harm: str = ""
    expectation: str = ""
    events: str = ""
    recurring: str = ""
    similarity: str = ""
    analysis_notes: str = ""
    objective: str = ""
    responses: tuple[Response, ...] = ()
    reviews: tuple[Review, ...] = ()
    assessment: str = ""
    outcome: str | None = None
    stage_dates: tuple[tuple[str, _dt.date], ...] = field(default=())
    area: shapely.Geometry | None = None
    version: int = 0

    def __post_init__(self) -> None:
        """Check the stage, status and outcome; store responses and reviews as tuples."""
        if self.stage not in STAGES:
            raise ValueError(f"`stage` must be one of {list(STAGES)}; got {self.stage!r}.")
        if self.status not in PLAN_STATUSES:
            raise ValueError(f"`status` must be one of {list(PLAN_STATUSES)}; got {self.status!r}.")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"`outcome` must be one of {list(OUTCOMES)}; got {self.outcome!r}.")
        object.__setattr__(self, "responses", tuple(self.responses))
        object.__setattr__(self, "reviews", tuple(self.reviews))
        object.__setattr__(
            self, "stage_dates", tuple((s, _date("stage_dates", d)) for s, d in self.stage_dates)
        )
        ids = [r.response_id for r in self.responses]
        if len(set(ids)) != len(ids):
            raise ValueError(f"response ids must be unique within plan {self.plan_id!r}: {ids}.")

    # ---------------------------------------------------------------- reading

    @property
    def stage_since(self) -> _dt.date | None:
        """Date the current stage was entered."""
        for stage, on in reversed(self.stage_dates):
            if stage == self.stage:
                return on
        return None

    def stage_on(self, day) -> str | None:
        """Return the stage the plan was in on ``day`` (None before it was opened)."""
        day = _date("day", day)
        current = None
        for stage, on in self.stage_dates:
            if on <= day:
                current = stage
        return current

    def missing_for(self, stage: str) -> list[str]:
        """Return the required fields still missing to enter ``stage``.

        Cumulative over earlier stages.
        """
        if stage not in STAGES:
            raise ValueError(f"`stage` must be one of {list(STAGES)}; got {stage!r}.")
        missing = []
        for s in STAGES[: STAGES.index(stage) + 1]:
            for name in REQUIRED_FIELDS[s]:
                if not self._has(name):
                    missing.append(name)
        return missing

    def _has(self, name: str) -> bool:
        if name == "responses_started":
            return bool(self.responses) and all(r.start_on for r in self.responses)
        if name == "a_response_ended":
            return any(r.end_on for r in self.responses)
        value = getattr(self, name)
        if isinstance(value, str):
            return bool(value.strip())
        return bool(value)

    # ---------------------------------------------------------------- changing

    def advance(self, stage: str, *, on) -> Plan:
        """Return the plan moved to ``stage`` on date ``on``.

        Forward moves go one stage at a time and need every required field up to ``stage``
        (:data:`REQUIRED_FIELDS`); moving back (SARA loops back to analysis when a response
        fails) is always allowed.

        Raises
        ------
        StageError
            Naming the plan, the stage, and each missing field with how to fill it.
        """
        on = _date("on", on)
        if stage not in STAGES:
            raise ValueError(f"`stage` must be one of {list(STAGES)}; got {stage!r}.")
        here, there = STAGES.index(self.stage), STAGES.index(stage)
        if there > here + 1:
            raise StageError(
                f"plan {self.plan_id!r} is in {self.stage!r} and cannot skip to {stage!r}; "
                f"advance to {STAGES[here + 1]!r} first."
            )
        if there > here:
            missing = self.missing_for(stage)
            if missing:
                shown = ", ".join(_WHAT.get(m, f"`{m}`") for m in missing)
                raise StageError(
                    f"plan {self.plan_id!r} cannot enter {stage!r}: missing {shown}. Fill them "
                    "with dataclasses.replace(plan, ...) (or with_response / with_review) first."
                )
        if self.stage_since is not None and on < self.stage_since:
            raise StageError(
                f"plan {self.plan_id!r} entered {self.stage!r} on {self.stage_since}; `on` "
                f"({on}) cannot be earlier."
            )
        status = (
            "closed" if stage == "closed" else ("open" if self.status == "closed" else self.status)
        )
        return dataclasses.replace(
            self, stage=stage, status=status, stage_dates=(*self.stage_dates, (stage, on))
        )

    def with_response(self, response: Response) -> Plan:
        """Return the plan with ``response`` added, or replacing the one with the same id."""
        kept = tuple(r for r in self.responses if r.response_id != response.response_id)
        return dataclasses.replace(self, responses=(*kept, response))

    def with_review(self, *, due_on, held_on=None, note: str = "") -> Plan:
        """Return the plan with a review due on ``due_on`` (held on ``held_on``, if given).

        A review already due on that date is replaced (so recording the meeting is
        ``plan.with_review(due_on=d, held_on=meeting_date, note=...)``).
        """
        review = Review(due_on, held_on, note)
        kept = tuple(r for r in self.reviews if r.due_on != review.due_on)
        return dataclasses.replace(
            self, reviews=tuple(sorted((*kept, review), key=lambda r: r.due_on))
        )


def new_plan(
    plan_id: str, *, ward_code: str, theme: str, problem_statement: str, opened_on, **fields
) -> Plan:
    """Open a plan in the scanning stage, opened on ``opened_on``.

    Raises
    ------
    StageError
        When ``plan_id``, ``ward_code``, ``theme`` or ``problem_statement`` is blank.
    """
    opened = _date("opened_on", opened_on)
    if opened is None:
        raise ValueError("`opened_on` must be a date (datetime.date or 'YYYY-MM-DD'); got None.")
    plan = Plan(
        plan_id=plan_id,
        ward_code=ward_code,
        theme=theme,
        problem_statement=problem_statement,
        stage_dates=(("scanning", opened),),
        **fields,
    )
    missing = plan.missing_for("scanning")
    if missing:
        raise StageError(f"a new plan needs {', '.join(f'`{m}`' for m in missing)}; got blanks.")
    return plan
