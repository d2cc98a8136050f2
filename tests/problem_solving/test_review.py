"""review_plans: section 1 of the briefing, on real burglary and a planted response."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

from snt_geo.io import read_police_uk
from snt_geo.problem_solving import (
    CHEERS,
    EVALUATION_COLUMNS,
    Response,
    create_register,
    evaluate_intervention,
    new_plan,
    review_plans,
)

AREA = shapely.box(528000, 180000, 530000, 182000)


@pytest.fixture(scope="module")
def planted(shared_data):
    """Met burglary with 40% of the area's August-January incidents removed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        incidents = read_police_uk(
            shared_data / "police-uk-metropolitan-street-burglary-only",
            months=pd.period_range("2024-01", "2025-02", freq="M"),
        )
    after = incidents["month"].astype(str).between("2024-08", "2025-01").to_numpy()
    cand = np.flatnonzero(incidents.within(AREA).to_numpy() & after)
    drop = np.random.default_rng(0).choice(cand, int(round(0.4 * len(cand))), replace=False)
    return incidents.drop(index=incidents.index[drop])


def _plans():
    def plan(pid, ward, response_end):
        p = new_plan(
            pid,
            ward_code=ward,
            theme="burglary",
            problem_statement="burglary",
            opened_on="2024-06-03",
        )
        p = dataclasses.replace(p, **{c: "x" for c in CHEERS}).advance("analysis", on="2024-06-10")
        p = dataclasses.replace(p, analysis_notes="n", objective="o").with_review(
            due_on="2024-09-01"
        )
        p = p.with_response(
            Response(
                "R1",
                "locks and patrols",
                "target hardening",
                "police",
                start_on="2024-08-01",
                end_on=response_end,
                implemented_as_planned=True,
                area=AREA,
            )
        )
        return p.advance("response", on="2024-07-15")

    return [plan("P1", "W1", "2025-01-31"), plan("P2", "W2", "2024-09-30")]


def test_review_evaluates_responses_that_ended_in_the_period(tmp_path, planted):
    path = tmp_path / "r.gpkg"
    with create_register(path) as reg:
        for p in _plans():
            reg.add_plan(p, who="t")
        review = review_plans(reg, planted, period=("2024-11", "2025-01"))
    ev = review.evaluations
    assert list(ev.columns) == list(EVALUATION_COLUMNS)
    assert list(ev["plan_id"]) == ["P1"]  # P2's response ended before the period
    row = ev.iloc[0]
    assert (row["before"], row["after"]) == ("2024-02..2024-07", "2024-08..2025-01")
    assert (
        bool(row["declined"])
        and "Implemented as planned and the problem declined" in row["verdict"]
    )
    direct = evaluate_intervention(
        planted,
        treated=review.results[("P1", "R1")].areas.loc[["treated"]].geometry,
        before=("2024-02", "2024-07"),
        after=("2024-08", "2025-01"),
        themes=["burglary"],
    )
    assert row["placebo_p_value"] == direct.tests.loc["treated_placebo", "p_value"]
    # Both plans in 'response' at 2025-01-31; review due 2024-09-01 never held: overdue.
    assert review.by_stage.loc["W1", "response"] == 1
    assert review.by_stage["overdue_reviews"].sum() == 2
    assert set(review.overdue.index) == {"P1", "P2"}
    assert "Evaluations" in review.method.describe()


def test_without_incidents_nothing_is_evaluated():
    review = review_plans(_plans(), period=("2024-11", "2025-01"))
    assert review.evaluations["verdict"].iloc[0] == "not evaluated: no incidents given"
    assert review.method.n_not_evaluated == 1


def test_briefing_section_one_shows_the_review(tmp_path):
    """tasking_briefing(register=path): the three tables in section 1."""
    from html.parser import HTMLParser

    from snt_geo.datasets import load_sample
    from snt_geo.maps import render_briefing, tasking_briefing

    sample = load_sample()
    centre = sample.wards.loc["E05000001"].geometry.centroid
    plan = new_plan(
        "ALD-1", ward_code="E05000001", theme="asb", problem_statement="ASB", opened_on="2023-01-05"
    )
    plan = dataclasses.replace(plan, **{c: "x" for c in CHEERS}).advance(
        "analysis", on="2023-01-20"
    )
    plan = dataclasses.replace(plan, analysis_notes="n", objective="o").with_review(
        due_on="2023-03-01"
    )
    plan = plan.with_response(
        Response(
            "R1",
            "patrols",
            "enforcement",
            "police",
            start_on="2023-02-01",
            end_on="2023-05-31",
            area=centre.buffer(150),
        )
    ).advance("response", on="2023-02-01")
    path = tmp_path / "city.gpkg"
    with create_register(path) as reg:
        reg.add_plan(plan, who="t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        briefing = tasking_briefing(
            sample.wards,
            sample.incidents,
            priorities=sample.priorities,
            period=("2023-01", "2023-06"),
            permutations=99,
            rng=1,
            register=path,
        )
    assessment = briefing.assessment
    review = assessment.problem_solving
    assert len(review.evaluations) == 1 and review.method.n_evaluated == 1
    assert "Problem-solving plans: 1, 1 with an overdue review" in assessment.summary()

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.table, self.rows, self.cells = None, {}, {}

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.table = dict(attrs).get("id")
            elif tag == "tr" and self.table:
                self.rows[self.table] = self.rows.get(self.table, 0) + 1

        def handle_data(self, data):
            if self.table:
                self.cells.setdefault(self.table, []).append(data)

        def handle_endtag(self, tag):
            if tag == "table":
                self.table = None

    parser = Rows()
    assert render_briefing(assessment).html == briefing.html
    parser.feed(briefing.html)
    # Header row + one row each.
    assert parser.rows["plans-by-stage"] == 2
    assert parser.rows["overdue-reviews"] == 2
    assert parser.rows["evaluations"] == 2
    assert "Aldersgate" in parser.cells["plans-by-stage"]
    assert "review date passed, no review held" in parser.cells["overdue-reviews"]
    # 2023-03-01 -> 2023-06-30: 121 days overdue.
    assert "121" in parser.cells["overdue-reviews"]
    without = dataclasses.replace(assessment, problem_solving=None)
    assert without.problem_solving is None
    assert 'id="plans-by-stage"' not in render_briefing(without).html
