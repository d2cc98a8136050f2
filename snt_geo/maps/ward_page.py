"""The per-ward "strategic profile" page: one self-contained HTML file per ward.

Plain HTML and inline SVG sparklines: no JavaScript, no network, no folium, so the page opens
anywhere (an email attachment, a locked-down force laptop) and prints cleanly. Every text value
taken from the data is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from snt_geo._format import (
    format_change,
    format_count,
    format_percent,
    format_pvalue,
    format_rate,
    is_missing,
)
from snt_geo.profile.profile import (
    WardProfile,
    profile_info,
    profile_locations,
    profile_monthly,
)

__all__ = ["WardPage", "render_ward_page", "DEFAULT_ATTRIBUTION"]

DEFAULT_ATTRIBUTION = (
    "Contains police.uk data and public sector information licensed under the Open Government "
    "Licence v3.0. Contains OS data \u00a9 Crown copyright and database right."
)

_CSS = """
.snt-ward{font-family:Arial,Helvetica,sans-serif;color:#1b1b1b;max-width:980px;margin:0 auto;
  padding:12px}
.snt-ward h1{font-size:1.6em;margin:0 0 4px}
.snt-ward h2{font-size:1.15em;border-bottom:2px solid #1f4e79;padding-bottom:2px;margin-top:22px}
.snt-ward .sub{color:#555;margin:0 0 12px}
.snt-ward .headline{display:flex;flex-wrap:wrap;gap:10px}
.snt-ward .stat{border:1px solid #ccd;border-radius:4px;padding:6px 10px;min-width:140px}
.snt-ward .stat b{display:block;font-size:1.3em}
.snt-ward table{border-collapse:collapse;font-size:.9em;margin:4px 0}
.snt-ward th,.snt-ward td{border-bottom:1px solid #dde;padding:3px 8px;text-align:right}
.snt-ward th:first-child,.snt-ward td:first-child{text-align:left}
.snt-ward td.text,.snt-ward th.text{text-align:left}
.snt-ward .small{color:#888}
.snt-ward .up{color:#b00020}.snt-ward .down{color:#1b7f3b}
.snt-ward .note{font-size:.8em;color:#555}
.snt-ward svg.sparkline{vertical-align:middle}
@media print{.snt-ward{max-width:none}}
"""


def _e(value) -> str:
    """Escape any value for HTML text or an attribute."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num(value, digits: int = 1) -> str:
    """Return a count (``digits=0``) or a rate, escaped; missing as ``n/a``."""
    if not is_missing(value) and digits == 0 and float(value).is_integer():
        return _e(format_count(value))
    return _e(format_rate(value, digits=digits))


def _pct(value) -> str:
    return _e(format_change(value))


def _p(value) -> str:
    return _e(format_pvalue(value))


def _sparkline_svg(
    counts, *, labels=None, width: int = 140, height: int = 28, theme: str = ""
) -> str:
    """Return an inline SVG polyline of monthly counts (no script, escaped title)."""
    values = np.asarray(counts, dtype=float)
    if len(values) == 0:
        return ""
    pad = 2.0
    top = values.max() if values.max() > 0 else 1.0
    xs = np.linspace(pad, width - pad, len(values)) if len(values) > 1 else np.array([width / 2])
    ys = height - pad - (values / top) * (height - 2 * pad)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    labels = list(labels) if labels is not None else [str(i) for i in range(len(values))]
    title = ", ".join(f"{lab}: {int(v)}" for lab, v in zip(labels, values, strict=True))
    last = f'<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="2" fill="#1f4e79"/>' if len(xs) else ""
    return (
        f'<svg class="sparkline" data-theme="{_e(theme)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">'
        f"<title>{_e(title)}</title>"
        f'<polyline fill="none" stroke="#1f4e79" stroke-width="1.5" points="{points}"/>'
        f"{last}</svg>"
    )


@dataclass(frozen=True)
class WardPage:
    """A rendered ward profile page.

    Attributes
    ----------
    ward_code
        The ward it describes.
    body
        The page content: one ``<div class="snt-ward">`` with its own ``<style>``; what
        notebooks show (``_repr_html_``) and what can be embedded in a larger report.
    title
        The document title.
    """

    ward_code: str
    body: str
    title: str

    @property
    def html(self) -> str:
        """A complete, self-contained HTML document."""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(self.title)}</title></head><body>{self.body}</body></html>\n"
        )

    def save(self, path) -> Path:
        """Write :attr:`html` to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.body


def render_ward_page(
    profile: WardProfile,
    ward_code: str,
    *,
    priorities: pd.DataFrame | None = None,
    suggestions: pd.DataFrame | None = None,
    tracking=None,
    themes=None,
    attribution: str = DEFAULT_ATTRIBUTION,
) -> WardPage:
    """Render the strategic profile page of one ward.

    Parameters
    ----------
    profile
        The output of :func:`snt_geo.profile.ward_profile`: a
        :class:`~snt_geo.profile.WardProfile` (its monthly series and key locations are drawn).
    ward_code
        The ward to show (a label of ``profile.wards``' index).
    priorities
        A priority register (:func:`snt_geo.profile.priorities.read_priorities`); its rows for
        this ward are listed as active and closed priorities. Default: none.
    suggestions
        Output of :func:`snt_geo.profile.priorities.suggest_priorities`; this ward's rows are
        listed with their evidence. Default: none.
    tracking
        Problem-solving tracking (:func:`snt_geo.problem_solving.track_plans`, or a
        :class:`~snt_geo.problem_solving.PlanReview`): this ward's plans (stage, days in stage,
        reviews, overdue) and its monthly counts are shown. Default: none.
    themes
        Theme keys for the crime-mix table, in order. Default: every theme in the profile.
    attribution
        Data attribution printed at the foot of the page.

    Returns
    -------
    WardPage
        ``.html`` (a full document), ``.body`` (the fragment), ``.save(path)``, and
        ``_repr_html_`` for notebooks.

    Raises
    ------
    KeyError
        ``ward_code`` is not in ``profile``, or ``profile`` has lost its ``attrs``.

    Notes
    -----
    Sections: headline numbers, demographics, crime mix (count, rate per 1,000, location
    quotients, rank in borough, change against each baseline with its exact-test p-value, a
    monthly sparkline), key locations, priorities and the method note
    (:meth:`~snt_geo.profile.ProfileMethod.describe`). Counts below the profile's
    ``min_count`` are greyed and marked, because their rates and changes are not worth reading.
    """
    info = profile_info(profile)
    frame: pd.DataFrame = profile.wards if isinstance(profile, WardProfile) else profile
    if ward_code not in frame.index:
        raise KeyError(
            f"`ward_code` {ward_code!r} is not in `profile`; e.g. {list(frame.index[:3])}."
        )
    row = frame.loc[[ward_code]].iloc[0]
    keys = list(info.themes) if themes is None else list(themes)
    unknown = [k for k in keys if k not in info.themes]
    if unknown:
        raise ValueError(
            f"`themes` names {unknown}, which the profile does not hold; profiled themes: "
            f"{list(info.themes)}."
        )
    name = row.get("ward_name")
    borough = row.get("borough_name")
    title = f"{name if isinstance(name, str) else ward_code} - ward profile"
    parts = [f'<div class="snt-ward" data-ward-code="{_e(ward_code)}"><style>{_CSS}</style>']
    parts.append(f'<h1 id="ward-name">{_e(name) or _e(ward_code)}</h1>')
    parts.append(
        f'<p class="sub">{_e(ward_code)} &middot; {_e(borough)} &middot; strategic profile for '
        f"{_e(info.period_start)} to {_e(info.period_end)} ({info.n_months} months)</p>"
    )
    parts.append(_headline(frame, row, info))
    parts.append(_demographics(row, info))
    parts.append(_crime_mix(profile, row, ward_code, keys, info))
    parts.append(_locations(profile, ward_code))
    parts.append(_priorities(priorities, suggestions, ward_code))
    parts.append(_problem_solving(tracking, ward_code))
    parts.append(
        f'<h2>Method</h2><p class="note" id="method">{_e(info.describe())}</p>'
        f'<p class="note" id="attribution">{_e(attribution)}</p></div>'
    )
    return WardPage(ward_code=str(ward_code), body="".join(parts), title=title)


def _headline(profile: pd.DataFrame, row: pd.Series, info) -> str:
    in_borough = (profile["borough_code"] == row["borough_code"]).sum()
    rank = row.get("incident_rank_borough")
    rank_text = f"{int(rank)} of {in_borough}" if pd.notna(rank) else "&ndash;"
    stats = [
        ("Residents", _num(row.get("population"), 0)),
        ("Incidents", _num(row["incident_count"], 0)),
        ("Per 1,000 residents", _num(row.get("incident_rate_per_1000"))),
        ("Per 1,000, smoothed", _num(row.get("incident_eb_rate_per_1000"))),
        ("Rank in borough (rate)", rank_text),
    ]
    cells = "".join(f'<div class="stat">{label}<b>{value}</b></div>' for label, value in stats)
    flag = row.get("population_flag")
    note = (
        f'<p class="note">Rates not shown: population {_e(flag).replace("_", " ")}. The smoothed '
        "rate (empirical Bayes) is shown where the ward has any residents.</p>"
        if isinstance(flag, str)
        else ""
    )
    return f'<h2>Headline</h2><div class="headline" id="headline">{cells}</div>{note}'


#: Columns of :func:`snt_geo.io.apportion_deprivation` shown in their own block, with words.
_DEPRIVATION = {
    "imd_score": ("IMD 2019 score (population-weighted mean of the ward's LSOAs)", 1),
    "share_most_deprived_decile": ("Residents in England's most deprived 10% of LSOAs", None),
    "crime_score": ("IMD crime domain score", 2),
    "income_score": ("IMD income domain score (share of residents)", 3),
}


def _deprivation(row: pd.Series, info) -> str:
    shown = [c for c in _DEPRIVATION if c in info.demographic_columns]
    if not shown:
        return ""
    cells = []
    for col in shown:
        label, digits = _DEPRIVATION[col]
        value = row.get(col)
        text = _num(value, digits) if digits is not None else _e(format_percent(value))
        cells.append(f'<tr><td>{_e(label)}</td><td class="text">{text}</td></tr>')
    return (
        f'<h2>Deprivation</h2><table id="deprivation">{"".join(cells)}</table>'
        '<p class="note">English Indices of Deprivation 2019 (MHCLG), apportioned from LSOAs to '
        "the ward by residents (snt_geo.io.apportion_deprivation). Higher scores are more "
        "deprived.</p>"
    )


def _demographics(row: pd.Series, info) -> str:
    cols = ["population", *(c for c in info.demographic_columns if c not in _DEPRIVATION)]
    cells = []
    for col in cols:
        value = row.get(col)
        if col.endswith("year") and not pd.isna(value):
            shown = _e(int(value))  # a year, not a count: no thousands separator
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, bool
        ):
            shown = (
                _num(value, 0 if float(value).is_integer() else 2)
                if not pd.isna(value)
                else "&ndash;"
            )
        else:
            shown = _e(value) or "&ndash;"
        cells.append(f'<tr><td>{_e(col.replace("_", " "))}</td><td class="text">{shown}</td></tr>')
    return f'<h2>Residents</h2><table id="demographics">{"".join(cells)}</table>' + _deprivation(
        row, info
    )


def _crime_mix(profile, row, ward_code, keys, info) -> str:
    monthly = profile_monthly(profile)
    mine = monthly[monthly["ward_code"] == ward_code]
    head = (
        "<tr><th>Theme</th><th>Count</th><th>Per 1,000</th><th>Per 1,000 smoothed</th>"
        "<th>LQ (all wards)</th>"
        "<th>LQ (borough)</th><th>Rank in borough</th>"
    )
    for b, (start, end, _) in info.baselines.items():
        head += f"<th>Change vs {_e(b.replace('_', ' '))}<br>({_e(start)}&ndash;{_e(end)})</th>"
        head += "<th>p</th>"
    head += "<th>Monthly</th></tr>"
    rows = []
    for key in keys:
        small = bool(row[f"{key}_small_number"])
        cls = ' class="small"' if small else ""
        cells = [
            f"<td>{_e(key.replace('_', ' '))}{' *' if small else ''}</td>",
            f"<td>{_num(row[f'{key}_count'], 0)}</td>",
            f"<td>{_num(row[f'{key}_rate_per_1000'])}</td>",
            f"<td>{_num(row.get(f'{key}_eb_rate_per_1000'))}</td>",
            f"<td>{_num(row[f'{key}_lq'], 2)}</td>",
            f"<td>{_num(row[f'{key}_lq_borough'], 2)}</td>",
            f"<td>{_num(row[f'{key}_rank_borough'], 0)}</td>",
        ]
        for b in info.baselines:
            change = row[f"{key}_change_pct_{b}"]
            p = row[f"{key}_p_{b}"]
            direction = ""
            if pd.notna(p) and p < 0.05 and pd.notna(change):
                direction = ' class="up"' if change > 0 else ' class="down"'
            cells.append(f"<td{direction}>{_pct(change)}</td><td>{_p(p)}</td>")
        series = mine[mine["theme"] == key].sort_values("month")
        cells.append(
            "<td>"
            + _sparkline_svg(series["count"], labels=series["month"].astype(str), theme=key)
            + "</td>"
        )
        rows.append(f'<tr data-theme="{_e(key)}"{cls}>{"".join(cells)}</tr>')
    note = (
        f'<p class="note">* fewer than {info.min_count} incidents in the period or a baseline: '
        "read with care. LQ: share of the ward's incidents in the theme over the same share in "
        "all wards (or the borough); above 1 means over-represented. Smoothed: the empirical "
        "Bayes rate, drawn towards the all-wards rate by as much as a small population leaves "
        "the raw rate uncertain. p: exact test of the "
        "change in two Poisson counts; coloured when below 0.05.</p>"
    )
    return f'<h2>Crime mix</h2><table id="crime-mix">{head}{"".join(rows)}</table>{note}'


def _locations(profile, ward_code) -> str:
    locs = profile_locations(profile)
    mine = locs[locs["ward_code"] == ward_code].sort_values("rank")
    if mine.empty:
        return '<h2>Key locations</h2><p id="key-locations">No incidents located in the ward.</p>'
    rows = "".join(
        f'<tr><td>{int(r["rank"])}</td><td class="text">{_e(r["location"]) or "&ndash;"}</td>'
        f"<td>{_e(format_count(r['count']))}</td><td>{_e(format_percent(r['share']))}</td></tr>"
        for _, r in mine.iterrows()
    )
    return (
        '<h2>Key locations</h2><table id="key-locations"><tr><th>#</th><th class="text">Location '
        "(police.uk snap point)</th><th>Incidents</th><th>Share</th></tr>"
        f"{rows}</table>"
    )


def _date(value) -> str:
    return "&ndash;" if value is None or pd.isna(value) else _e(pd.Timestamp(value).date())


def _priorities(priorities, suggestions, ward_code) -> str:
    out = ["<h2>Priorities</h2>"]
    if priorities is None:
        out.append('<p class="note" id="no-register">No priority register given.</p>')
    else:
        mine = priorities[priorities["ward_code"].astype("string") == ward_code]
        for status in ("active", "closed"):
            part = mine[mine["status"] == status]
            if part.empty:
                out.append(f'<p id="{status}-priorities">No {status} priorities.</p>')
                continue
            rows = "".join(
                f"<tr><td>{_e(str(r['theme']).replace('_', ' '))}</td><td>{_date(r['set_on'])}</td>"
                f'<td>{_date(r.get("review_on"))}</td><td class="text">{_e(r.get("source"))}</td>'
                "</tr>"
                for _, r in part.iterrows()
            )
            out.append(
                f'<h3>{status.title()}</h3><table id="{status}-priorities"><tr><th>Theme</th>'
                f"<th>Set on</th><th>Review on</th><th class='text'>Source</th></tr>{rows}</table>"
            )
    if suggestions is not None:
        mine = suggestions[suggestions["ward_code"].astype("string") == ward_code]
        rows = "".join(
            f"<tr><td>{_e(str(r['theme']).replace('_', ' '))}</td><td>{int(r['rank'])}</td>"
            f'<td>{r["score"]:.2f}</td><td class="text">{_e(r["reason"])}</td></tr>'
            for _, r in mine.sort_values("rank").iterrows()
        )
        out.append(
            '<h3>Suggested by the evidence</h3><table id="suggested-priorities"><tr>'
            f"<th>Theme</th><th>Rank</th><th>Score</th><th class='text'>Why</th></tr>{rows}</table>"
        )
    return "".join(out)


def _problem_solving(tracking, ward_code) -> str:
    """Render this ward's problem-solving plans and monthly tracking ("" without tracking)."""
    if tracking is None:
        return ""
    tracking = getattr(tracking, "tracking", tracking)  # a PlanReview holds its tracking
    out = ["<h2>Problem solving</h2>"]
    plans = tracking.plans[tracking.plans["ward_code"].astype("string") == ward_code]
    if plans.empty:
        out.append('<p id="ward-plans">No problem-solving plans for this ward.</p>')
        return "".join(out)
    rows = "".join(
        f"<tr><td class='text'>{_e(pid)}</td><td>{_e(str(r['theme']).replace('_', ' '))}</td>"
        f"<td>{_e(r['stage'])}</td><td>{_num(r['days_in_stage'], 0)}</td>"
        f"<td>{_date(r['last_review_held'])}</td><td>{_date(r['next_review_due'])}</td>"
        f"<td class='text'>{_e(r['overdue_reason']) if r['overdue'] else 'no'}</td></tr>"
        for pid, r in plans.iterrows()
    )
    out.append(
        f'<p class="note">As of {_e(tracking.method.as_of)}.</p><table id="ward-plans"><tr>'
        "<th class='text'>Plan</th><th>Theme</th><th>Stage</th><th>Days in stage</th>"
        "<th>Last review</th><th>Next review due</th><th class='text'>Overdue</th></tr>"
        f"{rows}</table>"
    )
    if ward_code in tracking.wards.index.get_level_values("ward_code"):
        monthly = tracking.wards.xs(ward_code, level="ward_code")
        closed = monthly.filter(like="closed_").sum(axis=1)
        body = "".join(
            f"<tr><td>{_e(month)}</td><td>{int(r['open_plans'])}</td>"
            f"<td>{int(r['scanning'])} / {int(r['analysis'])} / {int(r['response'])} / "
            f"{int(r['assessment'])}</td><td>{_num(r['mean_days_in_stage'], 0)}</td>"
            f"<td>{int(r['overdue_reviews'])}</td><td>{int(r['responses_police'])} / "
            f"{int(r['responses_partner'])} / {int(r['responses_public'])}</td>"
            f"<td>{int(closed[month])}</td></tr>"
            for month, r in monthly.iterrows()
        )
        out.append(
            '<h3>By month</h3><table id="ward-tracking"><tr><th>Month</th><th>Open plans</th>'
            "<th>Scanning / analysis / response / assessment</th><th>Mean days in stage</th>"
            "<th>Overdue reviews</th><th>Responses running: police / partner / public</th>"
            f"<th>Plans closed</th></tr>{body}</table>"
        )
    return "".join(out)
