"""Plans: stage transitions refuse missing fields with a clear message."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from snt_geo.problem_solving import CHEERS, Plan, Response, StageError, new_plan


def _scanning() -> Plan:
    return new_plan(
        "BAR-01",
        ward_code="E05013637",
        theme="burglary",
        problem_statement="Night-time burglary of flats on the Dollis estate",
        opened_on="2024-01-08",
    )


def test_a_full_plan_moves_through_every_stage(full_plan):
    plan = full_plan
    assert plan.stage == "closed"
    assert plan.status == "closed"
    assert [s for s, _ in plan.stage_dates] == [
        "scanning",
        "analysis",
        "response",
        "assessment",
        "closed",
    ]
    assert plan.stage_on(dt.date(2024, 3, 1)) == "response"
    assert plan.stage_on(dt.date(2023, 12, 1)) is None
    assert plan.stage_since == dt.date(2024, 7, 1)


def test_entering_analysis_needs_cheers():
    plan = dataclasses.replace(_scanning(), community="residents of Dollis estate")
    with pytest.raises(StageError, match="'BAR-01' cannot enter 'analysis': missing `harm`"):
        plan.advance("analysis", on="2024-01-22")
    assert plan.missing_for("analysis") == list(CHEERS[1:])


def test_entering_response_needs_a_response_and_a_review():
    plan = dataclasses.replace(_scanning(), **{c: "x" for c in CHEERS}).advance(
        "analysis", on="2024-01-22"
    )
    plan = dataclasses.replace(plan, analysis_notes="notes", objective="fewer")
    with pytest.raises(StageError, match="at least one response .*a review date"):
        plan.advance("response", on="2024-02-01")


def test_no_skipping_and_no_going_back_in_time():
    plan = _scanning()
    with pytest.raises(StageError, match="cannot skip to 'response'"):
        plan.advance("response", on="2024-02-01")
    with pytest.raises(StageError, match="cannot be earlier"):
        dataclasses.replace(plan, **{c: "x" for c in CHEERS}).advance("analysis", on="2023-01-01")


def test_moving_back_is_allowed_and_recorded(full_plan):
    plan = full_plan
    reopened = plan.advance("analysis", on="2024-08-01")
    assert reopened.stage == "analysis"
    assert reopened.status == "open"
    assert reopened.stage_since == dt.date(2024, 8, 1)


def test_bad_values_name_the_argument():
    with pytest.raises(ValueError, match="`lead` must be one of"):
        Response("R1", "x", "enforcement", "council")
    with pytest.raises(ValueError, match="`end_on` \\(2024-01-01\\) is before `start_on`"):
        Response("R1", "x", "enforcement", "police", start_on="2024-02-01", end_on="2024-01-01")
    with pytest.raises(ValueError, match="`stage` must be one of"):
        dataclasses.replace(_scanning(), stage="planning")
    with pytest.raises(StageError, match="a new plan needs `problem_statement`"):
        new_plan("X", ward_code="E1", theme="asb", problem_statement=" ", opened_on="2024-01-01")
    with pytest.raises(ValueError, match="`due_on` must be a date"):
        _scanning().with_review(due_on="soon")
