"""Shared plans for the problem-solving tests."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from snt_geo.problem_solving import CHEERS, Plan, Response, new_plan


def make_plan(plan_id: str = "BAR-01", *, ward_code: str = "E05013637") -> Plan:
    """A plan taken through every stage: opened 2024-01-08, closed 2024-07-01."""
    plan = new_plan(
        plan_id,
        ward_code=ward_code,
        theme="burglary",
        problem_statement="Night-time burglary of flats on the Dollis estate",
        opened_on="2024-01-08",
    )
    plan = dataclasses.replace(plan, **{c: f"{c} text" for c in CHEERS})
    plan = plan.advance("analysis", on="2024-01-22")
    plan = dataclasses.replace(plan, analysis_notes="Entry via rear doors", objective="-30%")
    plan = plan.with_response(
        Response(
            "R1",
            "Door locks fitted",
            "target hardening",
            "partner",
            partner="Barnet Homes",
            area=shapely.box(523000, 190000, 524000, 191000),
        )
    ).with_review(due_on="2024-03-15")
    plan = plan.advance("response", on="2024-02-05")
    plan = plan.with_response(
        dataclasses.replace(plan.responses[0], start_on="2024-02-10", end_on="2024-05-31")
    )
    plan = plan.advance("assessment", on="2024-06-10")
    plan = dataclasses.replace(plan, assessment="Burglary fell 35%", outcome="reduced")
    return plan.advance("closed", on="2024-07-01")


@pytest.fixture
def full_plan() -> Plan:
    return make_plan()


@pytest.fixture
def plan_factory():
    """:func:`make_plan`, for tests that need several plans."""
    return make_plan
