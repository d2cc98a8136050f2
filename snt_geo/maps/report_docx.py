"""The tactical assessment as an editable Word document (python-docx).

A BIU analyst finishes a tactical assessment in Word: adds the narrative, moves a table, crops a
map. :func:`save_docx` writes a tasking assessment as that starting point: A4 portrait, headings
in Word's own heading styles (so the navigation pane and a table of contents work), every table
a real Word table whose header row repeats on each page, and every map and chart a picture with
a caption. Numbers read as they do in the HTML briefing (:mod:`snt_geo._format`), themes in
words (``street crime: robbery, theft from the person``), never as code keys.

:func:`docx_tables` returns the same tables as text frames, titled, for checking or reuse.
python-docx and matplotlib are imported only here (``pip install "snt-geo[report]"``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from snt_geo._format import (
    format_change,
    format_count,
    format_percent,
    format_pvalue,
    format_rate,
    format_value,
)

__all__ = ["DOCX_TABLES", "docx_tables", "save_docx"]

_HINT = 'Word output needs python-docx and matplotlib: pip install "snt-geo[report]"'

Formatter = Callable[[object], str]

#: Table title -> (source, {column: header}, {column: formatter}). ``source`` names the
#: assessment attribute (or extra result) the rows come from; see :func:`docx_tables`.
DOCX_TABLES: dict[str, tuple[str, dict[str, str], dict[str, Formatter]]] = {
    "Table 1. Priorities and their evidence": (
        "priorities",
        {
            "ward_name": "Ward",
            "theme": "Theme",
            "status": "Status",
            "data_rank": "Rank by evidence",
            "count": "Incidents",
            "rate_per_1000": "Rate per 1,000",
            "lq": "LQ",
            "trend": "Trend",
        },
        {
            "data_rank": format_count,
            "count": format_count,
            "rate_per_1000": format_rate,
            "lq": lambda v: format_rate(v, digits=2),
        },
    ),
    "Table 2. Significant changes since the last period": (
        "changes",
        {
            "ward_name": "Ward",
            "theme": "Theme",
            "count": "Now",
            "baseline_count": "Before",
            "change_pct": "Change",
            "p_value": "p",
            "q_value": "q",
            "small_number": "Small numbers",
        },
        {
            "count": format_count,
            "baseline_count": format_count,
            "change_pct": format_change,
            "p_value": format_pvalue,
            "q_value": format_pvalue,
        },
    ),
    "Table 3. Wards above or below expected this month": (
        "exceptions",
        {
            "borough_name": "Borough",
            "ward_name": "Ward",
            "theme": "Theme",
            "incident_count": "Recorded",
            "expected_count": "Expected",
            "expected_range": "Expected range",
            "p_value_fdr": "q",
            "exception": "Exception",
        },
        {
            "incident_count": format_count,
            "expected_count": lambda v: format_rate(v, digits=1),
            "p_value_fdr": format_pvalue,
        },
    ),
    "Table 4. Shared priorities": (
        "shared_themes",
        {
            "borough_name": "Borough",
            "theme": "Theme",
            "n_wards": "Wards",
            "share_of_wards": "Share of wards",
            "largest_group_wards": "Largest block",
        },
        {"n_wards": format_count, "share_of_wards": format_percent},
    ),
    "Table 5. Hot spots crossing a ward boundary": (
        "cross_border",
        {"theme": "Theme", "hotspot_class": "Class", "n_cells": "Cells", "explanation": "In words"},
        {"n_cells": format_count},
    ),
    "Table 6. Incident clusters (largest 20)": (
        "clusters",
        {
            "theme": "Theme",
            "incident_count": "Incidents",
            "dominant_theme_share": "Dominant share",
            "first_month": "First month",
            "last_month": "Last month",
        },
        {"incident_count": format_count, "dominant_theme_share": format_percent},
    ),
    "Table 7. Repeat locations (snap points)": (
        "repeats",
        {
            "borough_name": "Borough",
            "ward_name": "Ward",
            "location": "Location",
            "incident_count": "Incidents",
            "months_active": "Months active",
            "crime_mix": "Crime mix",
            "borough_share": "Share of borough",
        },
        {
            "incident_count": format_count,
            "months_active": format_count,
            "borough_share": format_percent,
        },
    ),
    "Table 8. ASB near estates": (
        "link_estates",
        {
            "estate_name": "Estate",
            "asb_count_near": "ASB near",
            "n_candidate_clusters": "Street-crime clusters in reach",
            "colocation_quotient": "CLQ",
            "p_adjusted": "Adjusted p",
            "significant": "Significant",
            "note": "Note",
        },
        {
            "asb_count_near": format_count,
            "n_candidate_clusters": format_count,
            "p_adjusted": format_pvalue,
        },
    ),
    "Table A1. Every parameter and automatic choice": (
        "parameters",
        {"step": "Step", "parameter": "Parameter", "value": "Value"},
        {},
    ),
}


def _assessment_of(assessment: Any) -> Any:
    inner = getattr(assessment, "assessment", assessment)  # a Briefing holds its assessment
    if not hasattr(inner, "priorities") or not hasattr(inner, "method"):
        raise TypeError(
            "`assessment` must be a TaskingAssessment (snt_geo.tasking.tasking_assessment) or a "
            f"Briefing; got {type(assessment).__name__}."
        )
    return inner


def _sources(a: Any, exceptions: Any, repeats: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Each table's rows, in the order shown, with themes in words."""
    from snt_geo._labels import theme_label, ward_names

    def label(v: object) -> str:
        return theme_label(str(v), a.themes) if isinstance(v, str) and v else format_value(v)

    names = ward_names(a.wards)
    changes = a.changes
    if len(changes):
        changes = changes[changes["significant"].astype(bool)]
    shared = a.shared.themes
    shared = shared[shared["flagged"].astype(bool)] if len(shared) else shared
    cross = a.cross_border
    if len(cross):
        cross = cross[cross["cross_ward"].fillna(False).astype(bool)]
    clusters = a.clusters
    if len(clusters):
        clusters = clusters.sort_values("incident_count", ascending=False, kind="stable").head(20)
    from snt_geo.maps._briefing_page import _trend_words  # the briefing's words, written once

    priorities = a.priorities.assign(trend=_trend_words(a)) if len(a.priorities) else a.priorities
    out: dict[str, pd.DataFrame] = {
        "priorities": priorities,
        "changes": changes,
        "shared_themes": shared,
        "cross_border": cross,
        "clusters": clusters,
        "parameters": a.parameters,
    }
    if exceptions is not None:
        flagged = exceptions.flagged.reset_index()
        flagged["expected_range"] = [
            f"{format_count(lo)} to {format_count(hi)}"
            for lo, hi in zip(flagged["expected_lower"], flagged["expected_upper"], strict=True)
        ]
        out["exceptions"] = flagged
    if repeats is not None:
        out["repeats"] = repeats
    if a.link_estates is not None:
        out["link_estates"] = a.link_estates
    for key, frame in out.items():
        if "theme" in frame.columns:
            out[key] = frame.assign(theme=[label(t) for t in frame["theme"]])
        if "ward_name" not in frame.columns and "ward_code" in frame.columns:
            out[key] = out[key].assign(
                ward_name=[names.get(str(c), str(c)) for c in frame["ward_code"]]
            )
    return out


def docx_tables(
    assessment: Any, *, exceptions: Any = None, repeats: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Return the document's tables as text, keyed by their titles, in document order.

    Parameters
    ----------
    assessment
        A :class:`snt_geo.tasking.TaskingAssessment` (or a :class:`snt_geo.maps.Briefing`).
    exceptions
        Optional :func:`snt_geo.profile.find_exceptions` result: its flagged wards become
        Table 3.
    repeats
        Optional :func:`snt_geo.profile.find_repeat_locations` table (Table 7).

    Returns
    -------
    dict of str to pandas.DataFrame
        Title (a key of :data:`DOCX_TABLES`) -> a frame of strings whose columns are the
        headers, one row per source row. Tables whose source is absent (no estates, no
        exceptions given) are left out; an empty source gives an empty frame.
    """
    a = _assessment_of(assessment)
    sources = _sources(a, exceptions, repeats)
    tables: dict[str, pd.DataFrame] = {}
    for title, (source, columns, formats) in DOCX_TABLES.items():
        if source not in sources:
            continue
        frame = sources[source]
        cols = [c for c in columns if c in frame.columns]
        text = {
            columns[c]: [formats.get(c, format_value)(v) for v in frame[c].tolist()] for c in cols
        }
        tables[title] = pd.DataFrame(text, columns=[columns[c] for c in cols], dtype=object)
    return tables


def save_docx(
    assessment: Any,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    exceptions: Any = None,
    repeats: pd.DataFrame | None = None,
    time_of_day: Any = None,
    caveats: tuple[str, ...] | None = None,
) -> Path:
    """Write a tasking assessment as an editable A4 Word document (``.docx``).

    Parameters
    ----------
    assessment
        A :class:`snt_geo.tasking.TaskingAssessment`, or a :class:`snt_geo.maps.Briefing` (its
        title and caveats are then used by default).
    path
        The ``.docx`` to write; its folder must exist. Overwritten if present.
    title
        Document title; default the briefing's, or "Tactical assessment: <period>".
    exceptions
        :func:`snt_geo.profile.find_exceptions` result: the wards above or below expected
        (Table 3) and a trend chart for each (up to six). Default: the assessment's own
        ``exceptions`` (None when it could not run).
    repeats
        :func:`snt_geo.profile.find_repeat_locations` table (Table 7). Default: the
        assessment's own ``repeats``.
    time_of_day
        :func:`snt_geo.temporal.time_of_day` result: the hour x weekday chart (or the statement
        that the data have no times). Default: the assessment's own ``time_of_day``.
    caveats
        Data caveats listed at the end; default the briefing's (none for a bare assessment).

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Layout: title and period; summary (the three lines of the assessment); the map (Gi* hot
    spots and clusters over the wards); 1. ward problem solving (Tables 1-3, trend charts); 2.
    cross-border issues and strategic themes (Tables 4-6); 3. links to borough issues (Tables
    7-8, time of day); method note; data caveats; Appendix A, every parameter (Table A1).
    """
    try:
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm
    except ImportError as err:  # pragma: no cover - the report extra is installed in CI
        raise ImportError(_HINT) from err
    a = _assessment_of(assessment)
    target = Path(path)
    if not target.parent.exists():
        raise FileNotFoundError(
            f"`path` {str(target)!r}: folder {str(target.parent)!r} does not exist; create it "
            "first or choose another path."
        )
    briefing = assessment if assessment is not a else None
    start, end = a.period
    title = title or getattr(briefing, "title", None) or f"Tactical assessment: {start} to {end}"
    caveats = caveats if caveats is not None else tuple(getattr(briefing, "caveats", ()))
    if exceptions is None:
        exceptions = getattr(a, "exceptions", None)  # the assessment's own, when it ran
    if repeats is None:
        repeats = getattr(a, "repeats", None)
    if time_of_day is None:
        time_of_day = getattr(a, "time_of_day", None)
    tables = docx_tables(a, exceptions=exceptions, repeats=repeats)

    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    doc.add_heading(title, level=0)
    doc.add_paragraph(f"Period {start} to {end}; {format_count(len(a.wards))} wards.")

    from snt_geo.tasking.assessment import headlines

    doc.add_heading("Summary", level=1)
    for line in headlines(a):
        doc.add_paragraph(line, style="List Bullet")

    from snt_geo.maps import figures

    doc.add_heading("Map", level=1)
    _picture(doc, figures.plot_assessment_map(a), "Figure 1. Gi* hot spots and incident clusters.")

    doc.add_heading("1. Ward problem solving", level=1)
    _tables(doc, tables, ("Table 1.", "Table 2.", "Table 3."))
    if exceptions is not None:
        _trend_charts(doc, exceptions, a)

    doc.add_heading("2. Cross-border issues and strategic themes", level=1)
    _tables(doc, tables, ("Table 4.", "Table 5.", "Table 6."))

    doc.add_heading("3. Links to borough issues", level=1)
    if a.links is None:
        reason = a.method.links_not_run or "no estates"
        doc.add_paragraph(f"ASB near estates was not assessed: {reason}.")
    _tables(doc, tables, ("Table 7.", "Table 8."))
    if time_of_day is not None:
        _picture(doc, figures.plot_time_of_day(time_of_day), "Figure. Incidents by hour and day.")

    doc.add_heading("Method note", level=1)
    for paragraph in a.method_note:
        doc.add_paragraph(paragraph)
    if exceptions is not None:
        doc.add_paragraph(exceptions.method.describe())
    if caveats:
        doc.add_heading("Data caveats", level=1)
        for caveat in caveats:
            doc.add_paragraph(caveat, style="List Bullet")
    doc.add_heading("Appendix A. Parameters", level=1)
    _tables(doc, tables, ("Table A1.",))
    doc.save(str(target))
    return target


def _tables(doc: Any, tables: Mapping[str, pd.DataFrame], prefixes: tuple[str, ...]) -> None:
    for title, frame in tables.items():
        if not title.startswith(prefixes):
            continue
        doc.add_heading(title, level=2)
        if not len(frame):
            doc.add_paragraph("None.")
            continue
        _table(doc, frame)


def _table(doc: Any, frame: pd.DataFrame) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = doc.add_table(rows=len(frame) + 1, cols=len(frame.columns))
    table.style = "Table Grid"
    cells = table._cells  # row-major; one lookup instead of one per cell
    k = len(frame.columns)
    for j, header in enumerate(frame.columns):
        cell = cells[j]
        cell.text = str(header)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    head = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    head.append(repeat)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, value in enumerate(row):
            cells[i * k + j].text = value


def _picture(doc: Any, fig: Any, caption: str) -> None:
    from docx.shared import Mm

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200, facecolor="white")
    buffer.seek(0)
    doc.add_picture(buffer, width=Mm(170))
    doc.add_paragraph(caption, style="Caption")


def _trend_charts(doc: Any, exceptions: Any, a: Any, limit: int = 6) -> None:
    from snt_geo._labels import theme_label, ward_names
    from snt_geo.maps.figures import plot_monthly_trend

    names = ward_names(a.wards)
    for ward_code, theme in list(exceptions.flagged.index)[:limit]:
        series = exceptions.monthly.loc[(ward_code, theme)]
        series.attrs = dict(exceptions.monthly.attrs)
        who = f"{names.get(str(ward_code), str(ward_code))}, {theme_label(theme, a.themes)}"
        _picture(doc, plot_monthly_trend(series, title=who), f"Figure. Monthly trend: {who}.")
