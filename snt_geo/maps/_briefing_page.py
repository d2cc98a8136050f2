"""The briefing page: the HTML around the map, one function per section.

Every text value reaching the page is HTML-escaped; every number goes through
:mod:`snt_geo._format`, so a p-value or a missing value reads the same in every table and
sentence.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
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
from snt_geo._labels import theme_label, ward_names
from snt_geo.maps._briefing_map import LINK_CLUSTER, LINK_SHARE
from snt_geo.maps._print import PRINT_CSS, exception_charts_html, print_map_html
from snt_geo.tasking.assessment import headlines

Formatter = Callable[[object], str]


def _lq(v: object) -> str:
    return format_rate(v, digits=2)


def table(
    frame: pd.DataFrame | None,
    columns: Mapping[str, str],
    *,
    table_id: str,
    empty: str,
    formats: Mapping[str, Formatter] | None = None,
) -> str:
    """Return an escaped HTML table of ``columns`` (column -> header) of ``frame``.

    Each cell goes through ``formats[column]`` (default :func:`snt_geo._format.format_value`).
    """
    if frame is None or len(frame) == 0:
        return f'<p class="empty" id="{html.escape(table_id)}">{html.escape(empty)}</p>'
    formats = formats or {}
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape(columns[c])}</th>" for c in cols)
    rows = []
    for rec in frame[cols].itertuples(index=False, name=None):
        cells = "".join(
            f"<td>{html.escape(formats.get(c, format_value)(v), quote=True)}</td>"
            for c, v in zip(cols, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


CSS = """
html,body{height:auto!important;width:auto!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:#222;
 margin:0 auto!important;padding:12px 20px 40px!important;max-width:1200px}
h1{font-size:1.5em;margin:.3em 0}
h2{font-size:1.25em;border-bottom:2px solid #1f4e79;padding-bottom:2px;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.sub{color:#555;margin:0 0 .8em}
.map-box{height:min(82vh,780px);min-height:480px;border:1px solid #bbb;position:relative}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:12.5px;width:100%}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
thead th{background:#eef3f8;position:sticky;top:0}
tbody tr:nth-child(even){background:#fafafa}
.empty,.note{color:#555;font-style:italic}
.glance li{margin:.3em 0}
.links li{margin:.45em 0}
nav a{margin-right:1em}
details summary{cursor:pointer;color:#1f4e79}
footer{margin-top:2em;color:#444;font-size:12px;border-top:1px solid #ccc;padding-top:.5em}
"""


def page(b, *, tiles) -> str:
    """Return the whole self-contained page of briefing ``b`` (its ``html`` still empty)."""
    from snt_geo.maps.compose import make_map
    from snt_geo.maps.offline import map_fragment

    m = make_map(
        *b.map_layers,
        title=b.title,
        attribution=" ".join(b.attribution),
        tiles=tiles,
    )
    frag = map_fragment(m)
    start, end = b.assessment.period
    e = html.escape
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(b.title)}</title>\n{frag.head}\n<style>{CSS}{PRINT_CSS}</style>\n</head>\n"
        "<body>\n",
        f'<header><h1 id="briefing-title">{e(b.title)}</h1><p class="sub">Period {e(str(start))} '
        f"to {e(str(end))}; {len(b.wards)} wards. Made with snt_geo.</p></header>",
        '<nav><a href="#for-decision">For decision</a>'
        '<a href="#ward-problem-solving">1. Ward problem solving</a>'
        '<a href="#cross-border">2. Cross-border and strategic themes</a>'
        '<a href="#borough-links">3. Links to borough issues</a>'
        '<a href="#method">Method note</a><a href="#caveats">Caveats</a></nav>',
        _section_decision(b),
        '<section id="at-a-glance"><h2>At a glance</h2><ul class="glance">'
        + "".join(f"<li>{e(line)}</li>" for line in headlines(b.assessment))
        + "</ul></section>",
        '<section id="map-section"><h2>Map</h2><p class="note">Ward outlines are the base '
        "(no basemap offline). Tick layers on and off at the top right (each shared-priority "
        "theme is its own layer); legends of the layers that are on are at the bottom right; "
        "hover or click for "
        f'details.</p><div class="map-box">{frag.body}</div>{print_map_html(b.assessment)}'
        "</section>",
    ]
    parts.append(_section_one(b))
    parts.append(_section_two(b))
    parts.append(_section_three(b))
    parts.append(_section_method(b))
    parts.append(
        '<section id="caveats"><h2>Data caveats</h2><ul>'
        + "".join(f"<li>{e(c)}</li>" for c in b.caveats)
        + "</ul></section>"
    )
    parts.append(
        '<footer id="attribution"><strong>Attribution.</strong> '
        + " ".join(f"<span>{e(a)}</span>" for a in b.attribution)
        + "</footer>"
    )
    parts.append(f"\n<script>\n{frag.script}\n</script>\n</body>\n</html>\n")
    return "".join(parts)


def _section_one(b) -> str:
    """1. Ward problem solving: priorities, key locations, changes, problem-solving plans."""
    return "".join(
        [
            '<section id="ward-problem-solving"><h2>1. Ward problem solving</h2>',
            _priorities_block(b),
            _key_locations_block(b),
            _changes_block(b),
            _time_of_day_block(b),
            _stop_search_block(b),
            _problem_solving(b),
            "</section>",
        ]
    )


def _priorities_block(b) -> str:
    kind = "register (active)" if b.priorities_source == "register" else "data suggestions"
    out = [f"<h3>Priorities and their evidence ({html.escape(kind)})</h3>"]
    if b.priorities_source == "suggested":
        out.append(
            '<p class="note">No priority register was given: these are the strongest themes '
            "by the evidence, for panels to consider, not priorities they have set.</p>"
        )
    shown = b.priorities.assign(trend=_trend_words(b)) if len(b.priorities) else b.priorities
    out.append(
        f"<details><summary>Full priority register ({len(shown)} rows: every ward's "
        "priorities with their evidence)</summary>"
    )
    out.append(
        table(
            shown,
            {
                "ward_name": "Ward",
                "ward_code": "Code",
                "theme": "Theme",
                "status": "Status",
                "data_rank": "Rank by evidence",
                "count": "Incidents",
                "rate_per_1000": "Rate per 1,000",
                "lq": "LQ",
                "trend": "Trend",
                "small_number": "Small numbers",
                "reason": "Evidence",
            },
            table_id="priorities",
            empty="No priorities.",
            formats={
                "theme": _theme_words(b),
                "data_rank": format_count,
                "count": format_count,
                "rate_per_1000": format_rate,
                "lq": _lq,
            },
        )
    )
    out.append("</details>")
    return "".join(out)


def _key_locations_block(b) -> str:
    repeats = b.assessment.repeats
    if repeats is None:  # an assessment without the repeat step: the per-ward text table
        return (
            "<details><summary>Key locations: the busiest police.uk snap points of each ward in "
            "the period</summary>"
            + table(
                _key_locations(b),
                {
                    "ward_name": "Ward",
                    "rank": "Rank",
                    "location": "Location (snap point)",
                    "count": "Incidents",
                    "share": "Share of the ward's incidents",
                },
                table_id="key-locations",
                empty="No key locations (the incidents carry no location text).",
                formats={"share": format_percent},
            )
            + "</details>"
        )
    return (
        "<details><summary>Repeat locations: the busiest snap points of each borough in the "
        "period (one row per map point, not per location description)</summary>"
        + table(
            pd.DataFrame(repeats.drop(columns="geometry")),
            {
                "borough_name": "Borough",
                "rank_in_borough": "Rank",
                "location": "Location (snap point)",
                "ward_name": "Ward",
                "incident_count": "Incidents",
                "months_active": "Months active",
                "crime_mix": "Crime mix",
                "borough_share": "Share of the borough's incidents",
            },
            table_id="key-locations",
            empty="No snap point has two or more incidents in the period.",
            formats={
                "incident_count": format_count,
                "months_active": format_count,
                "borough_share": format_percent,
            },
        )
        + "</details>"
    )


def _stop_search_block(b) -> str:
    """Stop and search per ward (only when the assessment was given searches)."""
    searches = b.assessment.stop_search
    if searches is None:
        return ""
    method = searches.attrs.get("method")
    objects = [c for c in searches.columns if c.startswith("object_")]
    labels = dict(method.objects) if method is not None else {}
    shown = searches[searches["searches"] > 0].sort_values("searches", ascending=False)
    shown = shown.assign(
        ward_name=shown.index.map(ward_names(b.assessment.wards)),
        main_object=[
            labels.get(max(objects, key=row.get), "") if objects else ""
            for row in shown[objects].to_dict("records")
        ],
    )
    note = f'<p class="note">{html.escape(method.describe())}</p>' if method is not None else ""
    return (
        "<h3>Stop and search</h3>"
        + note
        + table(
            shown,
            {
                "ward_name": "Ward",
                "searches": "Searches",
                "main_object": "Mostly for",
                "no_further_action": "No further action",
                "nfa_share": "Share NFA",
                "arrests": "Arrests",
                "age_10_17": "Aged 10-17",
            },
            table_id="stop-search",
            empty="No stop and search recorded in these wards in the period.",
            formats={
                "searches": format_count,
                "no_further_action": format_count,
                "nfa_share": format_percent,
                "arrests": format_count,
                "age_10_17": format_count,
            },
        )
    )


def _changes_block(b) -> str:
    comparison, alpha = b.assessment.method.comparison, b.assessment.method.alpha
    out = ["<h3>What changed since the last period</h3>"]
    if comparison is None:
        out.append(
            '<p class="empty" id="changes">The data hold no complete earlier period to compare '
            "with (previous period or a year earlier), so no change is reported.</p>"
        )
        return "".join(out)
    ch = b.changes
    sig = ch[ch["significant"]]
    out.append(
        f'<p class="note">Against the {html.escape(comparison.replace("_", " "))} baseline: '
        f"{len(sig)} of {len(ch)} ward-theme counts changed significantly (exact Poisson "
        f"test, Benjamini-Hochberg q &lt; {alpha:g} across all the tests); "
        f"{int(sig['small_number'].sum())} of those rest on small numbers and are flagged.</p>"
    )
    out.append(
        table(
            sig,
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
            table_id="changes",
            empty="No significant change.",
            formats={
                "theme": _theme_words(b),
                "count": format_count,
                "baseline_count": format_count,
                "change_pct": format_change,
                "p_value": format_pvalue,
                "q_value": format_pvalue,
            },
        )
    )
    return "".join(out)


def _date_text(v: Any) -> str:
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def _problem_solving(b) -> str:
    """Plans by stage, overdue reviews and evaluations (issue 12), when a register was given."""
    review = b.assessment.problem_solving
    if review is None:
        return ""
    names = ward_names(b.wards)
    end = html.escape(str(b.assessment.period[1]))
    by_stage = review.by_stage.reset_index()
    by_stage.insert(0, "ward_name", by_stage["ward_code"].astype(str).map(names))
    overdue = review.overdue.reset_index()
    overdue["ward_name"] = overdue["ward_code"].astype(str).map(names)
    evaluations = review.evaluations.assign(
        ward_name=review.evaluations["ward_code"].astype(str).map(names)
    )
    stage_columns = {
        "ward_name": "Ward",
        "scanning": "Scanning",
        "analysis": "Analysis",
        "response": "Response",
        "assessment": "Assessment",
        "closed": "Closed",
        "open_plans": "Open plans",
        "mean_days_in_stage": "Mean days in stage",
        "overdue_reviews": "Overdue reviews",
    }
    return "".join(
        [
            f"<h3>Problem-solving plans by stage (end of {end})</h3>",
            table(
                by_stage,
                stage_columns,
                table_id="plans-by-stage",
                empty="No problem-solving plans in the register.",
                formats={c: format_count for c in stage_columns if c != "ward_name"}
                | {"mean_days_in_stage": format_rate},
            ),
            "<h3>Overdue reviews</h3>",
            '<p class="note">A review is overdue when its date passed with no review held, or '
            "when none was held or scheduled for more than "
            f"{review.tracking.method.review_interval_days} days (the panel meets every 4-6 "
            "weeks).</p>",
            table(
                overdue,
                {
                    "plan_id": "Plan",
                    "ward_name": "Ward",
                    "theme": "Theme",
                    "stage": "Stage",
                    "last_review_held": "Last review",
                    "days_overdue": "Days overdue",
                    "overdue_reason": "Why",
                },
                table_id="overdue-reviews",
                empty="No review is overdue.",
                formats={
                    "theme": _theme_words(b),
                    "days_overdue": format_count,
                    "last_review_held": _date_text,
                },
            ),
            "<h3>Evaluations of responses that ended in the period</h3>",
            '<p class="note">Change beyond comparable untouched areas: the treated area\'s '
            "change per month against the median of up to 99 areas of the same shape and "
            "before count elsewhere in the data, with its placebo p-value (the Poisson p-value "
            "beside it understates real variation).</p>",
            table(
                evaluations,
                {
                    "plan_id": "Plan",
                    "ward_name": "Ward",
                    "theme": "Theme",
                    "description": "Response",
                    "lead": "Lead",
                    "after": "Months",
                    "treated_change_pct": "Change per month",
                    "placebo_change_pct": "Beyond comparable areas",
                    "placebo_p_value": "p (placebo)",
                    "poisson_p_value": "p (Poisson)",
                    "verdict": "Verdict",
                },
                table_id="evaluations",
                empty="No response with an area ended in the period.",
                formats={
                    "theme": _theme_words(b),
                    "treated_change_pct": format_change,
                    "placebo_change_pct": format_change,
                    "placebo_p_value": format_pvalue,
                    "poisson_p_value": format_pvalue,
                },
            ),
        ]
    )


def _key_locations(b) -> pd.DataFrame:
    """Return the top three key locations of each ward, with ward names."""
    locations = pd.DataFrame(b.profile.key_locations.drop(columns="geometry"))
    if not len(locations):
        return locations
    names = ward_names(b.wards)
    locations = locations[locations["rank"] <= 3]
    return locations.assign(ward_name=locations["ward_code"].astype(str).map(names))


def _section_two(b) -> str:
    """2. Cross-border issues and strategic themes: shared priorities, hot areas, clusters."""
    names = ward_names(b.wards)
    return "".join(
        [
            '<section id="cross-border"><h2>2. Cross-border issues and strategic themes</h2>',
            _shared_blocks(b, names),
            _cross_border_block(b, names),
            _ward_clusters_block(b, names),
            _clusters_block(b, names),
            _emerging_block(b),
            "</section>",
        ]
    )


def _ward_list(codes, names: Mapping[str, str]) -> str:
    return ", ".join(names.get(str(c), str(c)) for c in codes)


def _shared_blocks(b, names) -> str:
    themes_t = b.shared.themes.copy()
    themes_t["wards"] = [_ward_list(w, names) for w in themes_t["ward_codes"]]
    themes_t = themes_t.sort_values(["flagged", "n_wards"], ascending=[False, False])
    groups = pd.DataFrame(b.shared.groups.drop(columns="geometry"))
    groups["wards"] = [_ward_list(w, names) for w in groups["ward_codes"]]
    groups = groups[groups["n_wards"] >= 2].sort_values("n_wards", ascending=False)
    return "".join(
        [
            "<h3>Shared priorities</h3>",
            table(
                themes_t,
                {
                    "borough_name": "Borough",
                    "theme": "Theme",
                    "n_wards": "Wards",
                    "share_of_wards": "Share of wards",
                    "n_groups": "Groups",
                    "largest_group_wards": "Largest block",
                    "flagged": "Shared priority",
                    "wards": "Wards holding it",
                },
                table_id="shared-themes",
                empty="No priorities to compare.",
                formats={"theme": _theme_words(b), "share_of_wards": format_percent},
            ),
            "<h3>Blocks of neighbouring wards with the same priority</h3>",
            table(
                groups,
                {
                    "theme": "Theme",
                    "n_wards": "Wards",
                    "wards": "Wards in the block",
                    "cross_borough": "Crosses a borough boundary",
                    "area_km2": "Area km2",
                },
                table_id="shared-groups",
                empty="No two neighbouring wards share a priority.",
                formats={"theme": _theme_words(b)},
            ),
        ]
    )


def _cross_border_block(b, names) -> str:
    cross = b.cross_border
    crossing = cross[cross["cross_ward"].fillna(False).astype(bool)] if len(cross) else cross
    if len(crossing):
        crossing = crossing.assign(ward_names=[_ward_list(w, names) for w in crossing["wards"]])
    return (
        "<h3>Hot areas that cross ward or borough boundaries</h3>"
        f'<p class="note">{len(crossing)} of {len(cross)} hot areas (touching Gi* hot cells, '
        "merged) cross a ward boundary.</p>"
        + table(
            crossing,
            {
                "theme": "Theme",
                "hotspot_class": "Class",
                "n_cells": "Cells",
                "ward_names": "Wards",
                "cross_borough": "Crosses a borough",
                "explanation": "In words",
            },
            table_id="cross-border-hotspots",
            empty="No hot area crosses a ward boundary.",
            formats={"theme": _theme_words(b)},
        )
    )


def _ward_clusters_block(b, names) -> str:
    """Wards whose rate clusters with their neighbours' (local Moran's I), significant first."""
    clusters = b.assessment.ward_clusters
    head = "<h3>Wards whose rates cluster with their neighbours'</h3>"
    if clusters is None:
        return head + (
            '<p class="empty" id="ward-clusters">Not run: no ward has a population, so there '
            "are no rates to compare (pass demographics).</p>"
        )
    from snt_geo.maps.lisa_layer import WARD_CLUSTER_LABELS

    sig = clusters[clusters["cluster_class"].astype(str) != "not_significant"]
    order = {c: i for i, c in enumerate(WARD_CLUSTER_LABELS)}
    sig = sig.assign(
        ward_name=[names.get(str(c), str(c)) for c in sig["ward_code"]],
        order=sig["cluster_class"].astype(str).map(order),
    ).sort_values(["theme", "order", "p_value_fdr"])
    counts = clusters["cluster_class"].astype(str).value_counts()
    note = (
        f'<p class="note">{int(counts.get("high_high", 0))} wards in high-high clusters, '
        f"{int(counts.get('low_low', 0))} in low-low clusters, "
        f"{int(counts.get('high_low', 0) + counts.get('low_high', 0))} out of line with their "
        "neighbours (local Moran's I of the smoothed rate, FDR-controlled; one row per ward "
        "and theme).</p>"
    )
    return (
        head
        + note
        + table(
            sig,
            {
                "theme": "Theme",
                "ward_name": "Ward",
                "cluster_class": "Pattern",
                "value": "Smoothed rate per 1,000",
                "p_value_fdr": "q-value",
            },
            table_id="ward-clusters",
            empty="No ward's rate clusters significantly with its neighbours'.",
            formats={
                "theme": _theme_words(b),
                "cluster_class": lambda v: WARD_CLUSTER_LABELS.get(str(v), str(v)),
                "value": format_rate,
                "p_value_fdr": format_pvalue,
            },
        )
    )


#: Optional cluster-summary columns shown in the clusters table, with their headers.
_CLUSTER_COLUMNS = (
    ("dominant_theme_share", "Dominant share"),
    ("first_month", "First month"),
    ("last_month", "Last month"),
    ("density_per_km2", "Incidents per km2"),
    ("wards", "Wards"),
    ("boroughs", "Boroughs"),
)


def _clusters_block(b, names) -> str:
    cl = b.clusters
    if not len(cl):
        return ""
    cols = {"theme": "Theme", "incident_count": "Incidents"}
    cols |= {c: label for c, label in _CLUSTER_COLUMNS if c in cl.columns}
    cl = cl.sort_values("incident_count", ascending=False)
    if "wards" in cl.columns:
        cl = cl.assign(
            wards=[
                tuple(
                    names.get(str(c), str(c))
                    for c in (w if isinstance(w, Sequence) and not isinstance(w, str) else ())
                )
                for w in cl["wards"]
            ]
        )
    return (
        f"<details><summary>Incident clusters ({len(cl)}; largest first)</summary>"
        + table(
            cl.head(50),
            cols,
            table_id="clusters",
            empty="No clusters.",
            formats={
                "theme": _theme_words(b),
                "density_per_km2": format_count,
                "dominant_theme_share": format_percent,
            },
        )
        + "</details>"
    )


def _section_three(b) -> str:
    out = ['<section id="borough-links"><h2>3. Links to borough issues</h2>']
    if b.links is None:
        reason = b.assessment.method.links_not_run or "no estates"
        out.append(
            '<p class="empty" id="links">ASB-near-estates links were not assessed: '
            f"{html.escape(reason)}.</p></section>"
        )
        return "".join(out)
    out.append(
        '<h3>ASB near estates and nearby street crime, in plain words</h3><ul class="links">'
    )
    out += _link_sentences(b.links, _estate_records(b))
    out.append("</ul>")
    out.append("<h3>Estates: the ASB test and the street-crime clusters in reach</h3>")
    out.append(_estates_table(b))
    out.append(
        "<details><summary>Every candidate link (one row per estate and street-crime "
        "cluster)</summary>" + _links_table(b.links) + "</details>"
    )
    out.append("</section>")
    return "".join(out)


def _link_sentences(links: pd.DataFrame, estates: list[dict]) -> list[str]:
    """One list item per estate: its strongest link in words, or why it has none."""
    share = LINK_SHARE
    items = []
    for _, rows in links.groupby("estate", sort=False):
        main = rows.sort_values(share, ascending=False).iloc[0]
        more = len(rows) - 1
        extra = f" ({more} more candidate street-crime clusters in the table.)" if more else ""
        items.append(f"<li>{html.escape(str(main['explanation']))}{html.escape(extra)}</li>")
    for est in estates:
        if not est.get("n_candidate_clusters"):
            name = est.get("estate")
            note = est.get("note") or "no street-crime cluster within reach"
            items.append(f"<li>{html.escape(str(name))}: {html.escape(str(note))}.</li>")
    if not items:
        items.append("<li>No estate has ASB and a street-crime cluster within reach.</li>")
    return items


def _estate_records(b) -> list[dict]:
    """Return the per-estate rows of the links (every estate tested, with or without a link)."""
    estates = b.assessment.link_estates
    if estates is None or not len(estates):
        return []
    return estates.rename_axis("estate").reset_index().to_dict("records")


def _links_table(links: pd.DataFrame) -> str:
    cluster = LINK_CLUSTER
    share = LINK_SHARE
    return table(
        links,
        {
            "estate_name": "Estate",
            "asb_count_near": "ASB near",
            cluster: "Street-crime cluster",
            f"{cluster}_incidents": "Cluster incidents",
            f"{cluster}_main_type": "Mainly",
            "distance_m": "Distance m",
            share: "Share of nearby street crime",
            "colocation_quotient": "CLQ",
            "p_adjusted": "Adjusted p",
            "significant": "Significant",
            "temporal_r": "Month-to-month r",
            "lead_lag_months": "Lead/lag months",
        },
        table_id="link-candidates",
        empty="No candidate links.",
        formats={
            "asb_count_near": format_count,
            f"{cluster}_incidents": format_count,
            "distance_m": format_count,
            "p_adjusted": format_pvalue,
            share: format_percent,
        },
    )


def _section_method(b) -> str:
    out = ['<section id="method"><h2>Method note</h2>']
    out += [f"<p>{html.escape(p)}</p>" for p in b.method_note]
    out.append(
        f'<details class="print-closed"><summary>Raw provenance: every parameter and '
        f"automatic choice "
        f"({len(b.parameters)} rows)</summary>"
    )
    out.append(
        table(
            b.parameters,
            {"step": "Step", "parameter": "Parameter", "value": "Value"},
            table_id="parameters",
            empty="",
        )
    )
    out.append("</details></section>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Meeting-paper pieces (issue 13): for decision first, themes in words, tested trend words


def _theme_words(b) -> Formatter:
    """Theme keys in words (``theme_label``); anything else as :func:`format_value` shows it."""
    themes = b.assessment.themes

    def words(v: object) -> str:
        return theme_label(v, themes) if isinstance(v, str) and v else format_value(v)

    return words


def _trend_words(b) -> list[str]:
    """Each priority's trend in words no stronger than its test.

    "rising"/"falling" only when the change survives Benjamini-Hochberg adjustment across the
    change tests (the ``changes`` table's ``significant``) and is not a small number.
    """
    ch = b.changes
    q = {}
    if len(ch):
        for row in ch.itertuples():
            q[(str(row.ward_code), str(row.theme))] = (row.q_value, bool(row.significant))
    out = []
    for row in b.priorities.itertuples():
        trend = getattr(row, "trend", None)
        if not isinstance(trend, str):
            out.append("no earlier period")
            continue
        if bool(getattr(row, "small_number", False)):
            out.append("too few incidents to tell")
            continue
        q_value, significant = q.get((str(row.ward_code), str(row.theme)), (None, False))
        if trend in ("rising", "falling") and significant:
            out.append(f"{trend} ({format_pvalue(q_value, prefix=False)} after BH)")
        elif trend in ("rising", "falling"):
            p = format_pvalue(getattr(row, "p_value", None), prefix=True)
            out.append(f"no significant change after BH adjustment ({p} before)")
        else:
            out.append("no significant change")
    return out


def _section_decision(b) -> str:
    """For decision: the rows the meeting must act on, before any background."""
    a = b.assessment
    words = _theme_words(b)
    out = [
        '<section id="for-decision"><h2>For decision</h2>',
        '<p class="note">What the meeting is asked to act on: changes that survive '
        "Benjamini-Hochberg adjustment, wards above or below their seasonal expectation, "
        "priorities with no incidents behind them and overdue problem-solving reviews. The "
        "full register and the evidence follow in the numbered sections.</p>",
        "<h3>Significant changes since the last period</h3>",
    ]
    ch = a.changes
    sig = ch[ch["significant"].astype(bool) & ~ch["small_number"].astype(bool)] if len(ch) else ch
    empty = (
        "No ward-theme count changed significantly after Benjamini-Hochberg adjustment (small "
        "numbers left out)."
        if a.method.comparison
        else "No earlier period in the data to compare with."
    )
    out.append(
        table(
            sig,
            {
                "ward_name": "Ward",
                "theme": "Theme",
                "count": "Now",
                "baseline_count": "Before",
                "change_pct": "Change",
                "q_value": "q",
            },
            table_id="decision-changes",
            empty=empty,
            formats={
                "theme": words,
                "count": format_count,
                "baseline_count": format_count,
                "change_pct": format_change,
                "q_value": format_pvalue,
            },
        )
    )
    out.append(_decision_exceptions(b, words))
    out.append("<h3>Priorities with no incidents behind them</h3>")
    pr = a.priorities
    none = pr[pd.to_numeric(pr["count"], errors="coerce").fillna(0) == 0] if len(pr) else pr
    out.append(
        table(
            none,
            {"ward_name": "Ward", "theme": "Theme", "status": "Status", "reason": "Evidence"},
            table_id="decision-no-evidence",
            empty="Every priority has incidents behind it in the period.",
            formats={"theme": words},
        )
    )
    out.append("<h3>Overdue problem-solving reviews</h3>")
    review = a.problem_solving
    if review is None:
        out.append(
            '<p class="empty" id="decision-overdue">No problem-solving register was given, so '
            "overdue reviews cannot be listed.</p>"
        )
    else:
        overdue = review.overdue.reset_index()
        overdue["ward_name"] = overdue["ward_code"].astype(str).map(ward_names(b.wards))
        out.append(
            table(
                overdue,
                {
                    "plan_id": "Plan",
                    "ward_name": "Ward",
                    "theme": "Theme",
                    "days_overdue": "Days overdue",
                },
                table_id="decision-overdue",
                empty="No review is overdue.",
                formats={"theme": words, "days_overdue": format_count},
            )
        )
    out.append("</section>")
    return "".join(out)


def _decision_exceptions(b, words: Formatter) -> str:
    ex = b.assessment.exceptions
    out = ["<h3>Wards above or below expected this month</h3>"]
    if ex is None:
        out.append(
            '<p class="empty" id="decision-exceptions">Expected counts were not computed '
            "(too little history in the data; the method note says why).</p>"
        )
        return "".join(out)
    m = ex.method
    flagged = ex.flagged.reset_index()
    flagged["expected_range"] = [
        f"{format_count(lo)} to {format_count(hi)}"
        for lo, hi in zip(flagged["expected_lower"], flagged["expected_upper"], strict=True)
    ]
    flagged["exception"] = flagged["exception"].astype(str) + " expected"
    out.append(
        f'<p class="note">{html.escape(m.month)}: each ward\'s recorded count against its '
        f"seasonal expectation ({m.interval_level:.0%} range), q after Benjamini-Hochberg "
        f"adjustment across the wards at {m.alpha:g}.</p>"
    )
    out.append(
        table(
            flagged,
            {
                "ward_name": "Ward",
                "theme": "Theme",
                "incident_count": "Recorded",
                "expected_count": "Expected",
                "expected_range": "Expected range",
                "p_value_fdr": "q",
                "exception": "Exception",
            },
            table_id="decision-exceptions",
            empty=f"No ward is above or below expected in {m.month}.",
            formats={
                "theme": words,
                "incident_count": format_count,
                "expected_count": format_rate,
                "p_value_fdr": format_pvalue,
            },
        )
    )
    out.append(exception_charts_html(b.assessment))
    return "".join(out)


def _estates_table(b) -> str:
    """One row per estate: its ASB test, and its street-crime clusters listed in one cell."""
    estates = b.assessment.link_estates
    links = b.links
    cluster = LINK_CLUSTER
    share = LINK_SHARE
    listed: dict[str, str] = {}
    for estate, rows in links.groupby("estate", sort=False):
        rows = rows.sort_values(share, ascending=False)
        listed[str(estate)] = "; ".join(
            f"{r[cluster]} ({format_count(r[f'{cluster}_incidents'])} incidents, "
            f"{format_count(r['distance_m'])} m, {format_percent(r[share])} of nearby street "
            "crime)"
            if f"{cluster}_incidents" in rows.columns
            else str(r[cluster])
            for _, r in rows.iterrows()
        )
    frame = estates.rename_axis("estate").reset_index() if estates is not None else None
    if frame is not None:
        frame["clusters"] = [listed.get(str(e), "none in reach") for e in frame["estate"]]
    return table(
        frame,
        {
            "estate_name": "Estate",
            "asb_count_near": "ASB near",
            "colocation_quotient": "CLQ",
            "p_adjusted": "Adjusted p",
            "significant": "Significant",
            "clusters": "Street-crime clusters in reach",
            "note": "Note",
        },
        table_id="links",
        empty="No estate was tested.",
        formats={
            "asb_count_near": format_count,
            "colocation_quotient": _lq,
            "p_adjusted": format_pvalue,
        },
    )


def _emerging_block(b) -> str:
    """Emerging hot spots per theme: cells per pattern (no-pattern cells left out)."""
    from snt_geo.maps.emerging_layer import EMERGING_LABELS

    emerging = b.assessment.emerging
    rows = []
    for theme, result in emerging.items():
        # The per-cell arrays suffice: result.cells would build every cell's polygon.
        cells = pd.DataFrame({k: result.values[k] for k in ("emerging_class", "incident_count")})
        for cls, part in cells.groupby(cells["emerging_class"].astype(str), sort=False):
            if cls == "no_pattern" or not len(part):
                continue
            rows.append(
                {
                    "theme": theme,
                    "pattern": EMERGING_LABELS.get(cls, cls),
                    "cells": len(part),
                    "incidents": int(part["incident_count"].sum()),
                }
            )
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["theme", "cells"], ascending=[True, False], kind="stable")
    return (
        "<h3>Emerging hot spots</h3>"
        '<p class="note">How each grid cell\'s Gi* status changed month by month over the '
        "period (space-time Gi*, Mann-Kendall trend; ESRI's pattern names). New, consecutive "
        "and intensifying hot spots are the ones to task; the map has them as a layer.</p>"
        + table(
            frame,
            {"theme": "Theme", "pattern": "Pattern", "cells": "Cells", "incidents": "Incidents"},
            table_id="emerging",
            empty="No emerging hot spot pattern in the period.",
            formats={"theme": _theme_words(b), "cells": format_count, "incidents": format_count},
        )
    )


def _time_of_day_block(b) -> str:
    """Hour x weekday counts, or why there are none (police.uk: months only); never zeros."""
    tod = b.assessment.time_of_day
    if tod is None:
        return ""
    out = ["<h3>When incidents happen (hour of day and day of week)</h3>"]
    if not tod.has_times:
        out.append(
            '<p class="empty" id="time-of-day">No time-of-day table: '
            f"{html.escape(tod.method.reason)}.</p>"
        )
        return "".join(out)
    frame = tod.table.rename(columns=lambda h: f"{h:02d}").reset_index()
    columns = {"weekday": "Day", **{f"{h:02d}": f"{h:02d}" for h in range(24)}}
    weighted = tod.method.end is not None
    out.append(
        '<p class="note">Incidents per hour (the hour starting at that clock time)'
        + (
            ", incidents known only within a from-to window spread over it by aoristic "
            "weights (Ratcliffe 2002)"
            if weighted
            else ""
        )
        + ".</p>"
    )
    out.append(
        table(
            frame,
            columns,
            table_id="time-of-day",
            empty="No incident has a time.",
            formats={
                c: (format_rate if weighted else format_count) for c in columns if c != "weekday"
            },
        )
    )
    return "".join(out)
