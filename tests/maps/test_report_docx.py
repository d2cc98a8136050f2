"""Tests for snt_geo.maps.report_docx: the assessment as a Word document, read back cell by cell."""

from __future__ import annotations

import pandas as pd
import pytest

docx = pytest.importorskip("docx")

from docx.table import Table  # noqa: E402
from docx.text.paragraph import Paragraph  # noqa: E402

from snt_geo._format import (  # noqa: E402
    format_change,
    format_count,
    format_pvalue,
    format_rate,
    format_value,
)
from snt_geo._labels import theme_label  # noqa: E402
from snt_geo.datasets import load_sample  # noqa: E402
from snt_geo.maps._briefing_page import _trend_words  # noqa: E402
from snt_geo.maps.report_docx import DOCX_TABLES, docx_tables, save_docx  # noqa: E402
from snt_geo.profile.exceptions import find_exceptions  # noqa: E402
from snt_geo.profile.repeats import find_repeat_locations  # noqa: E402


@pytest.fixture(scope="module")
def inputs(sample_assessment):
    sample = load_sample()
    exceptions = find_exceptions(sample.incidents, sample.wards, alpha=0.2)
    recent = sample.incidents[sample.incidents["month"] >= pd.Period("2023-01", "M")]
    repeats = find_repeat_locations(recent, sample.wards, top=10)
    return sample_assessment, exceptions, repeats


@pytest.fixture(scope="module")
def document(inputs, tmp_path_factory):
    assessment, exceptions, repeats = inputs
    path = tmp_path_factory.mktemp("docx") / "assessment.docx"
    save_docx(assessment, path, exceptions=exceptions, repeats=repeats)
    return docx.Document(str(path))


def _titled_tables(document) -> dict[str, list[list[str]]]:
    """Heading-2 title -> the table after it, as rows of cell text (body order)."""
    out, title = {}, None
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            if para.style.name == "Heading 2":
                title = para.text
        elif tag == "tbl":
            table = Table(child, document)
            out[title] = [[cell.text for cell in row.cells] for row in table.rows]
    return out


def test_priorities_table_equals_the_assessment_cell_for_cell(inputs, document):
    assessment = inputs[0]
    rows = _titled_tables(document)["Table 1. Priorities and their evidence"]
    assert rows[0] == [
        "Ward",
        "Theme",
        "Status",
        "Rank by evidence",
        "Incidents",
        "Rate per 1,000",
        "LQ",
        "Trend",
    ]
    p = assessment.priorities
    want = [
        [
            str(r.ward_name),
            theme_label(r.theme, assessment.themes),
            format_value(r.status),
            format_count(r.data_rank),
            format_count(r.count),
            format_rate(r.rate_per_1000),
            format_rate(r.lq, digits=2),
            words,
        ]
        for r, words in zip(p.itertuples(), _trend_words(assessment), strict=True)
    ]
    assert rows[1:] == want
    # Trend words never stronger than the test: no bare "rising" / "falling".
    assert not {row[7] for row in rows[1:]} & {"rising", "falling"}
    assert len(rows) - 1 == len(p) > 50


def test_changes_exceptions_estates_and_parameters_equal_their_sources(inputs, document):
    assessment, exceptions, repeats = inputs
    tables = _titled_tables(document)
    params = tables["Table A1. Every parameter and automatic choice"]
    want = assessment.parameters[["step", "parameter", "value"]].astype(str).values.tolist()
    assert params[1:] == want

    flagged = exceptions.flagged.reset_index()
    assert len(flagged) >= 1
    ex = tables["Table 3. Wards above or below expected this month"]
    assert ex[1:] == [
        [
            str(r.borough_name),
            str(r.ward_name),
            theme_label(r.theme, assessment.themes),
            format_count(r.incident_count),
            format_rate(r.expected_count, digits=1),
            f"{format_count(r.expected_lower)} to {format_count(r.expected_upper)}",
            format_pvalue(r.p_value_fdr),
            str(r.exception),
        ]
        for r in flagged.itertuples()
    ]

    estates = tables["Table 8. ASB near estates"]
    assert [row[0] for row in estates[1:]] == assessment.link_estates["estate_name"].tolist()
    assert [row[1] for row in estates[1:]] == [
        format_count(v) for v in assessment.link_estates["asb_count_near"]
    ]

    changes = assessment.changes[assessment.changes["significant"].astype(bool)]
    if len(changes):
        got = tables["Table 2. Significant changes since the last period"]
        assert [row[4] for row in got[1:]] == [format_change(v) for v in changes["change_pct"]]

    rep = tables["Table 7. Repeat locations (snap points)"]
    assert [row[2] for row in rep[1:]] == repeats["location"].astype(str).tolist()
    assert [row[3] for row in rep[1:]] == [format_count(v) for v in repeats["incident_count"]]


def test_every_table_of_docx_tables_is_in_the_document(inputs, document):
    assessment, exceptions, repeats = inputs
    expected = docx_tables(assessment, exceptions=exceptions, repeats=repeats)
    tables = _titled_tables(document)
    assert set(expected) <= set(DOCX_TABLES)
    for title, frame in expected.items():
        if len(frame):
            assert tables[title] == [list(frame.columns), *frame.values.tolist()], title
        else:
            assert title not in tables  # an empty table is a "None." line, not an empty grid


def test_layout_is_an_a4_tactical_assessment_with_figures(document):
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:5] == [
        "Summary",
        "Map",
        "1. Ward problem solving",
        "2. Cross-border issues and strategic themes",
        "3. Links to borough issues",
    ]
    assert "Method note" in headings
    assert len(document.inline_shapes) >= 2  # the map and a trend chart per flagged ward
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("Figure 1.") for c in captions)
    read = {k: v for k, v in _titled_tables(document).items() if not k.startswith("Table A")}
    cells = " ".join(cell for rows in read.values() for row in rows for cell in row)
    figures = " ".join(captions)
    for key in ("street_crime", "criminal_damage_arson", "other_theft"):  # themes in words
        assert key not in figures and key not in cells  # (the raw appendix keeps the keys)


def test_errors_name_the_argument(inputs, tmp_path):
    with pytest.raises(FileNotFoundError, match="`path` .* does not exist"):
        save_docx(inputs[0], tmp_path / "missing" / "a.docx")
    with pytest.raises(TypeError, match="`assessment` must be a TaskingAssessment"):
        save_docx(pd.DataFrame(), tmp_path / "a.docx")
