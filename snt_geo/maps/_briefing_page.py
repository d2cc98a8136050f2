"""The briefing page: the HTML around the map, one function per section.

Every text value reaching the page is HTML-escaped; every number goes through
:mod:`snt_geo._format`, so a p-value or a missing value reads the same in every table and
sentence.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from snt_geo._format import (
    format_change,
    format_count,
    format_percent,
    format_pvalue,
    format_rate,
    format_value,
)
from snt_geo.maps._briefing_map import LINK_CLUSTER_COLUMNS, LINK_SHARE_COLUMNS, first_column
from snt_geo.maps._print import PRINT_CSS, print_map_html
from snt_geo.tasking._steps import ward_names
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
    """An escaped HTML table of ``columns`` (column -> header) of ``frame``.

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
    """The whole self-contained page of briefing ``b`` (its ``html`` still empty)."""
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
        '<nav><a href="#ward-problem-solving">1. Ward problem solving</a>'
        '<a href="#cross-border">2. Cross-border and strategic themes</a>'
        '<a href="#borough-links">3. Links to borough issues</a>'
        '<a href="#method">Method note</a><a href="#caveats">Caveats</a></nav>',
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
    comparison, alpha = b.assessment.method.comparison, b.assessment.method.alpha
    kind = "register (active)" if b.priorities_source == "register" else "data suggestions"
    out = [
        '<section id="ward-problem-solving"><h2>1. Ward problem solving</h2>',
        f"<h3>Priorities and their evidence ({html.escape(kind)})</h3>",
    ]
    if b.priorities_source == "suggested":
        out.append(
            '<p class="note">No priority register was given: these are the strongest themes '
            "by the evidence, for panels to consider, not priorities they have set.</p>"
        )
    out.append(
        table(
            b.priorities,
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
                "data_rank": format_count,
                "count": format_count,
                "rate_per_1000": format_rate,
                "lq": _lq,
            },
        )
    )
    locations = _key_locations(b)
    out.append(
        "<details><summary>Key locations: the busiest police.uk snap points of each ward in "
        "the period</summary>"
        + table(
            locations,
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
    out.append("<h3>What changed since the last period</h3>")
    if comparison is None:
        out.append(
            '<p class="empty" id="changes">The data hold no complete earlier period to compare '
            "with (previous period or a year earlier), so no change is reported.</p>"
        )
    else:
        ch = b.changes
        sig = ch[ch["significant"]]
        out.append(
            f'<p class="note">Against the {html.escape(comparison.replace("_", " "))} baseline: '
            f"{len(sig)} of {len(ch)} ward-theme counts changed at p &lt; "
            f"{alpha:g}"
            f" (exact Poisson test); {int(sig['small_number'].sum())} of those rest on small "
            "numbers and are flagged. q is the Benjamini-Hochberg adjusted p-value across all "
            "the tests.</p>"
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
                    "count": format_count,
                    "baseline_count": format_count,
                    "change_pct": format_change,
                    "p_value": format_pvalue,
                    "q_value": format_pvalue,
                },
            )
        )
    out.append(_problem_solving(b))
    out.append("</section>")
    return "".join(out)


def _date_text(v: object) -> str:
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def _problem_solving(b) -> str:
    """Plans by stage, overdue reviews and evaluations (issue 12), when a register was given."""
    review = getattr(b.assessment, "problem_solving", None)
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
                formats={"days_overdue": format_count, "last_review_held": _date_text},
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
                    "treated_change_pct": format_change,
                    "placebo_change_pct": format_change,
                    "placebo_p_value": format_pvalue,
                    "poisson_p_value": format_pvalue,
                },
            ),
        ]
    )


def _key_locations(b) -> pd.DataFrame:
    from snt_geo.profile.profile import profile_locations

    try:
        locations = pd.DataFrame(profile_locations(b.profile).drop(columns="geometry"))
    except (KeyError, AttributeError):
        return pd.DataFrame()
    if not len(locations):
        return locations
    names = ward_names(b.wards)
    locations = locations[locations["rank"] <= 3]
    return locations.assign(ward_name=locations["ward_code"].astype(str).map(names))


def _section_two(b) -> str:
    names = ward_names(b.wards)
    themes_t = b.shared.themes.copy()
    themes_t["wards"] = [
        ", ".join(names.get(str(c), str(c)) for c in w) for w in themes_t["ward_codes"]
    ]
    themes_t = themes_t.sort_values(["flagged", "n_wards"], ascending=[False, False])
    groups = pd.DataFrame(b.shared.groups.drop(columns="geometry"))
    groups["wards"] = [
        ", ".join(names.get(str(c), str(c)) for c in w) for w in groups["ward_codes"]
    ]
    groups = groups[groups["n_wards"] >= 2].sort_values("n_wards", ascending=False)
    out = [
        '<section id="cross-border"><h2>2. Cross-border issues and strategic themes</h2>',
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
            formats={"share_of_wards": format_percent},
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
        ),
        "<h3>Hotspots that cross ward or borough boundaries</h3>",
    ]
    cross = b.cross_border
    crossing = cross[cross["cross_ward"].fillna(False).astype(bool)] if len(cross) else cross
    if len(crossing):
        crossing = crossing.assign(
            ward_names=[", ".join(names.get(str(c), str(c)) for c in w) for w in crossing["wards"]]
        )
    out.append(
        f'<p class="note">{len(crossing)} of {len(cross)} merged Gi* hotspots cross a ward '
        "boundary.</p>"
    )
    out.append(
        table(
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
            empty="No hotspot crosses a ward boundary.",
        )
    )
    cl = b.clusters
    if len(cl):
        cols = {"theme": "Theme", "incident_count": "Incidents"}
        for c, label in (
            ("dominant_theme_share", "Dominant share"),
            ("first_month", "First month"),
            ("last_month", "Last month"),
            ("density_per_km2", "Incidents per km2"),
            ("wards", "Wards"),
            ("boroughs", "Boroughs"),
        ):
            if c in cl.columns:
                cols[c] = label
        cl = cl.sort_values("incident_count", ascending=False)
        if "wards" in cl.columns:
            cl = cl.assign(
                wards=[
                    tuple(
                        names.get(str(c), str(c))
                        for c in (w if isinstance(w, Sequence) and not isinstance(w, str) else ())
                    )  # noqa: E501
                    for w in cl["wards"]
                ]
            )
        out.append(
            f"<details><summary>Incident clusters ({len(cl)}; largest first)</summary>"
            + table(
                cl.head(50),
                cols,
                table_id="clusters",
                empty="No clusters.",
                formats={"density_per_km2": format_count, "dominant_theme_share": format_percent},
            )
            + "</details>"
        )
    out.append("</section>")
    return "".join(out)


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
    out.append(_links_table(b.links))
    out.append("</section>")
    return "".join(out)


def _link_sentences(links: pd.DataFrame, estates: list[dict]) -> list[str]:
    """One list item per estate: its strongest link in words, or why it has none."""
    share = first_column(links, LINK_SHARE_COLUMNS)
    items = []
    for _, rows in links.groupby("estate", sort=False):
        main = rows.sort_values(share, ascending=False).iloc[0]
        more = len(rows) - 1
        extra = f" ({more} more candidate street-crime clusters in the table.)" if more else ""
        items.append(f"<li>{html.escape(str(main['explanation']))}{html.escape(extra)}</li>")
    for est in estates:
        if not est.get("n_candidate_clusters", est.get("n_candidate_hotspots")):
            name = est.get("estate")
            note = est.get("note") or "no street-crime cluster within reach"
            items.append(f"<li>{html.escape(str(name))}: {html.escape(str(note))}.</li>")
    if not items:
        items.append("<li>No estate has ASB and a street-crime cluster within reach.</li>")
    return items


def _estate_records(b) -> list[dict]:
    """The per-estate rows of the links (every estate tested, with or without a link)."""
    estates = b.assessment.link_estates
    if estates is None or not len(estates):
        return []
    return estates.rename_axis("estate").reset_index().to_dict("records")


def _links_table(links: pd.DataFrame) -> str:
    cluster = first_column(links, LINK_CLUSTER_COLUMNS)
    share = first_column(links, LINK_SHARE_COLUMNS)
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
        table_id="links",
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
    out.append("<h3>Every parameter and automatic choice</h3>")
    out.append(
        table(
            b.parameters,
            {"step": "Step", "parameter": "Parameter", "value": "Value"},
            table_id="parameters",
            empty="",
        )
    )
    out.append("</section>")
    return "".join(out)
