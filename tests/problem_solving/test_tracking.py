"""Tracking against dates computed by hand, on a register written for the test."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from snt_geo.problem_solving import CHEERS, create_register, new_plan, track_plans

AS_OF = "2024-05-10"


@pytest.fixture
def register(tmp_path, plan_factory):
    def opened(plan_id, ward, on):
        return new_plan(
            plan_id, ward_code=ward, theme="asb", problem_statement="youths gathering", opened_on=on
        )

    # P-A: response since 2024-02-05; review 03-15 held, review 04-26 not held.
    a = dataclasses.replace(opened("P-A", "W1", "2024-01-08"), **{c: "x" for c in CHEERS})
    a = a.advance("analysis", on="2024-01-22")
    a = dataclasses.replace(a, analysis_notes="n", objective="o")
    from snt_geo.problem_solving import Response

    a = a.with_response(Response("R1", "patrols", "enforcement", "police", start_on="2024-02-06"))
    a = a.with_review(due_on="2024-03-15", held_on="2024-03-15").with_review(due_on="2024-04-26")
    a = a.advance("response", on="2024-02-05")
    # P-B: scanning since 2024-03-01, never reviewed.
    b = opened("P-B", "W1", "2024-03-01")
    # P-C: the conftest plan (response 02-05, assessment 06-10, closed 07-01 'reduced'; review
    # due 03-15 never held), in ward W2.
    c = plan_factory("P-C", ward_code="W2")
    # P-D: scanning since 2024-04-20, review due 2024-05-31.
    d = opened("P-D", "W2", "2024-04-20").with_review(due_on="2024-05-31")
    path = tmp_path / "tracking.gpkg"
    with create_register(path) as reg:
        for plan in (a, b, c, d):
            reg.add_plan(plan, who="test")
    return path


def test_days_in_stage_and_overdue_as_of_a_day(register):
    from snt_geo.problem_solving import open_register

    with open_register(register) as reg:
        t = track_plans(reg, months=("2024-01", "2024-07"), as_of=AS_OF)
    p = t.plans
    # 2024-02-05 -> 2024-05-10: 24 (Feb, leap year) + 31 + 30 + 10 = 95 days.
    assert p.loc["P-A", "days_in_stage"] == 95
    assert p.loc["P-C", "days_in_stage"] == 95
    assert p.loc["P-B", "days_in_stage"] == 70  # 2024-03-01 -> 05-10: 31 + 30 + 9
    assert p.loc["P-D", "days_in_stage"] == 20
    # Overdue: P-A's 04-26 review passed (14 days); P-C's 03-15 review passed (56 days);
    # P-B opened 70 days ago with no review: 70 - 42 = 28 days over the interval.
    assert p["overdue"].to_dict() == {"P-A": True, "P-B": True, "P-C": True, "P-D": False}
    assert p.loc["P-A", "days_overdue"] == 14
    assert p.loc["P-C", "days_overdue"] == 56
    assert p.loc["P-B", "days_overdue"] == 28
    assert p.loc["P-B", "overdue_reason"].startswith("no review held or scheduled")
    assert p.loc["P-A", "overdue_reason"].startswith("review date passed")
    assert list(t.overdue.index) == ["P-C", "P-B", "P-A"]
    assert p.loc["P-A", "last_review_held"] == pd.Timestamp("2024-03-15")
    assert p.loc["P-D", "next_review_due"] == pd.Timestamp("2024-05-31")


def test_monthly_panels_per_ward_and_borough(register):
    from snt_geo.problem_solving import open_register

    wards = gpd.GeoDataFrame(
        {"borough_code": ["E09000003", "E09000003"]},
        geometry=[shapely.box(0, 0, 1, 1)] * 2,
        index=pd.Index(["W1", "W2"], name="ward_code"),
        crs="EPSG:27700",
    )
    with open_register(register) as reg:
        t = track_plans(reg, months=("2024-01", "2024-07"), wards=wards)
    april = pd.Period("2024-04", "M")
    w1 = t.wards.loc[("W1", april)]
    assert (w1["scanning"], w1["response"], w1["open_plans"]) == (1, 1, 2)
    # Days in stage at 2024-04-30: P-A 85 (02-05), P-B 60 (03-01): mean 72.5.
    assert w1["mean_days_in_stage"] == 72.5
    assert w1["overdue_reviews"] == 2
    assert w1["responses_police"] == 1
    w2 = t.wards.loc[("W2", april)]
    assert w2["mean_days_in_stage"] == (85 + 10) / 2
    assert (w2["overdue_reviews"], w2["responses_partner"]) == (1, 1)
    # P-C closed on 2024-07-01 with outcome 'reduced'; its partner response ended 05-31.
    july = t.wards.loc[("W2", pd.Period("2024-07", "M"))]
    assert (july["closed"], july["closed_reduced"], july["responses_partner"]) == (1, 1, 0)
    assert t.wards.loc[("W2", pd.Period("2024-06", "M")), "closed_reduced"] == 0
    b = t.boroughs.loc[("E09000003", april)]
    assert b["overdue_reviews"] == 3
    assert b["open_plans"] == 4
    assert b["mean_days_in_stage"] == (85 + 60 + 85 + 10) / 4
    # January: only P-A (opened 01-08, analysis 01-22) and P-C exist.
    jan = t.boroughs.loc[("E09000003", pd.Period("2024-01", "M"))]
    assert (jan["analysis"], jan["open_plans"]) == (2, 2)
    assert "overdue" in t.method.describe()
    assert t.to_frame().attrs["method"] is t.method


def test_bad_arguments(register):
    with pytest.raises(ValueError, match="`months` must be a \\(first month, last month\\)"):
        track_plans([], months="2024-01")
    with pytest.raises(ValueError, match="`review_interval_days` must be a whole number"):
        track_plans([], months=("2024-01", "2024-02"), review_interval_days=0)
    with pytest.raises(TypeError, match="`plans` must be a Register or Plans"):
        track_plans(["P-A"], months=("2024-01", "2024-02"))


def test_ward_page_shows_the_tracking(register):
    import warnings

    from snt_geo.datasets import load_sample
    from snt_geo.maps.ward_page import render_ward_page
    from snt_geo.problem_solving import open_register
    from snt_geo.profile import ward_profile

    sample = load_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        profile = ward_profile(sample.wards, sample.incidents, period=("2023-01", "2023-06"))
    with open_register(register) as reg:
        plans = reg.load_plans()
    # Put plan P-A in a City ward, with a hostile id: it must show as text.
    evil = "<script>window.__x=1</script>"
    plans = [
        dataclasses.replace(p, ward_code="E05000001", plan_id=evil) if p.plan_id == "P-A" else p
        for p in plans
    ]
    tracking = track_plans(plans, months=("2024-01", "2024-07"), as_of=AS_OF)
    page = render_ward_page(profile, "E05000001", tracking=tracking).html
    assert 'id="ward-plans"' in page and 'id="ward-tracking"' in page
    assert evil not in page and "&lt;script&gt;window.__x=1&lt;/script&gt;" in page
    section = page[page.index('id="ward-plans"') :]
    assert "<td>95</td>" in section  # P-A: 95 days in 'response' on 2024-05-10
    assert "review date passed, no review held" in section
    monthly = page[page.index('id="ward-tracking"') :]
    assert monthly.count("<tr>") == 1 + 7  # header + January..July 2024
    other = render_ward_page(profile, "E05000002", tracking=tracking).html
    assert "No problem-solving plans for this ward." in other
    assert "Problem solving" not in render_ward_page(profile, "E05000001").html
