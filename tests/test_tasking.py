"""snt_geo.tasking: the assessment's tables and records, and the page rendered from it.

One assessment of the bundled City of London sample per module, reused by every test.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from snt_geo.datasets import load_sample
from snt_geo.maps import BRIEFING_STEPS, Briefing, render_briefing, tasking_briefing
from snt_geo.tasking import TASKING_STEPS, TaskingAssessment, TaskingMethod, tasking_assessment

PERIOD = ("2023-01", "2023-06")


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def options(sample):
    return {
        "demographics": sample.demographics,
        "estates": sample.estates,
        "priorities": sample.priorities,
        "period": PERIOD,
        "permutations": 99,
        "rng": 7,
    }


@pytest.fixture(scope="module")
def assessed(sample, options):
    steps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assessment = tasking_assessment(
            sample.wards,
            sample.incidents,
            progress=lambda step, done, total: steps.append((step, done, total)),
            **options,
        )
    return assessment, steps


def test_returns_every_table_the_briefing_renders(assessed, sample):
    a, _ = assessed
    assert isinstance(a, TaskingAssessment)
    assert list(a.profile.wards.index) == list(sample.wards.index)
    assert len(a.profile.key_locations) and len(a.profile.monthly)
    for name in ("evidence", "priorities", "changes", "clusters", "cross_border", "links"):
        table = getattr(a, name)
        assert isinstance(table, pd.DataFrame) and len(table) > 0, name
    assert set(a.hotspots) == {"street_crime", "asb"} == set(a.cluster_labels)
    assert len(a.shared.themes) and len(a.shared.groups)
    assert a.link_estates is not None and set(a.link_estates.index) == set(sample.estates.index)
    assert a.estates.crs.to_epsg() == 27700 and a.wards.crs.to_epsg() == 27700
    # The priorities shown are the register's active rows, in ward order.
    reg = sample.priorities
    active = reg[reg["status"].astype("string").str.lower() == "active"]
    assert len(a.priorities) == len(active) and a.priorities_source == "register"
    assert {"ward_name", "data_rank", "count", "reason"} <= set(a.priorities.columns)
    # Every cluster row belongs to a labelled cluster of its theme.
    for theme, labels in a.cluster_labels.items():
        n = int(labels.max() + 1) if len(labels) else 0
        assert (a.clusters["theme"] == theme).sum() == n


def test_changes_q_values_are_benjamini_hochberg(assessed):
    a, _ = assessed
    ch = a.changes
    p = ch["p_value"].to_numpy(float)
    # Brute force BH: q_(i) = min over j >= i of p_(j) m / j, capped at 1.
    order = np.argsort(p)
    m = len(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum(1, np.minimum.accumulate(ranked[::-1])[::-1])
    expected = np.empty(m)
    expected[order] = q
    np.testing.assert_allclose(ch["q_value"].to_numpy(float), expected, rtol=1e-12)
    assert (ch["significant"] == (ch["q_value"] < a.method.alpha)).all()


def test_min_incidents_choice_is_recorded_and_follows_the_rule(assessed):
    a, _ = assessed
    m = a.method
    area_m2 = float(a.wards.geometry.area.sum())
    start, end = a.period
    for theme, labels in a.cluster_labels.items():
        n = len(labels)
        expected = n * math.pi * m.cluster_distance_m**2 / area_m2
        assert m.cluster_min_incidents[theme] == max(5, math.ceil(2 * expected))
        assert m.cluster_min_incidents_rule[theme].startswith("automatic: 2 x")
    assert (start, end) == (pd.Period(PERIOD[0], "M"), pd.Period(PERIOD[1], "M"))
    p = a.parameters
    rows = p[(p["step"] == "clusters: street_crime") & (p["parameter"] == "min_incidents")]
    assert rows["value"].tolist() == [str(m.cluster_min_incidents["street_crime"])]


def test_method_record_to_dict_describe_and_reprs(assessed):
    a, _ = assessed
    m = a.method
    assert isinstance(m, TaskingMethod)
    d = m.to_dict()
    assert d["period_start"] == "2023-01" and d["hotspot_themes"] == ("street_crime", "asb")
    assert d["cluster_min_incidents"] == dict(m.cluster_min_incidents)
    assert "hotspots: street_crime" in d["steps"]
    assert d["steps"]["hotspots: street_crime"]["cell_size_m"] > 0
    text = m.describe()
    assert "Getis-Ord Gi*" in text and "DBSCAN" in text and "co-location quotient" in text
    assert "TaskingMethod(period=2023-01..2023-06" in repr(m)
    assert repr(a).startswith("TaskingAssessment(2023-01..2023-06")
    assert "<table>" in a._repr_html_() and "<p>" in m._repr_html_()
    assert len(a.summary().splitlines()) == 3


def test_results_are_frozen(assessed):
    a, _ = assessed
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.priorities = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.method.alpha = 0.5
    with pytest.raises(TypeError):
        a.hotspots["new"] = None
    with pytest.raises(TypeError):
        a.method.cluster_min_incidents["street_crime"] = 1


def test_progress_reports_the_assessment_steps(assessed):
    _, steps = assessed
    total = len(TASKING_STEPS)
    assert steps == [(s, i, total) for i, s in enumerate(TASKING_STEPS)] + [("done", total, total)]
    assert BRIEFING_STEPS[: len(TASKING_STEPS)] == TASKING_STEPS


def test_rendering_gives_the_same_bytes_as_the_one_call_briefing(assessed, sample, options):
    a, _ = assessed
    rendered = render_briefing(a, sample_caveat=True)
    assert isinstance(rendered, Briefing)
    assert render_briefing(a, sample_caveat=True).html == rendered.html  # deterministic ids
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        one_call = tasking_briefing(sample.wards, sample.incidents, sample_caveat=True, **options)
    assert one_call.html == rendered.html
    assert rendered.assessment is a and rendered.priorities is a.priorities
    # The page's parameter table is the assessment's rows, then the map's.
    n = len(a.parameters)
    pd.testing.assert_frame_equal(rendered.parameters.iloc[:n], a.parameters)
    assert set(rendered.parameters["step"].iloc[n:]) == {"map"}


def test_briefing_is_frozen(assessed):
    a, _ = assessed
    b = render_briefing(a)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.html = ""


def test_render_refuses_anything_but_an_assessment(sample):
    with pytest.raises(TypeError, match="`assessment` must be a TaskingAssessment"):
        render_briefing(sample.wards)


def test_bad_options_name_the_argument(sample):
    with pytest.raises(ValueError, match="`hotspot_themes` must name themes"):
        tasking_assessment(sample.wards, sample.incidents, hotspot_themes=("nope",))
    with pytest.raises(ValueError, match="`cluster_distance_m` must be a positive number"):
        tasking_assessment(sample.wards, sample.incidents, cluster_distance_m=-5)
    with pytest.raises(ValueError, match="`alpha` must be between 0 and 1; got 2"):
        tasking_assessment(sample.wards, sample.incidents, alpha=2)
    with pytest.raises(TypeError, match="`priorities` must be a register DataFrame"):
        tasking_assessment(sample.wards, sample.incidents, priorities=3)


def test_without_estates_the_links_are_recorded_as_not_run(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a = tasking_assessment(sample.wards, sample.incidents, period=PERIOD, permutations=9)
    assert a.links is None and a.link_estates is None
    assert a.method.links_not_run == "no estates layer given"
    assert a.priorities_source == "suggested"


def test_ward_clusters_are_local_moran_of_the_smoothed_rates(assessed):
    from snt_geo.linkage import find_ward_clusters

    a, _ = assessed
    wc = a.ward_clusters
    assert wc is not None and set(wc["theme"]) == set(a.hotspot_themes)
    for theme in a.hotspot_themes:
        part = wc[wc["theme"] == theme].set_index("ward_code")
        rates = a.profile.wards[f"{theme}_eb_rate_per_1000"]
        # The same seed (rng=7) and permutations as the assessment: identical draws.
        ref = find_ward_clusters(a.wards, values=rates, permutations=99, rng=7)
        np.testing.assert_allclose(part["local_i"], ref["local_i"].to_numpy())
        np.testing.assert_array_equal(part["p_value"], ref["p_value"].to_numpy())
        assert list(part["cluster_class"].astype(str)) == list(ref["cluster_class"].astype(str))
        assert f"ward clusters: {theme}" in a.method.steps
    html = render_briefing(a).html
    assert 'id="ward-clusters"' in html and "Wards whose rates cluster" in html


def test_docstring_example_runs_as_a_doctest():
    import doctest

    import snt_geo.tasking.assessment as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def test_the_one_call_briefing_takes_every_assessment_option():
    import inspect

    assessment = inspect.signature(tasking_assessment).parameters
    briefing = inspect.signature(tasking_briefing).parameters
    assert set(assessment) <= set(briefing)
    for name, p in assessment.items():
        assert briefing[name].default == p.default, name
        assert briefing[name].kind == p.kind, name
