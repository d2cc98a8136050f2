"""The TTCG tactical assessment: profile + linkage for a period, returned as tables (no HTML).

:func:`tasking_assessment` runs the snt_geo pipeline with recorded defaults for the three things
a tasking meeting must do (check ward problem solving, spot cross-border issues and strategic
themes, connect ward work with borough problems) and returns a frozen
:class:`TaskingAssessment`: every table the briefing renders and each step's method record.
:func:`snt_geo.maps.render_briefing` lays it out as one offline HTML page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo import _dates
from snt_geo._format import format_count
from snt_geo._labels import theme_label, ward_names
from snt_geo.crs import to_working_crs
from snt_geo.tasking import _steps
from snt_geo.tasking._records import parameter_table
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

if TYPE_CHECKING:
    from snt_geo.linkage.emerging import EmergingHotspots
    from snt_geo.linkage.shared_priorities import SharedPriorities
    from snt_geo.problem_solving import PlanReview
    from snt_geo.profile import WardProfile
    from snt_geo.profile.exceptions import WardExceptions
    from snt_geo.temporal import TimeOfDay

__all__ = ["TASKING_STEPS", "TaskingAssessment", "TaskingMethod", "tasking_assessment"]

#: The steps :func:`tasking_assessment` reports to ``progress``, in order.
TASKING_STEPS = (
    "ward profile",
    "priorities",
    "hotspots",
    "clusters",
    "cross-border hotspots",
    "shared priorities",
    "ASB-estate links",
)

ProgressCallback = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# The method record


@dataclass(frozen=True)
class TaskingMethod:
    """What :func:`tasking_assessment` ran: options, automatic choices and each step's record.

    Attributes
    ----------
    period_start, period_end
        The months assessed (``'YYYY-MM'``).
    candidate_themes
        Themes tested for priorities and changes (the primary theme of each crime type present).
    priorities_source
        ``"register"`` or ``"suggested"``; ``statuses_counted`` the register statuses counted as
        shared priorities; ``n_suggested`` suggestions per ward without a register.
    comparison
        The baseline the changes compare with (``"previous_period"``, ``"same_period_last_year"``)
        or None when the data cover none.
    alpha
        Significance level of the changes and the links.
    hotspot_themes, hotspot_themes_skipped
        Themes with Gi* hotspots and clusters, and those skipped (no incidents in the period).
    cell_size_m
        Gi* cell size given (None: each theme's automatic choice, in ``steps``).
    cluster_distance_m, cluster_min_incidents, cluster_min_incidents_rule
        DBSCAN radius, and per theme the ``min_incidents`` used and how it was chosen.
    min_wards, near_m, link_m, permutations
        Shared-priority and link options.
    links_not_run
        Why the ASB-estate links were not run, or None.
    steps
        Step name -> the method record (or recorded options) of that step's result.
    notes
        The method-note paragraphs, one per step.
    parameters
        ``(step, parameter, value)`` rows: every parameter and automatic choice, as text.
    """

    period_start: str
    period_end: str
    candidate_themes: tuple[str, ...]
    priorities_source: str
    statuses_counted: tuple[str, ...]
    n_suggested: int
    comparison: str | None
    alpha: float
    hotspot_themes: tuple[str, ...]
    hotspot_themes_skipped: tuple[str, ...]
    cell_size_m: float | None
    cluster_distance_m: float
    cluster_min_incidents: Mapping[str, int]
    cluster_min_incidents_rule: Mapping[str, str]
    min_wards: int
    near_m: float
    link_m: float
    permutations: int
    links_not_run: str | None
    steps: Mapping[str, Any] = field(repr=False)
    notes: tuple[str, ...] = field(repr=False)
    parameters: tuple[tuple[str, str, str], ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the options and choices as a dict; ``steps`` as each record's ``to_dict()``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("notes", "parameters"):
                continue
            if f.name == "steps":
                value = {k: _as_dict(v) for k, v in value.items()}
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    def describe(self) -> str:
        """Return the method note: one paragraph per step."""
        return "\n\n".join(self.notes)

    def to_frame(self) -> pd.DataFrame:
        """Return the parameter table: columns ``step``, ``parameter``, ``value`` (text)."""
        return parameter_table(self.parameters)

    def __repr__(self) -> str:
        """Return the period and the main choices on one line."""
        return (
            f"TaskingMethod(period={self.period_start}..{self.period_end}, "
            f"priorities={self.priorities_source}, comparison={self.comparison}, "
            f"hotspot_themes={list(self.hotspot_themes)}, "
            f"cluster_min_incidents={dict(self.cluster_min_incidents)}, "
            f"links={'not run: ' + self.links_not_run if self.links_not_run else 'run'})"
        )

    def _repr_html_(self) -> str:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in self.notes)
        return f"<div><strong>Tasking assessment method</strong>{paragraphs}</div>"


# --------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True, eq=False)
class TaskingAssessment:
    """Every table a tasking briefing shows, and how each was made.

    Attributes
    ----------
    wards
        The wards (EPSG:27700), indexed by ``ward_code``.
    profile
        :func:`snt_geo.profile.ward_profile` output, a :class:`snt_geo.profile.WardProfile`:
        ``.wards`` (one row per ward), ``.monthly``, ``.key_locations``, ``.method``.
    evidence
        :func:`snt_geo.profile.suggest_priorities` over every candidate theme (all ranks, column
        ``rank``): the evidence behind each (ward, theme).
    priorities
        The priorities shown, one row per (ward, theme): ``ward_code``, ``theme``, ``status``,
        ``source``, then the evidence columns ``data_rank``, ``count``, ``rate_per_1000``,
        ``lq``, ``trend``, ``change_pct``, ``p_value``, ``small_number``, ``reason``, and
        ``ward_name``.
    priorities_source
        ``"register"`` (active rows of the register given) or ``"suggested"`` (the top-ranked
        suggestions, no register given).
    counted_priorities
        The rows counted for shared priorities (the whole register, or the suggestions).
    changes
        What changed since the last period, one row per (ward, candidate theme) tested:
        ``ward_code``, ``ward_name``, ``theme``, ``count``, ``baseline``, ``baseline_count``,
        ``change_pct``, ``p_value``, ``q_value`` (Benjamini-Hochberg across the rows),
        ``significant`` (``q_value < alpha``: the BH q, as the table shows), ``small_number``.
        Empty when no baseline is covered.
    hotspot_themes
        The themes whose Gi* hotspots were computed (``"all"`` means every incident).
    hotspots
        Theme -> Gi* cells of :func:`snt_geo.linkage.find_hotspots` (read-only mapping).
    cluster_labels
        Theme -> DBSCAN labels of :func:`snt_geo.linkage.cluster_incidents`.
    clusters
        One row per cluster (all themes), with a ``theme`` column, indexed ``cluster_id``
        (``<theme>-<cluster>``): the summary of :func:`snt_geo.linkage.summarise_clusters`.
    cross_border
        :func:`snt_geo.linkage.flag_cross_border_hotspots` of each theme's Gi* hot cells,
        concatenated with a ``theme`` column, indexed ``hotspot_id`` (``<theme>-<hotspot>``).
    shared
        :class:`snt_geo.linkage.SharedPriorities`.
    links
        The candidate links of :func:`snt_geo.linkage.link_asb_to_street_crime` (one row per
        estate and street-crime cluster), or None (no estates, or no ASB or street crime in the
        data; ``method.links_not_run`` says which).
    link_estates
        One row per estate given, indexed by ``estate``: the estate-level test and a ``note``
        when it has no link; None when the links were not run.
    estates
        The estates given (EPSG:27700), or None.
    themes
        The theme table used.
    method
        :class:`TaskingMethod`.
    problem_solving
        :class:`snt_geo.problem_solving.PlanReview` of the period (plans by stage, overdue
        reviews, evaluations of the responses that ended in it) when ``register`` was given,
        else None.
    exceptions
        :func:`snt_geo.profile.find_exceptions` for the period's last month (wards above or below
        their seasonal expected count, BH across wards), or None when the data hold too little
        history (the method note says why).
    emerging
        Theme -> :func:`snt_geo.linkage.emerging_hotspots` over the period's months, for each
        hot spot theme (read-only mapping; a theme is missing when it could not be run).
    repeats
        :func:`snt_geo.profile.find_repeat_locations` of the period's incidents: the busiest
        police.uk snap points of each borough (top 10 with at least 2 incidents), or None.
    time_of_day
        :func:`snt_geo.temporal.time_of_day` of the period's incidents: an hour x weekday table,
        or ``state == "no_times"`` for police.uk data (months only).
    silent_wards
        :func:`snt_geo.profile.find_silent_wards` on the period's incident counts: wards with no
        (or implausibly few) incidents while their neighbours are busy, a snap-point or
        boundary-vintage artefact; their sentences are :attr:`data_caveats`.
    stop_search
        :func:`snt_geo.profile.stop_search_profile` of ``searches`` over the period (searches,
        object of search, outcome, share with no further action per ward), or None.
    ward_clusters
        Local Moran's I of each hotspot theme's empirical Bayes rate per ward
        (:func:`snt_geo.linkage.find_ward_clusters`): one row per theme and ward (``theme``,
        ``ward_code``, ``value``, ``local_i``, ``p_value_fdr``, ``cluster_class``, ...); None when
        no ward has a population (the parameters say why).
    """

    wards: gpd.GeoDataFrame = field(repr=False)
    profile: WardProfile = field(repr=False)
    evidence: pd.DataFrame = field(repr=False)
    priorities: pd.DataFrame = field(repr=False)
    priorities_source: str
    counted_priorities: pd.DataFrame = field(repr=False)
    changes: pd.DataFrame = field(repr=False)
    hotspot_themes: tuple[str, ...]
    hotspots: Mapping[str, gpd.GeoDataFrame] = field(repr=False)
    cluster_labels: Mapping[str, pd.Series] = field(repr=False)
    clusters: gpd.GeoDataFrame = field(repr=False)
    cross_border: gpd.GeoDataFrame = field(repr=False)
    shared: SharedPriorities = field(repr=False)
    links: gpd.GeoDataFrame | None = field(repr=False)
    link_estates: pd.DataFrame | None = field(repr=False)
    estates: gpd.GeoDataFrame | None = field(repr=False)
    themes: ThemeTable = field(repr=False)
    method: TaskingMethod = field(repr=False)
    problem_solving: PlanReview | None = field(default=None, repr=False)
    exceptions: WardExceptions | None = field(default=None, repr=False)
    repeats: gpd.GeoDataFrame | None = field(default=None, repr=False)
    time_of_day: TimeOfDay | None = field(default=None, repr=False)
    emerging: Mapping[str, EmergingHotspots] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )
    silent_wards: pd.DataFrame | None = field(default=None, repr=False)
    stop_search: pd.DataFrame | None = field(default=None, repr=False)
    ward_clusters: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def data_caveats(self) -> tuple[str, ...]:
        """Caveats the data of this assessment call for, with the numbers (silent wards)."""
        if self.silent_wards is None:
            return ()
        from snt_geo.profile.silent_wards import describe_silent_wards

        return tuple(describe_silent_wards(self.silent_wards))

    @property
    def period(self) -> tuple[pd.Period, pd.Period]:
        """The first and last month assessed."""
        return pd.Period(self.method.period_start, "M"), pd.Period(self.method.period_end, "M")

    @property
    def parameters(self) -> pd.DataFrame:
        """Every parameter and automatic choice: ``step``, ``parameter``, ``value`` (text)."""
        return self.method.to_frame()

    @property
    def method_note(self) -> tuple[str, ...]:
        """The method-note paragraphs, one per step."""
        return self.method.notes

    def to_frame(self) -> pd.DataFrame:
        """Return the priorities table with ``attrs["method"]`` set to :attr:`method`."""
        frame = self.priorities.copy()
        frame.attrs["method"] = self.method
        return frame

    def summary(self) -> str:
        """Three lines: one per thing the meeting must do."""
        return "\n".join(headlines(self))

    def _counts(self) -> dict[str, int]:
        cross = self.cross_border
        return {
            "wards": len(self.wards),
            "priorities": len(self.priorities),
            "significant changes": int(self.changes["significant"].sum())
            if len(self.changes)
            else 0,
            "hotspot themes": len(self.hotspot_themes),
            "clusters": len(self.clusters),
            "cross-border hot areas": int(cross["cross_ward"].fillna(False).astype(bool).sum())
            if len(cross)
            else 0,
            "shared priority themes": len(self.shared.flagged),
            "significant links": 0 if self.links is None else int(self.links["significant"].sum()),
        }

    def __repr__(self) -> str:
        """Return the period, the priorities' source and the count of each table."""
        counts = ", ".join(f"{k}={v}" for k, v in self._counts().items())
        return (
            f"TaskingAssessment({self.method.period_start}..{self.method.period_end}, "
            f"{self.priorities_source} priorities, hotspot_themes={list(self.hotspot_themes)}; "
            f"{counts})"
        )

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in headlines(self))
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{format_count(v)}</td></tr>"
            for k, v in self._counts().items()
        )
        return (
            f"<div><strong>Tasking assessment {html.escape(self.method.period_start)} to "
            f"{html.escape(self.method.period_end)}</strong><ul>{items}</ul>"
            f"<table>{rows}</table></div>"
        )


def _as_dict(record: object) -> dict[str, Any]:
    if hasattr(record, "to_dict"):
        return dict(record.to_dict())
    if isinstance(record, Mapping):
        return dict(record)
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    return {"record": repr(record)}


def headlines(a: TaskingAssessment) -> list[str]:
    """Return the at-a-glance lines: ward problem solving, cross-border themes, borough links."""
    n_pri = len(a.priorities)
    wards_with = a.priorities["ward_code"].nunique() if n_pri else 0
    kind = "active priorities" if a.priorities_source == "register" else "suggested priorities"
    ch = a.changes
    n_sig = int((ch["significant"] & ~ch["small_number"]).sum()) if len(ch) else 0
    one = f"1. Ward problem solving: {n_pri} {kind} in {wards_with} wards; " + (
        f"{n_sig} significant changes since the last period (not small numbers)."
        if len(ch)
        else "no earlier period in the data to compare with."
    )
    ps = a.problem_solving
    if ps is not None:
        one += (
            f" Problem-solving plans: {len(ps.plans)}, {len(ps.overdue)} with an overdue review; "
            f"{ps.method.n_evaluated} responses that ended in the period evaluated, "
            f"{int(ps.evaluations['declined'].fillna(False).astype(bool).sum())} with a decline."
        )
    flagged = a.shared.flagged
    shared_keys = sorted(set(flagged["theme"].astype(str)))
    n_cross = int(a.cross_border["cross_ward"].sum()) if len(a.cross_border) else 0
    two = (
        f"2. Cross-border and strategic themes: {len(flagged)} shared priority themes "
        f"({'; '.join(theme_label(t, a.themes) for t in shared_keys) or 'none'}); "
        f"{n_cross} hot areas (merged Gi* hot cells) cross a ward boundary."
    )
    if a.links is None:
        three = "3. Links to borough issues: not assessed (see the method note)."
    else:
        est = a.links.loc[a.links["significant"], "estate"].nunique()
        three = (
            f"3. Links to borough issues: ASB near {est} estate(s) significantly linked to "
            f"nearby street crime ({len(a.links)} candidate links)."
        )
    return [one, two, three]


# --------------------------------------------------------------------------------------------
# The pipeline


def tasking_assessment(
    wards: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    period=None,
    demographics: pd.DataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    priorities: pd.DataFrame | str | Path | None = None,
    register=None,
    searches: gpd.GeoDataFrame | None = None,
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
    rng: np.random.Generator | int | None = None,
    progress: ProgressCallback | None = None,
) -> TaskingAssessment:
    """Run profile, priorities, hotspots, clusters and linkage for a tasking meeting.

    Parameters
    ----------
    wards
        The wards schema (:func:`snt_geo.io.read_wards`): index ``ward_code``, ``ward_name``,
        ``borough_code``, ``borough_name``; polygons in any labelled CRS.
    incidents
        The incidents schema (:func:`snt_geo.io.read_police_uk`): points with a CRS, ``month``,
        ``crime_type`` (``location`` used for key locations when present). Pass every crime
        type: the others are the background of the link test.
    period
        Months assessed, as in :func:`snt_geo.profile.ward_profile` (``(first, last)``
        ``'YYYY-MM'`` strings). Default: the last 12 complete months in the data. Hotspots and
        clusters use the period; the links use every month up to the period's end (co-location
        and timing need more months than one period).
    demographics
        Residents per ward (:func:`snt_geo.io.read_demographics`). Default None: no rates.
    estates
        Estates (:func:`snt_geo.io.read_estates`): with a ``name`` column; polygons or points.
        Default None: no ASB-estate links (recorded in ``method.links_not_run``).
    priorities
        The priority register (a DataFrame in the register schema, or a CSV path read with
        :func:`snt_geo.profile.read_priorities`); its ``active`` rows are the priorities shown
        and the ones counted as shared. Default None: the top ``n_suggested`` data suggestions
        per ward (:func:`snt_geo.profile.suggest_priorities`) are shown and counted instead.
    register
        The problem-solving plans: a :class:`snt_geo.problem_solving.Register`, the path of a
        register file, or a sequence of plans. When given, ``problem_solving`` holds
        :func:`snt_geo.problem_solving.review_plans` of the period (plans by stage, overdue
        reviews, evaluations of the responses that ended in it). Default None: not reviewed.
    searches
        Stop and search records (:func:`snt_geo.io.read_stop_and_search`), counted per ward
        over the period into ``stop_search``. Default None: not reported.
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    hotspot_themes
        Themes for Gi* hotspots and clusters, each on its own. Default ``("street_crime",
        "asb")``, the two the meeting links. Themes without incidents in the period are
        skipped; if none is left, every incident is used (theme ``"all"``).
    cell_size_m
        Gi* cell size in metres; default None: :func:`snt_geo.linkage.find_hotspots`' rule.
    cluster_distance_m
        DBSCAN radius in metres (default 100).
    cluster_min_incidents
        DBSCAN ``min_incidents``; default None: twice the incidents a disc of
        ``cluster_distance_m`` would hold if the theme's incidents were spread evenly over the
        wards, at least 5 (recorded per theme in ``method.cluster_min_incidents``).
    min_wards
        A theme held by at least this many wards of a borough is a shared priority (default 3).
    n_suggested
        Suggestions per ward when no register is given (default 3, the panel minimum).
    near_m, link_m, permutations
        As in :func:`snt_geo.linkage.link_asb_to_street_crime` (defaults 100 m, 400 m, 999).
    alpha
        Significance level for changes and links (default 0.05).
    rng
        Seed or ``numpy.random.Generator`` for the link permutations.
    progress
        Called as ``progress(step, done, total)`` before each of :data:`TASKING_STEPS` and once
        at the end (``step == "done"``, ``done == total``).

    Returns
    -------
    TaskingAssessment
        Every table as an attribute and the :class:`TaskingMethod` (``.method``).

    Raises
    ------
    SchemaError, CRSError
        From the steps, for inputs outside their schemas.
    ValueError, TypeError
        For an invalid option (the message names it).

    Notes
    -----
    Ward profile with exact Poisson change tests and Benjamini-Hochberg q-values (Benjamini &
    Hochberg 1995); priorities from the register with the evidence of
    :func:`~snt_geo.profile.suggest_priorities`; Gi* hotspots (Ord & Getis 1995); DBSCAN
    clusters (Ester et al. 1996); cross-border shares of merged hot cells by area; shared
    priorities as connected components of queen adjacency; ASB-estate links by the co-location
    quotient (Leslie & Kronenfeld 2011) with a permutation test and Holm correction.

    Examples
    --------
    On the bundled City of London sample (its estates and register are constructed):

    >>> import warnings
    >>> import snt_geo
    >>> sample = snt_geo.load_sample()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the drops are counted on the records
    ...     a = tasking_assessment(
    ...         sample.wards, sample.incidents, period=("2023-01", "2023-06"),
    ...         estates=sample.estates, permutations=99, rng=1,
    ...     )
    >>> a.hotspot_themes
    ('street_crime', 'asb')
    >>> a.method.cluster_min_incidents["street_crime"], a.method.links_not_run
    (15, None)
    >>> a.summary().splitlines()[0].startswith("1. Ward problem solving")
    True
    """
    themes = themes or DEFAULT_THEMES
    opts = _Options(
        themes=themes,
        hotspot_themes=_check_options(
            themes, hotspot_themes, cluster_distance_m, near_m, alpha, priorities
        ),
        cell_size_m=cell_size_m,
        cluster_distance_m=float(cluster_distance_m),
        cluster_min_incidents=cluster_min_incidents,
        min_wards=min_wards,
        n_suggested=n_suggested,
        near_m=float(near_m),
        link_m=float(link_m),
        permutations=permutations,
        alpha=alpha,
        rng=rng,
    )
    report, log = _reporter(progress), _steps.StepLog()
    areas = to_working_crs(wards, argument="wards", check_bounds=False)
    parts: dict[str, Any] = {"wards": areas, "themes": themes}
    run = _Run()
    inputs = {"demographics": demographics, "period": period, "searches": searches}
    _ward_steps(parts, run, incidents, inputs, priorities, opts, log, report)
    _hotspot_steps(parts, run, incidents, opts, log, report)
    _borough_steps(parts, run, incidents, estates, opts, log, report)
    parts["problem_solving"] = _review_plans(register, incidents, areas, *run.period, log)
    parts["estates"] = None if estates is None else to_working_crs(estates, argument="estates")
    assessment = TaskingAssessment(**parts, method=_method(run, opts, log))
    report(len(TASKING_STEPS))
    return assessment


@dataclass(frozen=True)
class _Options:
    """The options of one :func:`tasking_assessment` call, checked."""

    themes: ThemeTable
    hotspot_themes: tuple[str, ...]
    cell_size_m: float | None
    cluster_distance_m: float
    cluster_min_incidents: int | None
    min_wards: int
    n_suggested: int
    near_m: float
    link_m: float
    permutations: int
    alpha: float
    rng: Any


@dataclass
class _Run:
    """What the steps chose along the way, for the method record (private, filled in order)."""

    period: tuple[pd.Period, pd.Period] = (pd.Period("1970-01", "M"), pd.Period("1970-01", "M"))
    candidates: list[str] = field(default_factory=list)
    source: str = "suggested"
    statuses: tuple[str, ...] = ()
    comparison: str | None = None
    used: list[str] = field(default_factory=list)
    chosen: dict[str, tuple[int, str]] = field(default_factory=dict)
    links_not_run: str | None = None
    months: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _ward_steps(parts, run, incidents, inputs, priorities, opts, log, report) -> None:
    """Run steps 1-2: the ward profile, silent wards, stop and search, priorities, changes."""
    themes, areas = opts.themes, parts["wards"]
    report(0)
    profile, info = _steps.run_profile(
        areas,
        incidents,
        demographics=inputs["demographics"],
        period=inputs["period"],
        themes=themes,
        log=log,
    )
    start, end = run.period = (info.period_start, info.period_end)
    parts["profile"] = profile
    parts["silent_wards"] = _steps.run_silent_wards(areas, profile, start, end, log=log)
    parts["stop_search"] = _steps.run_stop_search(areas, inputs["searches"], start, end, log=log)

    report(1)
    run.candidates = _steps.candidate_themes(incidents, info, themes)
    evidence, shown, counted, run.source, run.statuses = _steps.run_priorities(
        profile,
        areas,
        run.candidates,
        priorities=priorities,
        n_suggested=opts.n_suggested,
        themes=themes,
        log=log,
    )
    parts.update(
        evidence=evidence,
        priorities=shown,
        counted_priorities=counted,
        priorities_source=run.source,
    )
    names = ward_names(areas)
    parts["changes"], run.comparison = _steps.run_changes(
        profile, info, run.candidates, names, alpha=opts.alpha, log=log
    )
    parts["exceptions"] = _steps.run_exceptions(
        incidents, areas, end, run.candidates, alpha=opts.alpha, themes=themes, log=log
    )


def _hotspot_steps(parts, run, incidents, opts, log, report) -> None:
    """Run steps 3-5: Gi* and emerging hotspots, DBSCAN clusters, cross-border hot areas."""
    themes, areas = opts.themes, parts["wards"]
    start, end = run.period
    report(2)
    run.months = months = _steps.month_ordinals(incidents)
    current = incidents[(months >= start.ordinal) & (months <= end.ordinal)]
    run.used = _steps.select_hotspot_themes(current, opts.hotspot_themes, themes, log)
    by_theme = {t: current[_steps.theme_mask(current, t, themes)] for t in run.used}
    hotspots = _steps.run_hotspots(
        by_theme, areas, cell_size_m=opts.cell_size_m, themes=themes, log=log
    )
    emerging = _steps.run_emerging(
        by_theme, areas, cell_size_m=opts.cell_size_m, themes=themes, log=log
    )
    parts["repeats"] = _steps.run_repeats(current, areas, log=log)
    parts["time_of_day"] = _steps.run_time_of_day(current, log=log)
    report(3)
    labels, clusters, run.chosen = _steps.run_clusters(
        by_theme,
        areas,
        distance_m=opts.cluster_distance_m,
        min_incidents=opts.cluster_min_incidents,
        themes=themes,
        log=log,
    )
    report(4)
    parts.update(
        hotspot_themes=tuple(run.used),
        hotspots=MappingProxyType(hotspots),
        emerging=MappingProxyType(emerging),
        cluster_labels=MappingProxyType(labels),
        clusters=clusters,
        cross_border=_steps.run_cross_border(hotspots, areas, log),
    )


def _borough_steps(parts, run, incidents, estates, opts, log, report) -> None:
    """Run steps 6-7: shared priorities, then ASB-estate links (every month to the period end)."""
    themes, areas, months = opts.themes, parts["wards"], run.months
    report(5)
    parts["shared"] = _steps.run_shared(
        parts["counted_priorities"],
        areas,
        min_wards=opts.min_wards,
        statuses=run.statuses,
        themes=themes,
        log=log,
    )
    report(6)
    end = run.period[1]
    to_end = incidents[(months != _dates.NO_MONTH) & (months <= end.ordinal)]
    run.links_not_run = reason = _steps.links_reason(estates, to_end, themes)
    parts["links"] = parts["link_estates"] = None
    if reason is None:
        parts["links"], parts["link_estates"] = _steps.run_links(
            to_end,
            _steps.working_estates(estates),
            months,
            end,
            near_m=opts.near_m,
            link_m=opts.link_m,
            permutations=opts.permutations,
            alpha=opts.alpha,
            themes=themes,
            rng=opts.rng,
            log=log,
        )
    else:
        log.add("links", "not run", reason)
        log.notes.append(f"ASB-estate links were not run: {reason}.")
    # After the links, so that a shared `rng` gives the links the numbers it always gave them.
    parts["ward_clusters"] = None
    clusters_reason = _steps.ward_clusters_reason(parts["profile"])
    if clusters_reason is None:
        parts["ward_clusters"] = _steps.run_ward_clusters(
            parts["profile"],
            areas,
            run.used,
            permutations=opts.permutations,
            alpha=opts.alpha,
            rng=opts.rng,
            log=log,
        )
    else:
        log.add("ward clusters", "not run", clusters_reason)


def _method(run: _Run, opts: _Options, log: _steps.StepLog) -> TaskingMethod:
    """Return the method record: the options, what the steps chose, and each step's record."""
    start, end = run.period
    return TaskingMethod(
        period_start=str(start),
        period_end=str(end),
        candidate_themes=tuple(run.candidates),
        priorities_source=run.source,
        statuses_counted=tuple(run.statuses),
        n_suggested=opts.n_suggested,
        comparison=run.comparison,
        alpha=opts.alpha,
        hotspot_themes=tuple(run.used),
        hotspot_themes_skipped=tuple(t for t in opts.hotspot_themes if t not in run.used),
        cell_size_m=opts.cell_size_m,
        cluster_distance_m=opts.cluster_distance_m,
        cluster_min_incidents=MappingProxyType({t: k for t, (k, _) in run.chosen.items()}),
        cluster_min_incidents_rule=MappingProxyType({t: r for t, (_, r) in run.chosen.items()}),
        min_wards=opts.min_wards,
        near_m=opts.near_m,
        link_m=opts.link_m,
        permutations=opts.permutations,
        links_not_run=run.links_not_run,
        steps=MappingProxyType(dict(log.records)),
        notes=tuple(log.notes),
        parameters=tuple(log.rows),
    )


def _review_plans(register, incidents, areas, start, end, log) -> PlanReview | None:
    """Return the problem-solving review of the period (None without a register)."""
    if register is None:
        return None
    from snt_geo.problem_solving import open_register, review_plans

    if isinstance(register, str | Path):
        with open_register(register) as opened:
            plans = opened.load_plans()
    else:
        plans = register
    review = review_plans(plans, incidents, period=(str(start), str(end)), wards=areas)
    log.notes.append(review.method.describe())
    return review


def _check_options(themes, hotspot_themes, cluster_distance_m, near_m, alpha, priorities):
    """Refuse invalid options before any work, naming the argument; return the hotspot themes."""
    if isinstance(hotspot_themes, str):
        hotspot_themes = (hotspot_themes,)
    hotspot_themes = tuple(hotspot_themes)
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
    return hotspot_themes


def _reporter(progress: ProgressCallback | None) -> Callable[[int], None]:
    total = len(TASKING_STEPS)

    def report(i: int) -> None:
        if progress is not None:
            progress(TASKING_STEPS[i] if i < total else "done", i, total)

    return report
