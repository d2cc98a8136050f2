"""The assessment's steps, one named function each.

Profile, priorities, changes, hotspots, clusters, cross-border hot areas, shared priorities and
ASB-estate links (and the steps added beside them).

Each step takes what it needs and a :class:`StepLog` to which it appends its method-note
paragraph and its (step, parameter, value) rows; :func:`snt_geo.tasking.tasking_assessment`
calls them in order. No presentation here: no folium, no HTML.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo import _dates
from snt_geo._format import format_value
from snt_geo._labels import theme_label, ward_names
from snt_geo._multitest import bh_adjust
from snt_geo._warn import warn_at_caller
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.tasking._records import flatten, record_dict, record_of
from snt_geo.themes import ThemeTable

#: Columns of the priority evidence carried into the priorities table.
EVIDENCE_COLUMNS = (
    "ward_code",
    "theme",
    "rank",
    "count",
    "rate_per_1000",
    "lq",
    "trend",
    "change_pct",
    "p_value",
    "small_number",
    "reason",
)

#: Columns of the changes table, in order.
CHANGE_COLUMNS = (
    "ward_code",
    "ward_name",
    "theme",
    "count",
    "baseline",
    "baseline_count",
    "change_pct",
    "p_value",
    "q_value",
    "significant",
    "small_number",
)

#: Gi* significance level of the briefing's hotspot surfaces (classes 90%, 95%, 99%).
HOTSPOT_ALPHA = 0.10


@dataclass
class StepLog:
    """What the steps ran, in order: method-note paragraphs and parameter rows (private)."""

    notes: list[str] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    records: dict[str, object] = field(default_factory=dict)

    def record(self, step: str, result: object) -> None:
        """Keep the method record (or recorded options) of a step's result."""
        self.records[step] = record_of(result) or record_dict(result)

    def add(self, step: str, parameter: str, value: str) -> None:
        self.rows.append((step, parameter, value))

    def add_dict(self, step: str, values: dict) -> None:
        self.rows += flatten(step, values)

    def add_warnings(self, step: str, caught: list[warnings.WarningMessage]) -> None:
        self.rows += [(step, "warning", str(w.message)) for w in caught]


# --------------------------------------------------------------------------------------------
# Small shared pieces


def month_ordinals(frame: pd.DataFrame) -> np.ndarray:
    """Month ordinals of ``frame['month']`` (:data:`snt_geo._dates.NO_MONTH` where missing)."""
    return _dates.month_ordinals(frame["month"], argument="incidents")


def theme_mask(incidents: pd.DataFrame, theme: str, themes: ThemeTable) -> np.ndarray:
    """Return True for the incidents of ``theme`` (every incident for ``"all"``)."""
    if theme == "all":
        return np.ones(len(incidents), dtype=bool)
    members = set(themes.members(theme))
    return incidents["crime_type"].astype("string").isin(members).fillna(False).to_numpy(bool)


def concat_by_theme(frames: list[gpd.GeoDataFrame], *, key: str) -> gpd.GeoDataFrame:
    """One frame of per-theme frames, indexed ``<theme>-<index>`` (name ``<key>_id``)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(
            {"theme": pd.Series(dtype="string"), "cross_ward": pd.Series(dtype=bool)},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
            crs=WORKING_CRS,
        )
    parts = []
    for f in frames:
        f = f.copy()
        f.index = [f"{t}-{i}" for t, i in zip(f["theme"], f.index, strict=True)]
        f.index.name = f"{key}_id"
        parts.append(gpd.GeoDataFrame(f, geometry="geometry", crs=f.crs).to_crs(WORKING_CRS))
    return gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=WORKING_CRS)


# --------------------------------------------------------------------------------------------
# 1. ward profile


def run_profile(areas, incidents, *, demographics, period, themes, log: StepLog):
    """Return the ward profile (a :class:`~snt_geo.profile.WardProfile`) and its method record."""
    from snt_geo.profile.profile import profile_info, ward_profile

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        profile = ward_profile(
            areas, incidents, demographics=demographics, period=period, themes=themes
        )
    # The profile's account (incidents outside every ward, unmatched demographics) is already in
    # its method record; the warning is shown at the analyst's own call, not in this module.
    for w in caught:
        warn_at_caller(w.message, w.category)
    info = profile_info(profile)
    log.records["ward profile"] = info
    log.notes.append("Ward profile. " + info.describe())
    log.add_dict("ward profile", dict(info.to_frame().itertuples(index=False, name=None)))
    return profile, info


# --------------------------------------------------------------------------------------------
# 2. priorities and their evidence


def candidate_themes(incidents, info, themes: ThemeTable) -> list[str]:
    """Return the primary theme of each crime type present, in the profile's theme order."""
    present = incidents["crime_type"].astype("string").dropna().unique().tolist()
    primary = {themes.primary_theme(c) for c in present if c in themes.crime_types}
    return [t for t in info.themes if t in primary] or list(info.themes)


def read_register(priorities, areas, themes: ThemeTable) -> pd.DataFrame:
    """Return the priority register (a DataFrame or a CSV path), checked for its key columns."""
    from snt_geo.profile.priorities import read_priorities

    if isinstance(priorities, str | Path):
        register = read_priorities(priorities, wards=areas, themes=themes)
    elif isinstance(priorities, pd.DataFrame):
        register = priorities
    else:
        raise TypeError(
            "`priorities` must be a register DataFrame or a CSV path; got "
            f"{type(priorities).__name__}."
        )
    missing = [c for c in ("ward_code", "theme", "status") if c not in register.columns]
    if missing:
        raise SchemaError(
            "`priorities` is not a priority register (snt_geo.profile.priorities).",
            [f"missing column {c!r}" for c in missing],
        )
    return register


def run_priorities(profile, areas, candidates, *, priorities, n_suggested, themes, log: StepLog):
    """Evidence for every candidate theme and the priorities shown and counted.

    Returns ``(evidence, shown, counted, source, statuses)``.
    """
    from snt_geo.profile.priorities import suggest_priorities

    evidence = suggest_priorities(profile, n=max(1, len(candidates)), themes=candidates)
    ev_cols = list(EVIDENCE_COLUMNS)
    if priorities is not None:
        reg = read_register(priorities, areas, themes).copy()
        source, statuses = "register", ("active",)
        reg["ward_code"] = reg["ward_code"].astype("string")
        reg["theme"] = reg["theme"].astype("string")
        active = reg[reg["status"].astype("string").str.lower() == "active"]
        shown = active[
            [c for c in ("ward_code", "theme", "status", "source") if c in active.columns]
        ].merge(
            _register_evidence(profile, evidence, active, candidates)[ev_cols],
            on=["ward_code", "theme"],
            how="left",
        )
        shown = _name_member_themes(shown, themes)
        counted = reg
        log.add("priorities", "source", f"register: {len(active)} active of {len(reg)}")
    else:
        source, statuses = "suggested", ("suggested",)
        counted = evidence[evidence["rank"] <= n_suggested].assign(status="suggested")
        shown = counted[["ward_code", "theme", "status", "source", *ev_cols[2:]]]
        log.add("priorities", "source", f"no register: top {n_suggested} suggestions per ward")
    shown = _order_priorities(shown.rename(columns={"rank": "data_rank"}), _frame(profile), areas)
    log.add("priorities", "candidate_themes", ", ".join(candidates))
    log.add("priorities", "n_suggested", str(n_suggested))
    log.add("priorities", "statuses_counted", ", ".join(statuses))
    return evidence, shown, counted, source, statuses


def _register_evidence(profile, evidence, active, candidates) -> pd.DataFrame:
    """Return the candidates' evidence plus evidence for register themes that are not candidates.

    A panel may hold a member theme (``theft_from_the_person``, in ``street_crime``) that is not
    among the candidate themes; its evidence comes from the profile like any other, with no
    rank among the candidates.
    """
    from snt_geo.profile.priorities import suggest_priorities
    from snt_geo.profile.profile import profile_info

    profiled = set(profile_info(profile).themes)
    extra = sorted(t for t in set(active["theme"].dropna()) - set(candidates) if t in profiled)
    if not extra:
        return evidence
    more = suggest_priorities(profile, n=len(extra), themes=extra)
    more["rank"] = pd.NA
    return pd.concat([evidence, more], ignore_index=True)


def _name_member_themes(shown: pd.DataFrame, themes) -> pd.DataFrame:
    """Evidence of a member theme says so: ``"theft_from_the_person (in street_crime): ..."``."""
    from snt_geo.themes import DEFAULT_THEMES

    table = themes or DEFAULT_THEMES
    member = shown["theme"].map(lambda t: table.group(t) != t).astype(bool)
    if member.any():
        named = shown.loc[member, "theme"].map(table.describe_theme)
        reason = shown["reason"].astype("string")
        shown = shown.assign(
            reason=reason.where(~member, named + ": " + reason.fillna("no incidents in the period"))
        )
    return shown


def _order_priorities(shown: pd.DataFrame, profile, areas) -> pd.DataFrame:
    """Ward names added, rows in ward order then evidence rank, counts from the profile."""
    shown = shown.assign(ward_name=shown["ward_code"].map(ward_names(areas)))
    order = {c: i for i, c in enumerate(areas.index.astype(str))}
    shown = shown.assign(_o=shown["ward_code"].map(order)).sort_values(
        ["_o", "data_rank"], kind="stable", na_position="last"
    )
    shown = shown.drop(columns="_o").reset_index(drop=True)
    # A priority on a theme with no incidents in the period has no suggestion row: its count is
    # the profile's (zero, or NA for a theme the profile does not hold).
    shown["count"] = [
        profile.at[w, f"{t}_count"]
        if f"{t}_count" in profile.columns and w in profile.index
        else pd.NA
        for w, t in zip(shown["ward_code"], shown["theme"], strict=True)
    ]
    no_row = shown["reason"].isna().to_numpy()
    local = pd.isna(pd.Series(shown["count"], dtype="object")).to_numpy()
    shown["reason"] = shown["reason"].astype("string")
    shown.loc[no_row & ~local, "reason"] = "no incidents in the period"
    shown.loc[no_row & local, "reason"] = "not a crime type or theme of the data: no evidence"
    for c in ("data_rank", "count"):
        shown[c] = pd.to_numeric(shown[c]).astype("Int64")
    return shown


# --------------------------------------------------------------------------------------------
# What changed since the last period


def run_changes(profile, info, candidates, names, *, alpha: float, log: StepLog):
    """Ward-theme change tests against the first baseline the data cover, with BH q-values.

    Returns ``(changes, comparison)``; ``comparison`` is None when no baseline is covered.
    """
    comparison = next((b for b, (_, _, c) in info.baselines.items() if c), None)
    changes = change_table(_frame(profile), candidates, comparison, names, alpha)
    if comparison is None:
        log.add("changes", "baseline", "none covered by the data: no change reported")
    else:
        bs, be, _ = info.baselines[comparison]
        log.add("changes", "baseline", f"{comparison}: {bs}..{be}")
        log.add("changes", "test", "exact conditional binomial test of two Poisson counts")
        log.add("changes", "alpha", f"{alpha:.3f}")
        log.add("changes", "q_value", f"Benjamini-Hochberg over {len(changes)} ward-theme tests")
    return changes, comparison


def change_table(profile, candidates, comparison, names, alpha) -> pd.DataFrame:
    """One row per (ward, candidate theme) with a p-value; columns :data:`CHANGE_COLUMNS`."""
    cols = list(CHANGE_COLUMNS)
    if comparison is None:
        return pd.DataFrame({c: [] for c in cols})
    parts = []
    for t in candidates:
        parts.append(
            pd.DataFrame(
                {
                    "ward_code": profile.index.astype(str),
                    "theme": t,
                    "count": profile[f"{t}_count"].to_numpy(),
                    "baseline": comparison,
                    "baseline_count": _floats(profile[f"{t}_count_{comparison}"]),
                    "change_pct": _floats(profile[f"{t}_change_pct_{comparison}"]),
                    "p_value": _floats(profile[f"{t}_p_{comparison}"]),
                    "small_number": profile[f"{t}_small_number"].to_numpy(dtype=bool),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    table = table[table["p_value"].notna()].reset_index(drop=True)
    table["q_value"] = bh_adjust(table["p_value"].to_numpy(float))
    # Significance is judged on the BH q-value the table shows, never on the raw p-value.
    table["significant"] = table["q_value"] < alpha
    table["ward_name"] = table["ward_code"].map(names)
    return table.sort_values(["small_number", "p_value"], kind="stable").reset_index(drop=True)[
        cols
    ]


def _frame(profile) -> pd.DataFrame:
    """Return the one-row-per-ward table of a ward profile (a ``WardProfile`` or its frame)."""
    return getattr(profile, "wards", profile)


def _floats(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=float, na_value=np.nan)


# --------------------------------------------------------------------------------------------
# 3. hotspots


def select_hotspot_themes(current, hotspot_themes, themes, log: StepLog) -> list[str]:
    """Return the hotspot themes with incidents in the period (``["all"]`` when none has)."""
    used = [t for t in hotspot_themes if t == "all" or theme_mask(current, t, themes).any()]
    skipped = [t for t in hotspot_themes if t not in used]
    if not used:
        used = ["all"]
    if skipped:
        log.add("hotspots", "themes_skipped", f"{', '.join(skipped)} (no incidents in the period)")
    log.add("hotspots", "themes", ", ".join(used))
    return used


def run_hotspots(theme_incidents, areas, *, cell_size_m, themes, log: StepLog):
    """Gi* cells of each theme's incidents in the period (theme -> cells)."""
    from snt_geo.linkage.hotspots import find_hotspots

    hotspots: dict[str, gpd.GeoDataFrame] = {}
    for t, sub in theme_incidents.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            cells = find_hotspots(sub, area=areas, cell_size_m=cell_size_m, alpha=HOTSPOT_ALPHA)
        method = cells.attrs["method"]
        hotspots[t] = cells
        log.record(f"hotspots: {t}", cells)
        log.notes.append(f"Hotspots ({theme_label(t, themes)}). " + method.describe())
        log.add_dict(f"hotspots: {t}", method.to_dict())
        log.add_warnings(f"hotspots: {t}", caught)
    return hotspots


def run_emerging(theme_incidents, areas, *, cell_size_m, themes, log: StepLog) -> dict:
    """Emerging hot spots of each theme over the period's months (theme -> EmergingHotspots)."""
    from snt_geo.linkage.emerging import emerging_hotspots

    out = {}
    for t, sub in theme_incidents.items():
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UserWarning)
                result = emerging_hotspots(sub, area=areas, cell_size_m=cell_size_m)
        except ValueError as err:  # e.g. a one-month period: no time series to read
            log.add(f"emerging: {t}", "not run", str(err))
            log.notes.append(f"Emerging hot spots ({theme_label(t, themes)}) not run: {err}")
            continue
        out[t] = result
        log.records[f"emerging: {t}"] = result.method
        log.notes.append(
            f"Emerging hot spots ({theme_label(t, themes)}). " + result.method.describe()
        )
        log.add_dict(f"emerging: {t}", result.method.to_dict())
        log.add_warnings(f"emerging: {t}", caught)
    return out


def run_silent_wards(areas, profile, start, end, *, log: StepLog) -> pd.DataFrame:
    """Wards with no (or implausibly few) incidents beside busy neighbours (snap-point gaps)."""
    from snt_geo.profile.silent_wards import find_silent_wards

    counts = _frame(profile)["incident_count"]
    table = find_silent_wards(areas, counts, period=f"{start}..{end}")
    method = table.attrs["method"]
    log.records["silent wards"] = method
    log.add_dict("silent wards", method.to_dict())
    if method.n_silent:
        log.notes.append(method.describe())
    return table


def run_stop_search(areas, searches, start, end, *, log: StepLog) -> pd.DataFrame | None:
    """Stop and search per ward over the period (None without searches)."""
    if searches is None:
        return None
    from snt_geo.profile.stop_search import stop_search_profile

    table = stop_search_profile(
        areas, searches, months=pd.period_range(str(start), str(end), freq="M")
    )
    method = table.attrs["method"]
    log.records["stop and search"] = method
    log.add_dict("stop and search", {k: v for k, v in method.to_dict().items() if k != "objects"})
    log.notes.append(method.describe())
    return table


#: Repeat locations listed per borough in the assessment.
REPEATS_PER_BOROUGH = 10


def run_repeats(current, areas, *, log: StepLog):
    """Return each borough's busiest snap points in the period (None without month/crime type)."""
    from snt_geo.profile.repeats import find_repeat_locations

    try:
        table = find_repeat_locations(current, areas, top=REPEATS_PER_BOROUGH)
    except (ValueError, KeyError) as err:
        log.add("repeat locations", "not run", str(err))
        return None
    method = table.attrs["method"]
    log.records["repeat locations"] = method
    log.notes.append(method.describe())
    log.add_dict("repeat locations", method.to_dict())
    return table


def run_time_of_day(current, *, log: StepLog):
    """Hour x weekday table of the period's incidents (a "no times" state for police.uk)."""
    from snt_geo.temporal import time_of_day

    result = time_of_day(current)
    log.records["time of day"] = result.method
    log.notes.append(result.method.describe())
    log.add_dict("time of day", result.method.to_dict())
    return result


def run_exceptions(incidents, areas, end, candidates, *, alpha, themes, log: StepLog):
    """Wards above or below their seasonal expected count in the period's last month, or None."""
    from snt_geo.profile.exceptions import find_exceptions

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            result = find_exceptions(
                incidents, areas, month=end, theme_keys=candidates, themes=themes, alpha=alpha
            )
    except (ValueError, ImportError) as err:  # too little history, or no statsmodels
        log.add("exceptions", "not run", str(err))
        log.notes.append(f"Expected counts and exceptions were not computed: {err}")
        return None
    log.records["exceptions"] = result.method
    log.notes.append(result.method.describe())
    log.add_dict("exceptions", result.method.to_dict())
    log.add_warnings("exceptions", caught)
    return result


# --------------------------------------------------------------------------------------------
# 4. clusters


def choose_min_incidents(
    n_incidents: int, total_area_m2: float, distance_m: float, given: int | None
) -> tuple[int, str]:
    """DBSCAN ``min_incidents`` and the rule that chose it.

    Automatic: twice the incidents a disc of ``distance_m`` would hold under an even spread over
    the wards, at least 5.
    """
    if given is not None:
        return int(given), "given"
    expected = n_incidents * math.pi * distance_m**2 / max(total_area_m2, 1.0)
    rule = (
        f"automatic: 2 x {expected:.1f} incidents expected within {distance_m:g} m "
        "under an even spread over the wards, at least 5"
    )
    return max(5, math.ceil(2 * expected)), rule


def run_clusters(theme_incidents, areas, *, distance_m, min_incidents, themes, log: StepLog):
    """DBSCAN of each theme's incidents in the period.

    Returns ``(labels_by_theme, clusters, chosen)``; ``chosen`` maps theme -> (min_incidents,
    rule).
    """
    from snt_geo.linkage.clusters import MIN_HULL_RADIUS_M, cluster_incidents, summarise_clusters

    labels_by_theme: dict[str, pd.Series] = {}
    chosen: dict[str, tuple[int, str]] = {}
    summaries = []
    total_area_m2 = float(areas.geometry.area.sum())
    for t, sub in theme_incidents.items():
        sub = sub[~(sub.geometry.isna() | sub.geometry.is_empty)]
        k, rule = choose_min_incidents(len(sub), total_area_m2, distance_m, min_incidents)
        chosen[t] = (k, rule)
        labels = cluster_incidents(sub, distance_m=distance_m, min_incidents=k)
        labels_by_theme[t] = labels
        n_clusters = int(labels.max() + 1) if len(labels) else 0
        step = f"clusters: {t}"
        log.add(step, "method", "DBSCAN (Ester et al. 1996)")
        log.add(step, "distance_m", format_value(float(distance_m)))
        log.add(step, "min_incidents", str(k))
        log.add(step, "min_incidents_rule", rule)
        log.add(step, "n_clusters", str(n_clusters))
        log.add(step, "noise_incidents", str(int((labels < 0).sum())))
        log.add(
            step,
            "hulls",
            f"convex hulls (summarise_clusters), buffered to {MIN_HULL_RADIUS_M:g} m when thinner",
        )
        with warnings.catch_warnings():
            # Incidents outside every ward are counted in the summary's `outside_wards`.
            warnings.simplefilter("ignore", UserWarning)
            summary = summarise_clusters(sub, labels, wards=areas)
        summary = summary.assign(theme=t)
        if "dominant_theme" not in summary.columns:
            summary["dominant_theme"] = t
        summaries.append(summary)
        log.notes.append(
            f"Clusters ({theme_label(t, themes)}): DBSCAN with radius {distance_m:g} m and "
            f"at least {k} incidents ({rule}); {n_clusters} clusters."
        )
    return labels_by_theme, concat_by_theme(summaries, key="cluster"), chosen


# --------------------------------------------------------------------------------------------
# 5. cross-border hotspots


def run_cross_border(hotspots, areas, log: StepLog) -> gpd.GeoDataFrame:
    """Merge the Gi* hot cells of every theme, with the wards and boroughs they straddle."""
    from snt_geo.linkage.cross_border import flag_cross_border_hotspots

    crosses = []
    for t, cells in hotspots.items():
        cb = flag_cross_border_hotspots(cells, areas).assign(theme=t)
        crosses.append(cb)
        log.record(f"cross-border: {t}", cb)
        log.add_dict(f"cross-border: {t}", record_dict(cb))
    log.notes.append(
        "Cross-border hot areas: touching Gi* hot cells (90% or more) are merged into one hot "
        "area and shared between wards by area; a ward counts when it holds at least 5% of the "
        "hot area."
    )
    return concat_by_theme(crosses, key="hotspot")


# --------------------------------------------------------------------------------------------
# 6. shared priorities


def run_shared(counted, areas, *, min_wards, statuses, themes=None, log: StepLog):
    """Themes held by at least ``min_wards`` wards of a borough, and blocks of touching wards."""
    from snt_geo.linkage.shared_priorities import flag_shared_priorities

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        shared = flag_shared_priorities(
            counted, areas, min_wards=min_wards, statuses=statuses, themes=themes
        )
    recorded = record_dict(shared)
    log.record("shared priorities", shared)
    log.add_dict(
        "shared priorities", {k: v for k, v in recorded.items() if k != "unknown_ward_codes"}
    )
    log.add_warnings("shared priorities", caught)
    log.notes.append(
        f"Shared priorities: a theme held ({'/'.join(statuses)}) by at least {min_wards} wards "
        "of a borough is flagged; groups are blocks of touching wards (queen adjacency, "
        f"{recorded.get('snap_m', 1.0):g} m snapping tolerance)."
    )
    return shared


# --------------------------------------------------------------------------------------------
# 7. ASB-estate links


def links_reason(estates, to_end, themes: ThemeTable) -> str | None:
    """Why the links cannot run (no estates, or no ASB / street crime), or None."""
    if estates is None:
        return "no estates layer given"
    has_asb = theme_mask(to_end, "asb", themes).any() if "asb" in themes.themes else False
    has_street = (
        theme_mask(to_end, "street_crime", themes).any()
        if "street_crime" in themes.themes
        else False
    )
    if not (has_asb and has_street):
        return "the incidents hold no ASB or no street crime (robbery, theft from the person)"
    return None


def run_links(
    to_end, place, months, end, *, near_m, link_m, permutations, alpha, themes, rng, log: StepLog
):
    """ASB near each estate linked to nearby street-crime clusters (every month to ``end``).

    Returns ``(links, estates)``: one row per candidate link, and one row per estate given.
    """
    from snt_geo.linkage.links import link_asb_to_street_crime

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        links = link_asb_to_street_crime(
            to_end,
            place,
            near_m=near_m,
            link_m=link_m,
            permutations=permutations,
            alpha=alpha,
            themes=themes,
            rng=rng,
        )
    first = pd.Period(ordinal=int(months[months != _dates.NO_MONTH].min()), freq="M")
    log.add("links", "incident_window", f"{first}..{end} (every month up to the period end)")
    recorded = record_dict(links)
    log.record("ASB-estate links", links)
    log.add_dict("links", recorded)
    log.add_warnings("links", caught)
    log.notes.append(
        f"ASB-estate links: ASB within {near_m:g} m of each estate; street crime (robbery, "
        f"theft from the person) within {link_m:g} m of that ASB; co-location quotient "
        f"(Leslie & Kronenfeld 2011) tested by {permutations} random relabellings, Holm "
        f"correction across the estates tested, significant at {alpha:g}; street-crime "
        "clusters are DBSCAN clusters of street crime "
        f"({recorded.get('street_cluster_distance_m', 50):g} m, at least "
        f"{recorded.get('street_cluster_min_incidents', 15)} incidents; numbered separately "
        f"from the clusters above); months {first}..{end}. Significance is per estate, so all "
        "candidate street-crime clusters of a significant estate share it."
    )
    return split_links(links)


def split_links(result) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the links table and the per-estate table (index ``estate``) of a ``Links`` result."""
    return result.links, result.estates


def working_estates(estates) -> gpd.GeoDataFrame | None:
    """Return the estates in EPSG:27700 (None stays None)."""
    if estates is None:
        return None
    return to_working_crs(estates, argument="estates", check_bounds=False)


# --------------------------------------------------------------------------------------------
# 8. ward clusters (strategic themes: high-rate wards among high-rate neighbours)


def ward_clusters_reason(profile) -> str | None:
    """Why the ward clusters cannot run (no ward has residents), or None."""
    population = profile.wards["population"]
    if not (pd.to_numeric(population, errors="coerce") > 0).any():
        return "no ward has a population (pass `demographics`), so there are no rates to compare"
    return None


def run_ward_clusters(profile, areas, used, *, permutations, alpha, rng, log: StepLog):
    """Local Moran's I of each hotspot theme's empirical Bayes rate over the wards.

    Runs after the links so that a shared ``rng`` gives the links the numbers it gave before.
    Returns one GeoDataFrame (``theme`` column; index ``<theme>-<ward_code>``) or None.
    """
    from snt_geo.linkage.ward_clusters import find_ward_clusters

    wards = profile.wards
    frames = []
    for theme in used:
        key = "incident" if theme == "all" else theme
        column = f"{key}_eb_rate_per_1000"
        if column not in wards.columns or wards[column].notna().sum() < 3:
            log.add("ward clusters", theme, f"not run: no {column} for 3 or more wards")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            out = find_ward_clusters(
                areas,
                values=wards[column].set_axis(areas.index),
                permutations=permutations,
                alpha=alpha,
                rng=rng,
            )
        log.record(f"ward clusters: {theme}", out)
        log.add_dict(f"ward clusters: {theme}", record_dict(out))
        log.add_warnings("ward clusters", caught)
        frames.append(out.assign(theme=theme, ward_code=areas.index.astype(str)))
    if not frames:
        return None
    log.notes.append(
        "Ward clusters: local Moran's I (Anselin 1995) of each theme's empirical Bayes rate per "
        "1,000 residents (Marshall 1991: small populations shrunk towards the all-wards rate; "
        f"the raw rate would let them dominate) over queen-contiguous wards; {permutations} "
        "conditional permutations, Benjamini-Hochberg FDR across wards, significant at "
        f"{alpha:g}. High-high: a high-rate ward among high-rate neighbours (a strategic, "
        "cross-ward theme); high-low / low-high: a ward out of line with its neighbours."
    )
    return concat_by_theme(frames, key="ward_cluster")
