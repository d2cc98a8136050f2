"""The one-call TTCG briefing: profile, hotspots, clusters and linkage flags in one offline page.

:func:`tasking_briefing` runs the whole snt_geo pipeline with recorded defaults and returns a
:class:`Briefing` holding every intermediate table. ``Briefing.save(path)`` writes ONE
self-contained HTML file for the tasking meeting (Leaflet inlined, no CDN, no basemap tiles unless
asked for) laid out around the three things the meeting must do:

1. ward problem solving: priorities and their evidence, and what changed since the last period;
2. cross-border issues and strategic themes: shared priorities and cross-border hotspots;
3. links to borough issues: ASB near estates linked to street-crime hotspots, in plain words.

Every text value reaching the page is HTML-escaped (tables) or set with ``textContent`` (the map),
so a ward, location or estate name such as ``<img src=x onerror=...>`` shows as text.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

if TYPE_CHECKING:
    from snt_geo.linkage.shared_priorities import SharedPriorities

__all__ = ["BRIEFING_STEPS", "ATTRIBUTION", "Briefing", "tasking_briefing"]

#: The steps :func:`tasking_briefing` reports to ``progress``, in order.
BRIEFING_STEPS = (
    "ward profile",
    "priorities",
    "hotspots",
    "clusters",
    "cross-border hotspots",
    "shared priorities",
    "ASB-estate links",
    "map and page",
)

#: Attribution printed on every briefing (Open Government Licence v3.0; OS and ONS data).
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(police.uk crime and ASB data).",
    "Contains OS data (c) Crown copyright and database right.",
    "Contains National Statistics data (c) Crown copyright and database right.",
)

#: Data caveats printed on every briefing.
CAVEATS = (
    "police.uk locations are anonymised snap points: each incident is moved to the nearest of a "
    "fixed set of map points (often the middle of a street), so many incidents share one point "
    "and a point on a street dividing two wards may be counted in either. Hotspots and clusters "
    "describe snap points, not exact addresses.",
    "police.uk dates are months only: changes are month-on-month at best, and 'same time' means "
    "'same month'.",
    "police.uk publishes no ages: 'youth ASB' cannot be separated, so all ASB is used unless the "
    "data carry a youth flag.",
    "Change tests compare two Poisson counts exactly (conditional binomial); p-values are per "
    "ward and theme, read as a screen, not a verdict; counts below the small-number threshold "
    "are flagged and should not be read.",
    "Rates per 1,000 residents ignore workers and visitors; in town centres and the City they "
    "overstate the risk to residents.",
)

#: Extra caveat when the estates layer is the constructed one of the bundled sample.
SAMPLE_ESTATES_CAVEAT = (
    "The estates in the bundled sample are constructed (approximate shapes from street snap "
    "points), and its priority register is made up for the demo: treat the links and priorities "
    "as a demonstration, not as fact."
)

_HOT = ("hot_99", "hot_95", "hot_90")
ProgressCallback = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True, eq=False)
class Briefing:
    """Everything a tasking briefing ran, and the page made from it.

    Attributes
    ----------
    title
        Page title.
    wards
        The wards (EPSG:27700), indexed by ``ward_code``.
    profile
        :func:`snt_geo.profile.profile.ward_profile` output (one row per ward).
    evidence
        :func:`snt_geo.profile.priorities.suggest_priorities` over every candidate theme (all
        ranks, column ``rank``): the evidence behind each (ward, theme).
    priorities
        The priorities shown, one row per (ward, theme): ``ward_code``, ``ward_name``, ``theme``,
        ``status``, ``source``, then the evidence columns ``data_rank``, ``count``,
        ``rate_per_1000``, ``lq``, ``trend``, ``change_pct``, ``p_value``, ``small_number``,
        ``reason``.
    priorities_source
        ``"register"`` (active rows of the register given) or ``"suggested"`` (the top-ranked
        suggestions, no register given).
    changes
        What changed since the last period, one row per (ward, candidate theme) tested:
        ``ward_code``, ``ward_name``, ``theme``, ``count``, ``baseline``, ``baseline_count``,
        ``change_pct``, ``p_value``, ``q_value`` (Benjamini-Hochberg across the rows),
        ``significant`` (``p_value < alpha``), ``small_number``. Empty when no baseline is covered.
    hotspot_themes
        The themes whose Gi* hotspots were computed (``"all"`` means every incident).
    hotspots
        Theme -> Gi* cells of :func:`snt_geo.linkage.hotspots.find_hotspots` (read-only mapping).
    cluster_labels
        Theme -> DBSCAN labels of :func:`snt_geo.linkage.clusters.cluster_incidents`.
    clusters
        One row per cluster (all themes), with a ``theme`` column: the summary of
        :func:`snt_geo.linkage.clusters.summarise_clusters`.
    cross_border
        :func:`snt_geo.linkage.cross_border.flag_cross_border_hotspots` of each theme's Gi* hot
        cells, concatenated with a ``theme`` column; index ``(theme, hotspot)`` flattened to a
        string ``hotspot_id``.
    shared
        :class:`snt_geo.linkage.shared_priorities.SharedPriorities`.
    links
        :func:`snt_geo.linkage.links.link_asb_to_street_crime` output, or None (no estates, or
        no ASB / street crime in the data; the method note says which).
    estates
        The estates given (EPSG:27700), or None.
    parameters
        Every parameter and automatic choice: ``step``, ``parameter``, ``value`` (strings).
    method_note
        Paragraphs of the method note.
    caveats, attribution
        Lines printed on the page.
    map_layers
        The :class:`~snt_geo.maps.layers.MapLayer` objects drawn, bottom first.
    html
        The complete, self-contained page.
    """

    title: str
    wards: gpd.GeoDataFrame = field(repr=False)
    profile: gpd.GeoDataFrame = field(repr=False)
    evidence: pd.DataFrame = field(repr=False)
    priorities: pd.DataFrame = field(repr=False)
    priorities_source: str
    changes: pd.DataFrame = field(repr=False)
    hotspot_themes: tuple[str, ...]
    hotspots: Mapping[str, gpd.GeoDataFrame] = field(repr=False)
    cluster_labels: Mapping[str, pd.Series] = field(repr=False)
    clusters: gpd.GeoDataFrame = field(repr=False)
    cross_border: gpd.GeoDataFrame = field(repr=False)
    shared: SharedPriorities = field(repr=False)
    links: gpd.GeoDataFrame | None = field(repr=False)
    estates: gpd.GeoDataFrame | None = field(repr=False)
    parameters: pd.DataFrame = field(repr=False)
    method_note: tuple[str, ...] = field(repr=False)
    caveats: tuple[str, ...] = field(repr=False)
    attribution: tuple[str, ...] = field(repr=False)
    map_layers: tuple = field(repr=False)
    html: str = field(repr=False)

    def save(self, path) -> Path:
        """Write the page to ``path`` (UTF-8): one self-contained HTML file, no network needed.

        Raises
        ------
        FileNotFoundError
            When the parent folder of ``path`` does not exist.
        """
        from snt_geo.maps.offline import save_offline_html

        path = Path(path)
        if not path.parent.exists():
            raise FileNotFoundError(
                f"`path` {str(path)!r}: folder {str(path.parent)!r} does not exist; create it "
                "first or choose another path."
            )
        return save_offline_html(self.html, path)

    def summary(self) -> str:
        """Three lines: one per thing the meeting must do."""
        return "\n".join(_headlines(self))

    def _repr_html_(self) -> str:
        # The page in an iframe: its scripts and styles stay isolated from the notebook's.
        return (
            '<iframe style="width:100%;height:900px;border:1px solid #ccc" sandbox="allow-scripts" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return (
            f"Briefing({self.title!r}, wards={len(self.wards)}, "
            f"priorities={len(self.priorities)} ({self.priorities_source}), "
            f"hotspot_themes={list(self.hotspot_themes)}, clusters={len(self.clusters)}, "
            f"cross_border={int(self.cross_border['cross_ward'].sum()) if len(self.cross_border) else 0}, "  # noqa: E501
            f"links={0 if self.links is None else int(self.links['significant'].sum())} "
            f"significant, html={len(self.html.encode('utf-8')):,} bytes)"
        )


# --------------------------------------------------------------------------------------------
# Helpers


def _months(frame: pd.DataFrame) -> np.ndarray:
    """Month ordinals of ``frame['month']``; -1 where missing."""
    values = frame["month"]
    if isinstance(values.dtype, pd.PeriodDtype):
        arr = values.array
    else:
        arr = pd.to_datetime(values.astype("string"), errors="coerce").dt.to_period("M").array
    out = arr.asi8.copy()
    out[arr.isna()] = -1
    return out


def _theme_mask(incidents: pd.DataFrame, theme: str, themes: ThemeTable) -> np.ndarray:
    if theme == "all":
        return np.ones(len(incidents), dtype=bool)
    members = set(themes.members(theme))
    return incidents["crime_type"].astype("string").isin(members).fillna(False).to_numpy(bool)


def _fmt(v: object, digits: int = 2) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return ""
        if v != 0 and abs(v) < 0.001:
            return f"{v:.1e}"
        return f"{v:,.{digits}f}"
    if isinstance(v, Mapping):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list | tuple | set | frozenset | np.ndarray):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _e(v: object, digits: int = 2) -> str:
    return html.escape(_fmt(v, digits), quote=True)


def _table(
    frame: pd.DataFrame, columns: Mapping[str, str], *, table_id: str, empty: str, digits=None
) -> str:
    """An escaped HTML table of ``columns`` (column -> header) of ``frame``."""
    if frame is None or len(frame) == 0:
        return f'<p class="empty" id="{html.escape(table_id)}">{html.escape(empty)}</p>'
    digits = digits or {}
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape(columns[c])}</th>" for c in cols)
    rows = []
    for rec in frame[cols].itertuples(index=False, name=None):
        cells = "".join(
            f"<td>{_e(v, digits.get(c, 2))}</td>" for c, v in zip(cols, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _flatten(step: str, value: object, prefix: str = "") -> list[tuple[str, str, str]]:
    """(step, parameter, value) rows for a parameter dict, nested dicts flattened."""
    rows = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            rows += _flatten(
                step, v, f"{prefix}{k}." if isinstance(v, Mapping) else prefix + str(k)
            )
        return rows
    if value is None:
        text = "none"
    elif isinstance(value, float | np.floating) and not math.isnan(value):
        text = f"{float(value):,.6g}"
    else:
        text = _fmt(value, 4) if not isinstance(value, str) else value
    if len(text) > 300:
        text = text[:297] + "..."
    return [(step, prefix.rstrip("."), text)]


def _ward_names(wards: pd.DataFrame) -> dict[str, str]:
    if "ward_name" not in wards.columns:
        return {str(k): str(k) for k in wards.index}
    return {
        str(k): (str(v) if isinstance(v, str) and v else str(k))
        for k, v in wards["ward_name"].items()
    }


# --------------------------------------------------------------------------------------------
# The pipeline


def tasking_briefing(
    wards: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    demographics: pd.DataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    priorities: pd.DataFrame | str | Path | None = None,
    period=None,
    themes: ThemeTable | None = None,
    hotspot_themes: Sequence[str] = ("street_crime", "asb"),
    cell_size_m: float | None = None,
    cluster_distance_m: float = 100.0,
    cluster_min_incidents: int | None = None,
    min_wards: int = 3,
    n_suggested: int = 3,
    near_m: float = 100.0,
    link_m: float = 400.0,
    permutations: int = 999,
    alpha: float = 0.05,
    title: str | None = None,
    attribution: Sequence[str] = ATTRIBUTION,
    tiles: str | None = None,
    sample_caveat: bool = False,
    rng: np.random.Generator | int | None = None,
    progress: ProgressCallback | None = None,
) -> Briefing:
    """Run profile, hotspots, clusters and linkage for a tasking meeting and lay out the page.

    Parameters
    ----------
    wards
        The wards schema (:func:`snt_geo.io.read_wards`): index ``ward_code``, ``ward_name``,
        ``borough_code``, ``borough_name``; polygons in any labelled CRS.
    incidents
        The incidents schema (:func:`snt_geo.io.read_police_uk`): points with a CRS, ``month``,
        ``crime_type`` (``location`` used for key locations when present). Pass every crime type:
        the others are the background of the link test.
    demographics
        Residents per ward (:func:`snt_geo.io.read_demographics`). Default None: no rates.
    estates
        Estates (:func:`snt_geo.io.read_estates`): with a ``name`` column; polygons or points.
        Default None: no ASB-estate links (the page says so).
    priorities
        The priority register (a DataFrame in the register schema, or a CSV path read with
        :func:`snt_geo.profile.priorities.read_priorities`); its ``active`` rows are the
        priorities shown and the ones counted as shared. Default None: the top ``n_suggested``
        data suggestions per ward (:func:`~snt_geo.profile.priorities.suggest_priorities`) are
        shown and counted instead, and the page says they are suggestions.
    period
        Months briefed, as in :func:`~snt_geo.profile.profile.ward_profile` (``(first, last)``
        ``'YYYY-MM'`` strings). Default: the last 12 complete months in the data. Hotspots and
        clusters use the period; the links use every month up to the period's end (co-location
        and timing need more months than one period).
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    hotspot_themes
        Themes for Gi* hotspots and clusters, each on its own. Default ``("street_crime",
        "asb")``, the two the meeting links. Themes without incidents in the period are skipped;
        if none is left, every incident is used (theme ``"all"``). Pass ``("all",)`` for one
        surface of every incident.
    cell_size_m
        Gi* cell size; default None: :func:`~snt_geo.linkage.hotspots.find_hotspots`' rule
        (shorter side of the wards' bounding box / 50, rounded down to 10 m).
    cluster_distance_m
        DBSCAN radius in metres (default 100).
    cluster_min_incidents
        DBSCAN ``min_incidents``; default None: twice the incidents a disc of
        ``cluster_distance_m`` would hold if the theme's incidents were spread evenly over the
        wards, at least 5 (recorded per theme).
    min_wards
        A theme held by at least this many wards of a borough is a shared priority (default 3).
    n_suggested
        Suggestions per ward when no register is given (default 3, the panel minimum).
    near_m, link_m, permutations
        As in :func:`~snt_geo.linkage.links.link_asb_to_street_crime` (defaults 100 m, 400 m,
        999).
    alpha
        Significance level for changes and links (default 0.05).
    title
        Page title; default ``"Tasking briefing: <boroughs>, <period>"``.
    attribution
        Attribution lines printed at the foot of the page and on the map.
    tiles
        None (default, offline): no basemap, the ward outlines are the base. ``"OpenStreetMap"``
        or ``"CartoDB positron"`` add online tiles (they load only with a network).
    sample_caveat
        Add the caveat that the estates and the register are the constructed ones of the bundled
        sample (set by ``snt-geo demo`` and the examples).
    rng
        Seed or ``numpy.random.Generator`` for the link permutations.
    progress
        Called as ``progress(step, done, total)`` before each of :data:`BRIEFING_STEPS` and once
        at the end (``done == total``); e.g. to drive a progress bar.

    Returns
    -------
    Briefing
        Every intermediate table as an attribute, the method note, and the page (``.html``,
        ``.save(path)``, ``_repr_html_``).

    Raises
    ------
    SchemaError, CRSError
        From the steps, for inputs outside their schemas.
    ValueError
        For an invalid option (the message names it).

    Notes
    -----
    Steps and their methods: ward profile with exact Poisson change tests
    (:func:`~snt_geo.profile.profile.ward_profile`); priorities from the register, with their
    evidence from :func:`~snt_geo.profile.priorities.suggest_priorities`; Gi* hotspots (Ord &
    Getis 1995, Benjamini-Hochberg FDR); DBSCAN clusters (Ester et al. 1996); cross-border
    shares of merged hot cells by area; shared priorities as connected components of queen
    adjacency; ASB-estate links by the co-location quotient (Leslie & Kronenfeld 2011) with a
    permutation test and Holm correction. Candidate priority themes are the primary theme of each
    crime type present (``asb``, ``street_crime``, then one per other crime type), so composite
    and member themes are not double counted.
    """
    from snt_geo.linkage.clusters import (
        MIN_HULL_RADIUS_M,
        cluster_incidents,
        summarise_clusters,
    )
    from snt_geo.linkage.cross_border import flag_cross_border_hotspots
    from snt_geo.linkage.hotspots import find_hotspots
    from snt_geo.linkage.shared_priorities import flag_shared_priorities
    from snt_geo.profile.priorities import read_priorities, suggest_priorities
    from snt_geo.profile.profile import profile_info, ward_profile

    themes = themes or DEFAULT_THEMES
    if isinstance(hotspot_themes, str):
        hotspot_themes = (hotspot_themes,)
    unknown = [t for t in hotspot_themes if t != "all" and t not in themes.themes]
    if unknown or not hotspot_themes:
        raise ValueError(
            f"`hotspot_themes` must name themes of `themes` (e.g. 'street_crime', 'asb') or "
            f"'all'; got {list(hotspot_themes)!r}."
        )
    for name, value in (("cluster_distance_m", cluster_distance_m), ("near_m", near_m)):
        if not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"`{name}` must be a positive number of metres; got {value!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be between 0 and 1; got {alpha!r}.")
    if priorities is not None and not isinstance(priorities, pd.DataFrame | str | Path):
        raise TypeError(
            "`priorities` must be a register DataFrame or a CSV path; got "
            f"{type(priorities).__name__}."
        )
    total = len(BRIEFING_STEPS)

    def step(i: int) -> None:
        if progress is not None:
            progress(BRIEFING_STEPS[i], i, total)

    params: list[tuple[str, str, str]] = []
    notes: list[str] = []
    areas = to_working_crs(wards, argument="wards", check_bounds=False)
    names = _ward_names(areas)

    # 1. ward profile ---------------------------------------------------------------------------
    step(0)
    profile = ward_profile(
        areas, incidents, demographics=demographics, period=period, themes=themes
    )
    info = profile_info(profile)
    notes.append("Ward profile. " + info.summary())
    params += _flatten("ward profile", dict(info.to_frame().itertuples(index=False, name=None)))
    start, end = info.period_start, info.period_end

    # 2. priorities and their evidence ----------------------------------------------------------
    step(1)
    present = incidents["crime_type"].astype("string").dropna().unique().tolist()
    primary = {themes.primary_theme(c) for c in present if c in themes.crime_types}
    candidates = [t for t in info.themes if t in primary] or list(info.themes)
    evidence = suggest_priorities(profile, n=max(1, len(candidates)), themes=candidates)
    ev_cols = [
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
    ]
    if priorities is not None:
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
        source_kind = "register"
        statuses = ("active",)
        reg = register.copy()
        reg["ward_code"] = reg["ward_code"].astype("string")
        reg["theme"] = reg["theme"].astype("string")
        active = reg[reg["status"].astype("string").str.lower() == "active"]
        shown = active[
            [c for c in ("ward_code", "theme", "status", "source") if c in active.columns]
        ].merge(evidence[ev_cols], on=["ward_code", "theme"], how="left")
        shown = shown.rename(columns={"rank": "data_rank"})
        counted = reg
        params.append(("priorities", "source", f"register: {len(active)} active of {len(reg)}"))
    else:
        source_kind = "suggested"
        statuses = ("suggested",)
        counted = evidence[evidence["rank"] <= n_suggested].assign(status="suggested")
        shown = counted[["ward_code", "theme", "status", "source", *ev_cols[2:]]]
        shown = shown.rename(columns={"rank": "data_rank"})
        params.append(
            ("priorities", "source", f"no register: top {n_suggested} suggestions per ward")
        )
    shown = shown.assign(ward_name=shown["ward_code"].map(names))
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
    shown["reason"] = shown["reason"].astype("string").fillna("no incidents in the period")
    for c in ("data_rank", "count"):
        shown[c] = pd.to_numeric(shown[c]).astype("Int64")
    params += [
        ("priorities", "candidate_themes", ", ".join(candidates)),
        ("priorities", "n_suggested", str(n_suggested)),
        ("priorities", "statuses_counted", ", ".join(statuses)),
    ]

    # what changed: the first covered baseline
    comparison = next((b for b, (_, _, c) in info.baselines.items() if c), None)
    changes = _changes(profile, candidates, comparison, names, alpha)
    if comparison is None:
        params.append(("changes", "baseline", "none covered by the data: no change reported"))
    else:
        bs, be, _ = info.baselines[comparison]
        params += [
            ("changes", "baseline", f"{comparison}: {bs}..{be}"),
            ("changes", "test", "exact conditional binomial test of two Poisson counts"),
            ("changes", "alpha", _fmt(alpha, 3)),
            ("changes", "q_value", f"Benjamini-Hochberg over {len(changes)} ward-theme tests"),
        ]

    # 3. hotspots ------------------------------------------------------------------------------
    step(2)
    months = _months(incidents)
    in_period = (months >= start.ordinal) & (months <= end.ordinal)
    current = incidents[in_period]
    used_themes = [t for t in hotspot_themes if t == "all" or _theme_mask(current, t, themes).any()]
    skipped = [t for t in hotspot_themes if t not in used_themes]
    if not used_themes:
        used_themes = ["all"]
    if skipped:
        params.append(
            ("hotspots", "themes_skipped", f"{', '.join(skipped)} (no incidents in the period)")
        )
    params.append(("hotspots", "themes", ", ".join(used_themes)))
    hotspots: dict[str, gpd.GeoDataFrame] = {}
    theme_incidents: dict[str, gpd.GeoDataFrame] = {}
    for t in used_themes:
        sub = current[_theme_mask(current, t, themes)]
        theme_incidents[t] = sub
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            cells = find_hotspots(sub, area=areas, cell_size_m=cell_size_m, alpha=0.10)
        method = cells.attrs["method"]
        hotspots[t] = cells
        notes.append(f"Hotspots ({_label(t, themes)}). " + method.describe())
        params += _flatten(f"hotspots: {t}", {k: v for k, v in method.to_dict().items()})
        for w in caught:
            params.append((f"hotspots: {t}", "warning", str(w.message)))

    # 4. clusters ------------------------------------------------------------------------------
    step(3)
    labels_by_theme: dict[str, pd.Series] = {}
    summaries = []
    total_area_m2 = float(areas.geometry.area.sum())
    for t in used_themes:
        sub = theme_incidents[t]
        sub = sub[~(sub.geometry.isna() | sub.geometry.is_empty)]
        if cluster_min_incidents is None:
            expected = len(sub) * math.pi * cluster_distance_m**2 / max(total_area_m2, 1.0)
            k = max(5, math.ceil(2 * expected))
            rule = (
                f"automatic: 2 x {expected:.1f} incidents expected within {cluster_distance_m:g} m "
                "under an even spread over the wards, at least 5"
            )
        else:
            k, rule = int(cluster_min_incidents), "given"
        labels = cluster_incidents(sub, distance_m=cluster_distance_m, min_incidents=k)
        labels_by_theme[t] = labels
        n_clusters = int(labels.max() + 1) if len(labels) else 0
        params += [
            (f"clusters: {t}", "method", "DBSCAN (Ester et al. 1996)"),
            (f"clusters: {t}", "distance_m", _fmt(cluster_distance_m)),
            (f"clusters: {t}", "min_incidents", str(k)),
            (f"clusters: {t}", "min_incidents_rule", rule),
            (f"clusters: {t}", "n_clusters", str(n_clusters)),
            (f"clusters: {t}", "noise_incidents", str(int((labels < 0).sum()))),
            (
                f"clusters: {t}",
                "hulls",
                f"convex hulls (summarise_clusters), buffered to {MIN_HULL_RADIUS_M:g} m when "
                "thinner",
            ),
        ]
        with warnings.catch_warnings():
            # Incidents outside every ward are counted in the summary's `outside_wards`.
            warnings.simplefilter("ignore", UserWarning)
            summary = summarise_clusters(sub, labels, wards=areas)
        summary = summary.assign(theme=t)
        if "dominant_theme" not in summary.columns:
            summary["dominant_theme"] = t
        summaries.append(summary)
        notes.append(
            f"Clusters ({_label(t, themes)}): DBSCAN with radius {cluster_distance_m:g} m and "
            f"at least {k} incidents ({rule}); {n_clusters} clusters."
        )
    clusters = _concat(summaries, key="cluster")

    # 5. cross-border hotspots -----------------------------------------------------------------
    step(4)
    crosses = []
    for t, cells in hotspots.items():
        cb = flag_cross_border_hotspots(cells, areas)
        cb = cb.assign(theme=t)
        crosses.append(cb)
        params += _flatten(f"cross-border: {t}", cb.attrs.get("parameters", {}))
    cross = _concat(crosses, key="hotspot")
    notes.append(
        "Cross-border hotspots: touching Gi* hot cells (90% or more) are merged into one hotspot "
        "and shared between wards by area; a ward counts when it holds at least 5% of the "
        "hotspot."
    )

    # 6. shared priorities ---------------------------------------------------------------------
    step(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        shared = flag_shared_priorities(counted, areas, min_wards=min_wards, statuses=statuses)
    params += _flatten(
        "shared priorities",
        {k: v for k, v in shared.parameters.items() if k not in ("unknown_ward_codes",)},
    )
    for w in caught:
        params.append(("shared priorities", "warning", str(w.message)))
    notes.append(
        f"Shared priorities: a theme held ({'/'.join(statuses)}) by at least {min_wards} wards "
        "of a borough is flagged; groups are blocks of touching wards (queen adjacency, "
        f"{shared.parameters.get('snap_m', 1.0):g} m snapping tolerance). On the map each "
        "flagged theme is its own layer, ordered by its number of wards; street crime and ASB "
        f"(when flagged), then the largest, are on at opening, {PRIORITY_THEMES_SHOWN} at most; "
        "groups are outlined over a light fill and cross-borough groups are dashed."
    )

    # 7. links --------------------------------------------------------------------------------
    step(6)
    links, link_reason = None, None
    if estates is None:
        link_reason = "no estates layer given"
    else:
        to_end = incidents[(months >= 0) & (months <= end.ordinal)]
        has_asb = _theme_mask(to_end, "asb", themes).any() if "asb" in themes.themes else False
        has_street = (
            _theme_mask(to_end, "street_crime", themes).any()
            if "street_crime" in themes.themes
            else False
        )
        if not (has_asb and has_street):
            link_reason = (
                "the incidents hold no ASB or no street crime (robbery, theft from the person)"
            )
        else:
            from snt_geo.linkage.links import link_asb_to_street_crime

            place = to_working_crs(estates, argument="estates", check_bounds=False)
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
            first = pd.Period(ordinal=int(months[months >= 0].min()), freq="M")
            params.append(
                ("links", "incident_window", f"{first}..{end} (every month up to the period end)")
            )
            params += _flatten(
                "links", {k: v for k, v in links.attrs.get("parameters", {}).items()}
            )
            lp = links.attrs.get("parameters", {})
            for w in caught:
                params.append(("links", "warning", str(w.message)))
            notes.append(
                f"ASB-estate links: ASB within {near_m:g} m of each estate; street crime (robbery, "
                f"theft from the person) within {link_m:g} m of that ASB; co-location quotient "
                f"(Leslie & Kronenfeld 2011) tested by {permutations} random relabellings, Holm "
                f"correction across the estates tested, significant at {alpha:g}; street-crime "
                "hotspots are DBSCAN clusters of street crime "
                f"({lp.get('hotspot_distance_m', 50):g} m, at least "
                f"{lp.get('hotspot_min_incidents', 15)} incidents; numbered separately from the "
                f"clusters above); months {first}..{end}. Significance is per estate, so all "
                "candidate hotspots of a significant estate share it; on the map a link's width "
                "shows its hotspot's share of the distance-weighted street crime near the "
                f"estate's ASB, and links under {LINK_MIN_SHARE:.0%} are left to the table."
            )
    if link_reason:
        params.append(("links", "not run", link_reason))
        notes.append(f"ASB-estate links were not run: {link_reason}.")

    # 8. map and page --------------------------------------------------------------------------
    step(7)
    caveats = CAVEATS + ((SAMPLE_ESTATES_CAVEAT,) if sample_caveat else ())
    boroughs = sorted(
        {str(b) for b in areas.get("borough_name", pd.Series(dtype=str)).dropna().unique()}
    )
    if title is None:
        where = ", ".join(boroughs[:3]) + (
            f" and {len(boroughs) - 3} more" if len(boroughs) > 3 else ""
        )
        title = f"Tasking briefing: {where or 'wards'}, {start} to {end}"
    layers, layer_params = _layers(
        areas, profile, hotspots, clusters, cross, shared, estates, links, themes
    )
    params += layer_params
    params.append(("map", "tiles", tiles or "none (offline; ward outlines are the base)"))
    briefing = Briefing(
        title=title,
        wards=areas,
        profile=profile,
        evidence=evidence,
        priorities=shown,
        priorities_source=source_kind,
        changes=changes,
        hotspot_themes=tuple(used_themes),
        hotspots=MappingProxyType(hotspots),
        cluster_labels=MappingProxyType(labels_by_theme),
        clusters=clusters,
        cross_border=cross,
        shared=shared,
        links=links,
        estates=None if estates is None else to_working_crs(estates, argument="estates"),
        parameters=pd.DataFrame(params, columns=["step", "parameter", "value"]),
        method_note=tuple(notes),
        caveats=tuple(caveats),
        attribution=tuple(attribution),
        map_layers=tuple(layers),
        html="",
    )
    page = _page(briefing, tiles=tiles, period=(start, end), comparison=comparison, alpha=alpha)
    object.__setattr__(briefing, "html", page)
    if progress is not None:
        progress("done", total, total)
    return briefing


def _label(theme: str, themes: ThemeTable) -> str:
    if theme == "all":
        return "all incidents"
    members = themes.members(theme)
    words = theme.replace("_", " ")
    if len(members) > 1 or members[0].lower() != words.lower():
        return f"{words}: {', '.join(members).lower()}"
    return words


def _concat(frames: list[gpd.GeoDataFrame], *, key: str) -> gpd.GeoDataFrame:
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


def _changes(profile, candidates, comparison, names, alpha) -> pd.DataFrame:
    cols = [
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
    ]
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
                    "baseline_count": profile[f"{t}_count_{comparison}"].to_numpy(
                        dtype=float, na_value=np.nan
                    ),
                    "change_pct": profile[f"{t}_change_pct_{comparison}"].to_numpy(
                        dtype=float, na_value=np.nan
                    ),
                    "p_value": profile[f"{t}_p_{comparison}"].to_numpy(
                        dtype=float, na_value=np.nan
                    ),
                    "small_number": profile[f"{t}_small_number"].to_numpy(dtype=bool),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    table = table[table["p_value"].notna()].reset_index(drop=True)
    table["q_value"] = (
        false_discovery_control(table["p_value"].to_numpy()) if len(table) else np.zeros(0)
    )
    table["significant"] = table["p_value"] < alpha
    table["ward_name"] = table["ward_code"].map(names)
    return table.sort_values(["small_number", "p_value"], kind="stable").reset_index(drop=True)[
        cols
    ]


# --------------------------------------------------------------------------------------------
# Map


def _layers(areas, profile, hotspots, clusters, cross, shared, estates, links, themes):
    from snt_geo.maps.layers import (
        draw_cluster_hulls,
        draw_estates,
        draw_hotspot_cells,
        draw_links,
        draw_priority_themes,
        draw_ward_choropleth,
        draw_ward_outlines,
    )

    names = _ward_names(areas)
    layers, params = [], []
    layers.append(draw_ward_outlines(areas))
    rate = profile["incident_rate_per_1000"]
    # Rates only where most wards have a usable population; else counts (recorded).
    column = "incident_rate_per_1000" if rate.notna().mean() >= 0.5 else "incident_count"
    layers.append(
        draw_ward_choropleth(
            profile,
            column=column,
            name="Incidents per ward (period)",
            tooltip=["ward_name", "incident_count", column],
            show=False,
        )
    )
    params.append(
        (
            "map",
            "choropleth",
            f"{column}, quantiles, 5 classes (rates when at least half the wards have a "
            "usable population, else counts)",
        )
    )
    flagged = set(shared.themes.loc[shared.themes["flagged"], "theme"].astype(str))
    groups = shared.groups[shared.groups["theme"].astype(str).isin(flagged)]
    if len(groups):
        groups = groups.assign(
            ward_names=[
                ", ".join(names.get(str(c), str(c)) for c in g) for g in groups["ward_codes"]
            ]
        )
        # One layer per flagged theme: filled groups of every theme at once cover the borough.
        theme_layers = draw_priority_themes(
            groups,
            n_shown=PRIORITY_THEMES_SHOWN,
            popup=("theme", "n_wards", "ward_names", "cross_borough"),
            labels={"ward_names": "wards"},
        )
        layers += theme_layers
        shown = [t.info.choices["theme"] for t in theme_layers if t.info.choices["shown"]]
        params.append(
            (
                "map",
                "shared priority layers",
                f"one per flagged theme ({len(theme_layers)}), ordered by wards; on when the map "
                f"opens: {', '.join(shown) or 'none'} (street crime and ASB first when flagged, "
                f"then most wards, {PRIORITY_THEMES_SHOWN} at most); outlines over a light fill, "
                "cross-borough groups dashed",
            )
        )
    for i, (t, cells) in enumerate(hotspots.items()):
        layers.append(
            draw_hotspot_cells(cells, name=f"Gi* hotspots: {_label(t, themes)}", show=i == 0)
        )
    crossing = cross[cross["cross_ward"].fillna(False).astype(bool)] if len(cross) else cross
    if len(crossing):
        crossing = crossing.assign(
            dominant_theme=crossing["theme"],
            ward_names=[", ".join(names.get(str(c), str(c)) for c in w) for w in crossing["wards"]],
        )
        layers.append(
            draw_cluster_hulls(
                crossing,
                name="Cross-border hotspots",
                tooltip=("dominant_theme", "ward_names"),
                popup=("dominant_theme", "explanation"),
                labels={"ward_names": "wards"},
                fill_opacity=0.1,
            )
        )
    if len(clusters):
        layers.append(
            draw_cluster_hulls(
                clusters.assign(dominant_theme=clusters["theme"]),
                name="Incident clusters (DBSCAN)",
                show=False,
            )
        )
    if estates is not None and len(estates):
        est = estates if "name" in estates.columns else estates.assign(name=estates.index)
        layers.append(draw_estates(est))
    if links is not None and len(links):
        n_candidates = links.groupby("estate")["hotspot"].transform("size")
        shown = links.assign(
            estate_test=[
                f"{'significant' if sig else 'not significant'} (adjusted p {p:.3f}); one test "
                f"per estate, shared by its {n} candidate hotspots"
                for sig, p, n in zip(
                    links["significant"], links["p_adjusted"], n_candidates, strict=True
                )
            ],
            hotspot_share=[
                f"{v:.0%} of the distance-weighted street crime near the estate's ASB"
                for v in links["hotspot_weight_share"]
            ],
        )
        layer = draw_links(
            shown,
            popup=("estate_name", "estate_test", "hotspot_share", "explanation"),
            tooltip=("estate_name", "hotspot_share"),
            labels={"estate_name": "estate", "estate_test": "estate-level test"},
            min_share=LINK_MIN_SHARE,
        )
        layers.append(layer)
        params.append(
            (
                "map",
                "links drawn",
                f"{layer.info.n_drawn} of {len(links)}: those whose hotspot holds at least "
                f"{LINK_MIN_SHARE:.0%} of the street crime near the estate's ASB (all are in the "
                "links table); width by that share, red when the estate's test is significant",
            )
        )
    for layer in layers:
        params.append(
            (
                "map",
                f"layer: {layer.title}",
                f"{layer.info.n_drawn} of {layer.info.n_rows} drawn; "
                + _fmt({k: v for k, v in layer.info.choices.items() if k != "counts"}),
            )
        )
    return layers, params


# --------------------------------------------------------------------------------------------
# Page

#: Shared-priority theme layers on when the briefing opens (the others are listed, off).
PRIORITY_THEMES_SHOWN = 2

#: Links drawn on the briefing map: hotspots holding at least this share of the street crime
#: near the estate's ASB (every candidate link stays in the links table).
LINK_MIN_SHARE = 0.05

_CSS = """
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


def _headlines(b: Briefing) -> list[str]:
    n_pri = len(b.priorities)
    wards_with = b.priorities["ward_code"].nunique() if n_pri else 0
    kind = "active priorities" if b.priorities_source == "register" else "suggested priorities"
    sig = b.changes[b.changes["significant"] & ~b.changes["small_number"]] if len(b.changes) else []
    one = f"1. Ward problem solving: {n_pri} {kind} in {wards_with} wards; " + (
        f"{len(sig)} significant changes since the last period (not small numbers)."
        if len(b.changes)
        else "no earlier period in the data to compare with."
    )
    flagged = b.shared.flagged
    n_cross = int(b.cross_border["cross_ward"].sum()) if len(b.cross_border) else 0
    two = (
        f"2. Cross-border and strategic themes: {len(flagged)} shared priority themes "
        f"({', '.join(sorted(set(flagged['theme'].astype(str)))) or 'none'}); {n_cross} hotspots "
        "cross a ward boundary."
    )
    if b.links is None:
        three = "3. Links to borough issues: not assessed (see the method note)."
    else:
        est = b.links.loc[b.links["significant"], "estate"].nunique()
        three = (
            f"3. Links to borough issues: ASB near {est} estate(s) significantly linked to "
            f"nearby street crime ({len(b.links)} candidate links)."
        )
    return [one, two, three]


def _page(b: Briefing, *, tiles, period, comparison, alpha) -> str:
    from snt_geo.maps.compose import make_map
    from snt_geo.maps.offline import map_fragment

    m = make_map(
        *b.map_layers,
        title=b.title,
        attribution=" ".join(b.attribution),
        tiles=tiles,
    )
    frag = map_fragment(m)
    start, end = period
    e = html.escape
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(b.title)}</title>\n{frag.head}\n<style>{_CSS}</style>\n</head>\n<body>\n",
        f'<header><h1 id="briefing-title">{e(b.title)}</h1><p class="sub">Period {e(str(start))} '
        f"to {e(str(end))}; {len(b.wards)} wards. Made with snt_geo.</p></header>",
        '<nav><a href="#ward-problem-solving">1. Ward problem solving</a>'
        '<a href="#cross-border">2. Cross-border and strategic themes</a>'
        '<a href="#borough-links">3. Links to borough issues</a>'
        '<a href="#method">Method note</a><a href="#caveats">Caveats</a></nav>',
        '<section id="at-a-glance"><h2>At a glance</h2><ul class="glance">'
        + "".join(f"<li>{e(line)}</li>" for line in _headlines(b))
        + "</ul></section>",
        '<section id="map-section"><h2>Map</h2><p class="note">Ward outlines are the base '
        "(no basemap offline). Tick layers on and off at the top right (each shared-priority "
        "theme is its own layer); legends of the layers that are on are at the bottom right; "
        "hover or click for "
        f'details.</p><div class="map-box">{frag.body}</div></section>',
    ]
    parts.append(_section_one(b, comparison, alpha))
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


def _section_one(b: Briefing, comparison, alpha: float) -> str:
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
        _table(
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
        )
    )
    locations = _key_locations(b)
    out.append(
        "<details><summary>Key locations: the busiest police.uk snap points of each ward in "
        "the period</summary>"
        + _table(
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
            _table(
                sig,
                {
                    "ward_name": "Ward",
                    "theme": "Theme",
                    "count": "Now",
                    "baseline_count": "Before",
                    "change_pct": "Change %",
                    "p_value": "p",
                    "q_value": "q",
                    "small_number": "Small numbers",
                },
                table_id="changes",
                empty="No significant change.",
                digits={"baseline_count": 0, "change_pct": 0, "p_value": 4, "q_value": 4},
            )
        )
    out.append("</section>")
    return "".join(out)


def _key_locations(b: Briefing) -> pd.DataFrame:
    from snt_geo.profile.profile import profile_locations

    try:
        locations = pd.DataFrame(profile_locations(b.profile).drop(columns="geometry"))
    except (KeyError, AttributeError):
        return pd.DataFrame()
    if not len(locations):
        return locations
    names = _ward_names(b.wards)
    locations = locations[locations["rank"] <= 3]
    return locations.assign(ward_name=locations["ward_code"].astype(str).map(names))


def _section_two(b: Briefing) -> str:
    names = _ward_names(b.wards)
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
        _table(
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
        ),
        "<h3>Blocks of neighbouring wards with the same priority</h3>",
        _table(
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
        _table(
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
            + _table(
                cl.head(50),
                cols,
                table_id="clusters",
                empty="No clusters.",
                digits={"density_per_km2": 0},
            )
            + "</details>"
        )
    out.append("</section>")
    return "".join(out)


def _section_three(b: Briefing) -> str:
    out = ['<section id="borough-links"><h2>3. Links to borough issues</h2>']
    if b.links is None:
        reason = b.parameters.loc[b.parameters["parameter"] == "not run", "value"]
        out.append(
            '<p class="empty" id="links">ASB-near-estates links were not assessed: '
            f"{html.escape(reason.iloc[0] if len(reason) else 'no estates')}.</p></section>"
        )
        return "".join(out)
    links = b.links
    out.append(
        '<h3>ASB near estates and nearby street crime, in plain words</h3><ul class="links">'
    )
    said = 0
    for _, rows in links.groupby("estate", sort=False):
        main = rows.sort_values("hotspot_weight_share", ascending=False).iloc[0]
        more = len(rows) - 1
        extra = f" ({more} more candidate hotspots in the table.)" if more else ""
        out.append(f"<li>{html.escape(str(main['explanation']))}{html.escape(extra)}</li>")
        said += 1
    for est in links.attrs.get("estates", []):
        if not est.get("n_candidate_hotspots"):
            name = est.get("estate")
            note = est.get("note") or "no street-crime hotspot within reach"
            out.append(f"<li>{html.escape(str(name))}: {html.escape(str(note))}.</li>")
            said += 1
    if not said:
        out.append("<li>No estate has ASB and a street-crime hotspot within reach.</li>")
    out.append("</ul>")
    out.append(
        _table(
            links,
            {
                "estate_name": "Estate",
                "asb_count_near": "ASB near",
                "hotspot": "Hotspot",
                "hotspot_incidents": "Hotspot incidents",
                "hotspot_main_type": "Mainly",
                "distance_m": "Distance m",
                "hotspot_weight_share": "Share of nearby street crime",
                "colocation_quotient": "CLQ",
                "p_adjusted": "Adjusted p",
                "significant": "Significant",
                "temporal_r": "Month-to-month r",
                "lead_lag_months": "Lead/lag months",
            },
            table_id="links",
            empty="No candidate links.",
            digits={"distance_m": 0, "p_adjusted": 3},
        )
    )
    out.append("</section>")
    return "".join(out)


def _section_method(b: Briefing) -> str:
    out = ['<section id="method"><h2>Method note</h2>']
    out += [f"<p>{html.escape(p)}</p>" for p in b.method_note]
    out.append("<h3>Every parameter and automatic choice</h3>")
    out.append(
        _table(
            b.parameters,
            {"step": "Step", "parameter": "Parameter", "value": "Value"},
            table_id="parameters",
            empty="",
        )
    )
    out.append("</section>")
    return "".join(out)
