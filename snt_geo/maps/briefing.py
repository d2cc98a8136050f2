"""The TTCG briefing page: a tasking assessment laid out as one offline HTML file.

:func:`render_briefing` draws a :class:`snt_geo.tasking.TaskingAssessment` and returns a frozen
:class:`Briefing`; ``Briefing.save(path)`` writes ONE self-contained HTML file for the tasking
meeting (Leaflet inlined, no CDN, no basemap tiles unless asked for) laid out around the three
things the meeting must do:

1. ward problem solving: priorities and their evidence, and what changed since the last period;
2. cross-border issues and strategic themes: shared priorities and cross-border hotspots;
3. links to borough issues: ASB near estates linked to street-crime clusters, in plain words.

:func:`tasking_briefing` is the one-call convenience: the assessment, then the page.

Every text value reaching the page is HTML-escaped (tables) or set with ``textContent`` (the map),
so a ward, location or estate name such as ``<img src=x onerror=...>`` shows as text.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo.maps._briefing_map import (  # noqa: F401 (constants re-exported)
    LINK_MIN_SHARE,
    PRIORITY_THEMES_SHOWN,
    briefing_layers,
    map_notes,
)
from snt_geo.maps._briefing_page import page
from snt_geo.tasking import TASKING_STEPS, TaskingAssessment, tasking_assessment
from snt_geo.tasking.assessment import headlines
from snt_geo.themes import ThemeTable

if TYPE_CHECKING:
    pass

__all__ = ["ATTRIBUTION", "BRIEFING_STEPS", "Briefing", "render_briefing", "tasking_briefing"]

#: The steps :func:`tasking_briefing` reports to ``progress``, in order: the assessment's
#: (:data:`snt_geo.tasking.TASKING_STEPS`), then the page.
BRIEFING_STEPS = (*TASKING_STEPS, "map and page")

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

ProgressCallback = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------
# The result


def _delegated(name: str, doc: str) -> property:
    """Give a read-only attribute of the briefing's assessment on the briefing."""
    return property(lambda self: getattr(self.assessment, name), doc=doc)


@dataclass(frozen=True, eq=False)
class Briefing:
    """A rendered tasking briefing: the assessment, the map layers and the page.

    The assessment's tables are also attributes of the briefing (``wards``, ``profile``,
    ``evidence``, ``priorities``, ``priorities_source``, ``changes``, ``hotspot_themes``,
    ``hotspots``, ``cluster_labels``, ``clusters``, ``cross_border``, ``shared``, ``links``,
    ``estates``): see :class:`snt_geo.tasking.TaskingAssessment`.

    Attributes
    ----------
    assessment
        The :class:`~snt_geo.tasking.TaskingAssessment` rendered.
    title
        Page title.
    parameters
        Every parameter and automatic choice of the assessment, then the map's: ``step``,
        ``parameter``, ``value`` (strings).
    method_note
        Paragraphs of the method note (the assessment's, then the map's).
    caveats, attribution
        Lines printed on the page.
    map_layers
        The :class:`~snt_geo.maps.MapLayer` objects drawn, bottom first.
    html
        The complete, self-contained page.
    """

    assessment: TaskingAssessment = field(repr=False)
    title: str
    parameters: pd.DataFrame = field(repr=False)
    method_note: tuple[str, ...] = field(repr=False)
    caveats: tuple[str, ...] = field(repr=False)
    attribution: tuple[str, ...] = field(repr=False)
    map_layers: tuple = field(repr=False)
    html: str = field(repr=False)

    wards = _delegated("wards", "The wards (EPSG:27700).")
    profile = _delegated("profile", "The ward profile.")
    evidence = _delegated("evidence", "The priority evidence.")
    priorities = _delegated("priorities", "The priorities shown.")
    priorities_source = _delegated("priorities_source", '"register" or "suggested".')
    changes = _delegated("changes", "The change tests.")
    hotspot_themes = _delegated("hotspot_themes", "Gi* themes.")
    hotspots = _delegated("hotspots", "Theme -> Gi* cells.")
    cluster_labels = _delegated("cluster_labels", "Theme -> DBSCAN labels.")
    clusters = _delegated("clusters", "The cluster summaries.")
    cross_border = _delegated("cross_border", "Merged hotspots.")
    shared = _delegated("shared", "The shared priorities.")
    links = _delegated("links", "The ASB-estate links, or None.")
    link_estates = _delegated("link_estates", "One row per estate tested, or None.")
    estates = _delegated("estates", "The estates, or None.")

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
        return "\n".join(headlines(self.assessment))

    def _repr_html_(self) -> str:
        # The page in an iframe: its scripts and styles stay isolated from the notebook's.
        return (
            '<iframe style="width:100%;height:900px;border:1px solid #ccc" sandbox="allow-scripts" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        """Return the title and counts of what the page shows."""
        cross = self.cross_border
        n_cross = int(cross["cross_ward"].sum()) if len(cross) else 0
        n_links = 0 if self.links is None else int(self.links["significant"].sum())
        return (
            f"Briefing({self.title!r}, wards={len(self.wards)}, "
            f"priorities={len(self.priorities)} ({self.priorities_source}), "
            f"hotspot_themes={list(self.hotspot_themes)}, clusters={len(self.clusters)}, "
            f"cross_border={n_cross}, links={n_links} significant, "
            f"html={len(self.html.encode('utf-8')):,} bytes)"
        )


# --------------------------------------------------------------------------------------------
# Rendering


def render_briefing(
    assessment: TaskingAssessment,
    *,
    title: str | None = None,
    attribution: Sequence[str] = ATTRIBUTION,
    tiles: str | None = None,
    sample_caveat: bool = False,
) -> Briefing:
    """Lay out a tasking assessment as the briefing page.

    Parameters
    ----------
    assessment
        :func:`snt_geo.tasking.tasking_assessment` output.
    title
        Page title; default ``"Tasking briefing: <boroughs>, <period>"``.
    attribution
        Attribution lines printed at the foot of the page and on the map (default
        :data:`ATTRIBUTION`).
    tiles
        None (default, offline): no basemap, the ward outlines are the base. ``"OpenStreetMap"``
        or ``"CartoDB positron"`` add online tiles (they load only with a network).
    sample_caveat
        Add the caveat that the estates and the register are the constructed ones of the bundled
        sample (set by ``snt-geo demo`` and the examples).

    Returns
    -------
    Briefing
        The assessment, the map layers, the method note and the page (``.html``,
        ``.save(path)``, ``_repr_html_``). The same assessment and options give the same bytes.
    """
    if not isinstance(assessment, TaskingAssessment):
        raise TypeError(
            "`assessment` must be a TaskingAssessment from snt_geo.tasking.tasking_assessment; "
            f"got {type(assessment).__name__}."
        )
    layers, map_params = briefing_layers(assessment)
    map_params.append(("map", "tiles", tiles or "none (offline; ward outlines are the base)"))
    parameters = pd.concat(
        [assessment.parameters, pd.DataFrame(map_params, columns=["step", "parameter", "value"])],
        ignore_index=True,
    )
    draft = Briefing(
        assessment=assessment,
        title=title or _default_title(assessment),
        parameters=parameters,
        method_note=(*assessment.method_note, map_notes()),
        caveats=CAVEATS
        + assessment.data_caveats
        + ((SAMPLE_ESTATES_CAVEAT,) if sample_caveat else ()),
        attribution=tuple(attribution),
        map_layers=tuple(layers),
        html="",
    )
    return dataclasses.replace(draft, html=page(draft, tiles=tiles))


def _default_title(a: TaskingAssessment) -> str:
    names = a.wards.get("borough_name", pd.Series(dtype=str)).dropna().unique()
    boroughs = sorted({str(b) for b in names})
    where = ", ".join(boroughs[:3]) + (
        f" and {len(boroughs) - 3} more" if len(boroughs) > 3 else ""
    )
    start, end = a.period
    return f"Tasking briefing: {where or 'wards'}, {start} to {end}"


# --------------------------------------------------------------------------------------------
# The one-call convenience


def tasking_briefing(
    wards: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    demographics: pd.DataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    priorities: pd.DataFrame | str | Path | None = None,
    register=None,
    period=None,
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
    title: str | None = None,
    attribution: Sequence[str] = ATTRIBUTION,
    tiles: str | None = None,
    sample_caveat: bool = False,
    rng: np.random.Generator | int | None = None,
    progress: ProgressCallback | None = None,
) -> Briefing:
    """Run the tasking assessment and lay out its page: one call.

    :func:`snt_geo.tasking.tasking_assessment` then :func:`render_briefing`, with the same
    arguments; the page is byte-identical to rendering that assessment.

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
    register
        Problem-solving plans (a :class:`snt_geo.problem_solving.Register`, a register file
        path or a list of plans): section 1 then lists plans by stage, overdue reviews and the
        evaluations of the responses that ended in the period. Default None: not shown.
    period
        Months briefed, as in :func:`~snt_geo.profile.profile.ward_profile` (``(first, last)``
        ``'YYYY-MM'`` strings). Default: the last 12 complete months in the data. Hotspots and
        clusters use the period; the links use every month up to the period's end (co-location
        and timing need more months than one period).
    searches
        Stop and search records (:func:`snt_geo.io.read_stop_and_search`), counted per ward
        over the period. Default None: not reported.
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
    assessment = tasking_assessment(
        wards,
        incidents,
        period=period,
        demographics=demographics,
        estates=estates,
        priorities=priorities,
        register=register,
        searches=searches,
        themes=themes,
        hotspot_themes=hotspot_themes,
        cell_size_m=cell_size_m,
        cluster_distance_m=cluster_distance_m,
        cluster_min_incidents=cluster_min_incidents,
        min_wards=min_wards,
        n_suggested=n_suggested,
        near_m=near_m,
        link_m=link_m,
        permutations=permutations,
        alpha=alpha,
        rng=rng,
        progress=_briefing_progress(progress),
    )
    total = len(BRIEFING_STEPS)
    if progress is not None:
        progress(BRIEFING_STEPS[-1], total - 1, total)
    briefing = render_briefing(
        assessment, title=title, attribution=attribution, tiles=tiles, sample_caveat=sample_caveat
    )
    if progress is not None:
        progress("done", total, total)
    return briefing


def _briefing_progress(progress: ProgressCallback | None) -> ProgressCallback | None:
    """Return the assessment's progress reported against all of :data:`BRIEFING_STEPS`."""
    if progress is None:
        return None
    total = len(BRIEFING_STEPS)

    def report(step: str, done: int, _total: int) -> None:
        if step != "done":
            progress(step, done, total)

    return report
