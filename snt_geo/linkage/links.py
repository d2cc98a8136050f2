"""Links from ASB around housing estates to nearby street-crime clusters.

A *link* is a candidate connection between an estate and a street-crime cluster (a DBSCAN
cluster of robbery / theft from the person, not a Gi* hotspot): ASB recorded around the estate,
and a cluster of street crime within walking distance. The evidence for a link is (1) spatial
co-location: street crime is over-represented among the incidents recorded near that ASB, tested
against random relabelling of incident types, with multiple-testing control across estates; and
(2) timing: whether month-on-month changes in the two series move together, and whether changes
in ASB come first. The engine is in :mod:`snt_geo.linkage._links_engine`.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from snt_geo._format import format_count, format_percent
from snt_geo._method import MethodRecord
from snt_geo._validate import check_choice, check_fraction, check_positive, check_whole
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.linkage import _links_engine as _engine
from snt_geo.linkage._links_engine import ESTATE_COLUMNS, clq_core, gaussian_weights
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "ESTATE_COLUMNS",
    "LINK_COLUMNS",
    "LinkMethod",
    "Links",
    "colocation_quotient",
    "link_asb_to_street_crime",
]

#: Output columns of :attr:`Links.links`, in order (``geometry`` last).
LINK_COLUMNS = (
    "estate",
    "estate_name",
    "asb_count_near",
    "asb_selection",
    "street_cluster",
    "street_cluster_incidents",
    "street_cluster_main_type",
    "distance_m",
    "centre_distance_m",
    "street_cluster_weight_share",
    "street_share_near",
    "street_share_area",
    "colocation_quotient",
    "p_value",
    "p_adjusted",
    "significant",
    "temporal_r",
    "lead_lag_months",
    "lead_lag_r",
    "asb_leads",
    "n_month_pairs",
    "explanation",
    "geometry",
)


@dataclass(frozen=True, repr=False)
class LinkMethod(MethodRecord):
    """What :func:`link_asb_to_street_crime` ran (``attrs["method"]`` of its tables).

    Attributes
    ----------
    near_m, link_m, youth, street_cluster_distance_m, street_cluster_min_incidents,
    permutations, alpha, correction, min_asb, max_lag_months
        The options as used (``youth`` is the column name, the callable's repr, or None).
    asb_types, street_crime_types
        Crime types counted as ASB and as street crime.
    n_incidents, n_incidents_without_location, n_incidents_without_month
        Incidents given; left out (no location); left out of the monthly series only.
    n_asb, n_asb_selected, n_street_crime, n_neighbour_candidates
        ASB incidents, those ``youth`` selected, street-crime incidents, and the incidents that
        can be neighbours (all located incidents but the ASB near an estate).
    street_share_area
        Share of street crime among the neighbour candidates.
    n_street_clusters, n_estates, n_estates_tested
        DBSCAN street-crime clusters found; estates given; estates tested (the family size).
    months
        The months present in the incidents (``"YYYY-MM"``), over which timing is measured.
    kernel, street_cluster_method
        The co-location kernel and the street-crime clustering, in words.
    """

    near_m: float
    link_m: float
    youth: str | None
    street_cluster_distance_m: float
    street_cluster_min_incidents: int
    permutations: int
    alpha: float
    correction: str
    min_asb: int
    max_lag_months: int
    asb_types: tuple[str, ...]
    street_crime_types: tuple[str, ...]
    n_incidents: int
    n_incidents_without_location: int
    n_incidents_without_month: int
    n_asb: int
    n_asb_selected: int
    n_street_crime: int
    n_neighbour_candidates: int
    street_share_area: float
    n_street_clusters: int
    n_estates: int
    n_estates_tested: int
    months: tuple[str, ...]
    kernel: str = "box-Gaussian, fixed bandwidth link_m (Wang et al. 2017)"
    street_cluster_method: str = "dbscan"

    def describe(self) -> str:
        """One paragraph for a method note."""
        correction = "Holm" if self.correction == "holm" else "Benjamini-Hochberg"
        asb = "youth-related ASB" if self.youth is not None else "all ASB (no ages published)"
        span = f"{self.months[0]} to {self.months[-1]}" if self.months else "no months"
        return (
            f"ASB to street-crime links: {asb} within {self.near_m:g} m of "
            f"{format_count(self.n_estates)} estates; street crime "
            f"({', '.join(self.street_crime_types)}) grouped into "
            f"{format_count(self.n_street_clusters)} DBSCAN street-crime clusters "
            f"({self.street_cluster_distance_m:g} m, at least "
            f"{self.street_cluster_min_incidents} incidents). Co-location quotient (Leslie & "
            f"Kronenfeld 2011; local form of Wang et al. 2017) with a {self.kernel}, "
            f"{self.link_m:g} m; street crime is {format_percent(self.street_share_area, digits=1)}"
            f" of the {format_count(self.n_neighbour_candidates)} neighbour incidents. One-sided "
            f"permutation p-values ({self.permutations} relabellings), {correction} correction "
            f"over {self.n_estates_tested} estates tested (at least {self.min_asb} ASB incidents "
            f"with neighbours), significant at {self.alpha:g}. Timing: correlation of "
            f"month-on-month changes over {span}, lags up to {self.max_lag_months} months. "
            f"{format_count(self.n_incidents_without_location)} incidents without a location "
            f"were left out, and {format_count(self.n_incidents_without_month)} without a month "
            "were left out of the timing only."
        )


@dataclass(frozen=True, eq=False)
class Links:
    """Result of :func:`link_asb_to_street_crime`.

    Attributes
    ----------
    links
        GeoDataFrame, one row per candidate (estate, street-crime cluster) link, columns
        :data:`LINK_COLUMNS` (see :func:`link_asb_to_street_crime`).
    estates
        DataFrame indexed by ``estate``, one row per estate given, columns
        :data:`ESTATE_COLUMNS`: the estate-level test and a ``note`` when there is no link.
    method
        :class:`LinkMethod`.
    """

    links: gpd.GeoDataFrame
    estates: pd.DataFrame
    method: LinkMethod

    def to_frame(self) -> gpd.GeoDataFrame:
        """Return the links GeoDataFrame (with ``attrs["method"]``)."""
        return self.links

    def __repr__(self) -> str:
        """Return one line with the link, estate and cluster counts."""
        n_sig = int(self.links["significant"].sum()) if len(self.links) else 0
        return (
            f"Links({len(self.links)} candidate links, {n_sig} significant, over "
            f"{self.method.n_estates} estates ({self.method.n_estates_tested} tested) and "
            f"{self.method.n_street_clusters} street-crime clusters)"
        )

    def _repr_html_(self) -> str:
        shown = self.links.drop(columns=["geometry", "explanation"])
        return (
            f"<p>{html.escape(self.method.describe())}</p>"
            + self.estates.to_html()
            + shown.to_html(max_rows=20)
        )


# --------------------------------------------------------------------------------------------
# co-location quotient


def colocation_quotient(
    focal: gpd.GeoDataFrame | gpd.GeoSeries,
    neighbours: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    target: np.ndarray | pd.Series,
    bandwidth_m: float,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
) -> pd.Series:
    """Co-location quotient of a focal point set to a target category among neighbour points.

    Parameters
    ----------
    focal
        The focal points A (e.g. ASB near one estate); any CRS, measured in EPSG:27700.
    neighbours
        The points that can be neighbours of a focal point (e.g. every other incident). The focal
        points should not be among them.
    target
        Boolean, one per row of ``neighbours``: True for category B (e.g. street crime).
    bandwidth_m
        Kernel bandwidth in metres: neighbours within this distance of a focal point count, with
        weight ``exp(-0.5 (d / bandwidth_m)^2)``.
    permutations
        Random relabellings of ``neighbours`` for the p-value (0 for none).
    rng
        Seed or ``numpy.random.Generator``.

    Returns
    -------
    pandas.Series
        Index ``colocation_quotient``, ``p_value``, ``share_near`` (the mean over focal points of
        the kernel-weighted share of B among their neighbours), ``share_area`` (share of B among
        all neighbour points), ``n_focal``, ``n_focal_used`` (focal points with at least one
        neighbour within the bandwidth; the others are left out of the mean), ``n_neighbours``,
        ``bandwidth_m``, ``permutations``.

    Notes
    -----
    This is the global co-location quotient of Leslie & Kronenfeld (2011) computed as the mean of
    the local quotients of Wang et al. (2017): for focal point i,
    ``LCLQ_i = (sum_j w_ij b_j / sum_j w_ij) / (N_B / N)`` over the neighbour points j within the
    bandwidth, with the box-Gaussian kernel of Wang et al. and a fixed bandwidth. It differs from
    the textbook quotient in one respect: neighbours are drawn from a separate set (``neighbours``)
    rather than from all points but i, so the focal points' own clustering does not count against
    B. The p-value is one-sided (quotient at least as large as observed) from random relabelling
    of ``neighbours`` with their locations fixed: ``(1 + #{sim >= obs}) / (permutations + 1)``.
    Under that null, B is distributed like the other neighbour points, which is why the other
    points should be a sensible background (all recorded crime, not only the focal type).

    References
    ----------
    Leslie, T. F. & Kronenfeld, B. J. (2011). The colocation quotient: a new measure of spatial
    association between categorical subsets of points. Geographical Analysis 43(3), 306-326.
    Wang, F., Hu, Y., Wang, S. & Li, X. (2017). Local indicator of colocation quotient with a
    statistical significance test. Cartography and Geographic Information Science 44(2), 138-150.
    """
    check_positive("bandwidth_m", bandwidth_m, unit="metres")
    permutations = check_whole("permutations", permutations, hint="999 is usual.")
    f = to_working_crs(focal, argument="focal", check_bounds=False)
    nb = to_working_crs(neighbours, argument="neighbours", check_bounds=False)
    target = np.asarray(target, dtype=bool)
    if target.shape != (len(nb),):
        raise ValueError(
            f"`target` must hold one boolean per row of `neighbours` ({len(nb)}); got shape "
            f"{target.shape}."
        )
    fxy = shapely.get_coordinates(f.geometry.to_numpy())
    nxy = shapely.get_coordinates(nb.geometry.to_numpy())
    weights = gaussian_weights(fxy, nxy, float(bandwidth_m))
    groups = sparse.csr_matrix(np.ones((1, len(fxy))))
    res = clq_core(
        weights, groups, target, permutations=permutations, rng=np.random.default_rng(rng)
    )
    return pd.Series(
        {
            "colocation_quotient": res["clq"][0],
            "p_value": res["p_value"][0],
            "share_near": res["share_near"][0],
            "share_area": target.mean() if len(target) else np.nan,
            "n_focal": len(fxy),
            "n_focal_used": int(res["n_focal_used"][0]),
            "n_neighbours": len(nxy),
            "bandwidth_m": float(bandwidth_m),
            "permutations": permutations,
        },
        name="colocation",
        dtype=object,
    )


# --------------------------------------------------------------------------------------------
# the link finder


def link_asb_to_street_crime(
    incidents: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    *,
    near_m: float = 100.0,
    link_m: float = 400.0,
    youth: str | Callable[[gpd.GeoDataFrame], Any] | None = None,
    street_cluster_distance_m: float = 50.0,
    street_cluster_min_incidents: int = 15,
    permutations: int = 999,
    alpha: float = 0.05,
    correction: str = "holm",
    min_asb: int = 5,
    max_lag_months: int = 3,
    asb_theme: str = "asb",
    street_crime_theme: str = "street_crime",
    themes: ThemeTable | None = None,
    rng: np.random.Generator | int | None = None,
) -> Links:
    """Candidate links from ASB around estates to nearby street-crime clusters, with evidence.

    Parameters
    ----------
    incidents
        All recorded incidents of the area (the incidents schema: ``crime_type``, ``month`` and
        point geometry in any CRS; measured in EPSG:27700). Pass every crime type, not only ASB
        and street crime: the other incidents are the background that says where incidents
        happen at all (see Notes). Incidents without a location are left out and counted;
        incidents without a month count in space but not in the monthly series (counted too).
    estates
        Estates (the estates schema: index ``estate_id``, optional ``name``; polygons or points,
        any CRS).
    near_m
        ASB within this many metres of an estate (0 inside it) is *ASB near the estate*.
        Default 100 m.
    link_m
        Kernel bandwidth in metres: incidents within this distance of the ASB near an estate are
        its neighbours for the co-location quotient, and a street-crime cluster is a candidate when
        one of its incidents lies within it. Default 400 m (about five minutes' walk).
    youth
        Selects the youth-related ASB: a boolean column of ``incidents``, or a callable taking
        ``incidents`` (in EPSG:27700) and returning one boolean per row. Default None: all ASB is
        used, which the explanation says (police.uk publishes no ages).
    street_cluster_distance_m, street_cluster_min_incidents
        Street-crime clusters are DBSCAN clusters of the street-crime incidents with this
        neighbourhood radius (metres) and minimum number of incidents (counting the point itself).
        Defaults 50 m and 15.
    permutations
        Random relabellings for the co-location p-value. Default 999.
    alpha
        Significance level after multiple-testing control. Default 0.05.
    correction
        ``"holm"`` (Holm 1979, family-wise error across estates; default) or ``"fdr_bh"``
        (Benjamini & Hochberg 1995, false discovery rate).
    min_asb
        Estates with fewer ASB incidents near them (with any neighbour within ``link_m``) are not
        tested. Default 5.
    max_lag_months
        Largest lag, in months, of the temporal association. Default 3.
    asb_theme, street_crime_theme
        Theme keys in ``themes`` whose crime types are the ASB and the street crime. Defaults
        ``"asb"`` (Anti-social behaviour) and ``"street_crime"`` (Robbery, Theft from the person).
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`.
    rng
        Seed or ``numpy.random.Generator`` for the permutations.

    Returns
    -------
    Links
        ``links``: GeoDataFrame, EPSG:27700, one row per candidate (estate, street-crime cluster)
        link, index ``link`` (0, 1, ...; sorted by estate, then distance), columns
        :data:`LINK_COLUMNS` in order:

        - ``estate`` (index label of ``estates``), ``estate_name`` (its ``name`` or NA),
        - ``asb_count_near`` (ASB incidents near the estate, after ``youth``),
          ``asb_selection`` (``"youth"`` or ``"all ASB"``),
        - ``street_cluster`` (DBSCAN cluster label), ``street_cluster_incidents``,
          ``street_cluster_main_type``,
        - ``distance_m`` (estate to the cluster's convex hull; 0 if they overlap),
          ``centre_distance_m`` (estate to the cluster's mean centre),
        - ``street_cluster_weight_share`` (this cluster's part of the kernel-weighted street
          crime near the estate's ASB),
        - ``street_share_near``, ``street_share_area``, ``colocation_quotient`` (their ratio),
          ``p_value`` (permutation, one-sided), ``p_adjusted`` (after ``correction`` across the
          tested estates), ``significant`` (bool: ``p_adjusted <= alpha`` and quotient > 1; the
          estate-level test, shared by the estate's candidate clusters),
        - ``temporal_r`` (Pearson r of month-on-month changes at lag 0), ``lead_lag_months``
          (the lag in -max..max with the largest r; positive = ASB changes come first),
          ``lead_lag_r``, ``asb_leads`` (bool: that lag is positive, its r exceeds the lag-0 r
          and the rough 95% bound ``1.96 / sqrt(n_month_pairs)``; a guide, not a test),
          ``n_month_pairs`` (month pairs behind ``temporal_r``),
        - ``explanation`` (one sentence for a tasking meeting), ``geometry`` (LineString from
          the estate's representative point to the cluster's mean centre).

        ``estates``: DataFrame indexed by ``estate`` (every estate given, so estates with no
        link are accounted for too), columns :data:`ESTATE_COLUMNS`: ``estate_name``,
        ``asb_count_near``, ``tested``, ``colocation_quotient``, ``p_value``, ``p_adjusted``,
        ``significant``, ``n_candidate_clusters``, ``note``.

        ``method``: :class:`LinkMethod`, every option and automatic count; both tables carry it
        at ``attrs["method"]``.

    Raises
    ------
    CRSError
        ``incidents`` or ``estates`` has no CRS.
    SchemaError
        Missing ``crime_type`` / ``month`` columns, an unknown theme, or a bad ``youth`` column.
    ValueError
        Invalid options (each message names the option).

    Notes
    -----
    *Co-location.* For each estate, the focal points are its ASB incidents within ``near_m``;
    the neighbours are all located incidents except the focal ASB of any estate. The estate's
    co-location quotient (Leslie & Kronenfeld 2011) is the mean over its focal points of the local
    quotient of Wang et al. (2017) with a fixed box-Gaussian kernel of bandwidth ``link_m``: the
    kernel-weighted share of street crime among a focal point's neighbours, divided by the share of
    street crime among all neighbours. Its p-value comes from relabelling the neighbours at random
    (street crime or not, locations fixed), all estates sharing the same relabellings. The null
    hypothesis is therefore "street crime is located like the other recorded incidents", which
    is why the background matters: with only ASB and street crime the background is the ASB not
    near any estate. Excluding the focal ASB from the neighbours keeps the ASB's own clustering
    from hiding street crime a few hundred metres away.

    *Multiple testing.* One test per estate with at least ``min_asb`` focal incidents; Holm's
    step-down correction (or Benjamini-Hochberg) across those tests. A link is significant when
    its estate's test is, and the cluster is a candidate (within ``link_m`` of the ASB);
    ``street_cluster_weight_share`` says how much of the nearby street crime each cluster holds.

    *Timing.* Monthly counts of the estate's ASB and of the cluster's street crime, over the
    months present in ``incidents`` (a gap in the data is not a month of zero crime); Pearson
    correlation of month-on-month changes, which removes shared trends such as lockdown falls.
    It is evidence for the narrative, not part of the significance test; at least
    6 month pairs are needed, else NaN.

    police.uk locations are snapped to anonymised map points, and ASB has no ages; treat a
    link as a prompt for joint tasking, not proof of the same offenders.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> links = link_asb_to_street_crime(
    ...     sample.incidents, sample.estates, permutations=99, rng=0
    ... )
    >>> links.estates["asb_count_near"].to_dict()
    {'golden-lane-estate': 139, 'middlesex-street-estate': 143, 'mansell-street-estate': 22}
    >>> len(links.links), links.method.n_street_clusters
    (22, 76)
    """
    near_m = check_positive("near_m", near_m, unit="metres")
    link_m = check_positive("link_m", link_m, unit="metres")
    check_positive("street_cluster_distance_m", street_cluster_distance_m, unit="metres")
    permutations = check_whole("permutations", permutations, hint="999 is usual.")
    check_whole("street_cluster_min_incidents", street_cluster_min_incidents, minimum=1)
    check_whole("min_asb", min_asb, minimum=1)
    check_whole("max_lag_months", max_lag_months, minimum=0)
    check_fraction("alpha", alpha, what="a probability")
    check_choice("correction", correction, ("holm", "fdr_bh"))
    table = DEFAULT_THEMES if themes is None else themes
    missing_themes = [t for t in (asb_theme, street_crime_theme) if t not in table.themes]
    if missing_themes:
        raise SchemaError(
            "Unknown theme keys; pass keys of `themes` (e.g. 'asb', 'street_crime', 'robbery').",
            [f"{t!r} is not a theme" for t in missing_themes],
        )

    prep = _engine.prepare(
        incidents,
        estates,
        youth=youth,
        table=table,
        asb_theme=asb_theme,
        street_crime_theme=street_crime_theme,
    )
    if prep.n_unlocated:
        warnings.warn(
            f"{prep.n_unlocated} of {len(incidents)} incidents have no location and are left "
            "out of the link analysis.",
            UserWarning,
            stacklevel=2,
        )
    near_inc, hit_estate, n_near = _engine.asb_near_estates(prep, near_m=near_m)
    cluster_of, clusters = _engine.street_clusters(
        prep, distance_m=street_cluster_distance_m, min_incidents=street_cluster_min_incidents
    )
    co = _engine.colocation(
        prep,
        near_inc,
        hit_estate,
        link_m=link_m,
        min_asb=min_asb,
        permutations=permutations,
        alpha=alpha,
        correction=correction,
        rng=np.random.default_rng(rng),
    )
    rows, estate_table = _engine.link_rows(
        prep,
        near_inc,
        hit_estate,
        n_near,
        cluster_of,
        clusters,
        co,
        min_asb=min_asb,
        max_lag_months=max_lag_months,
        asb_selection="all ASB" if youth is None else "youth",
    )
    method = LinkMethod(
        near_m=near_m,
        link_m=link_m,
        youth=None if youth is None else (youth if isinstance(youth, str) else repr(youth)),
        street_cluster_distance_m=float(street_cluster_distance_m),
        street_cluster_min_incidents=int(street_cluster_min_incidents),
        permutations=permutations,
        alpha=float(alpha),
        correction=correction,
        min_asb=int(min_asb),
        max_lag_months=int(max_lag_months),
        asb_types=tuple(table.members(asb_theme)),
        street_crime_types=tuple(table.members(street_crime_theme)),
        n_incidents=len(incidents),
        **_counts(prep, co, clusters),
    )
    links = _links_frame(rows, method)
    estate_table.attrs["method"] = method
    return Links(links=links, estates=estate_table, method=method)


def _counts(prep: _engine.Prepared, co: _engine.Colocation, clusters: dict) -> dict[str, Any]:
    """Return the automatic counts of a run, as :class:`LinkMethod` fields."""
    return {
        "n_incidents_without_location": prep.n_unlocated,
        "n_incidents_without_month": prep.n_without_month,
        "n_asb": int(prep.is_asb.sum()),
        "n_asb_selected": int(prep.focal_asb.sum()),
        "n_street_crime": int(prep.is_street.sum()),
        "n_neighbour_candidates": len(co.cand),
        "street_share_area": co.share_area,
        "n_street_clusters": len(clusters),
        "n_estates": len(prep.places),
        "n_estates_tested": int(co.tested.sum()),
        "months": tuple(str(m) for m in prep.coverage),
    }


def _links_frame(rows: list[dict[str, Any]], method: LinkMethod) -> gpd.GeoDataFrame:
    """Return the link rows as a typed GeoDataFrame in :data:`LINK_COLUMNS` order, explained."""
    out = gpd.GeoDataFrame(
        rows, columns=list(LINK_COLUMNS[:-2]) + ["geometry"], geometry="geometry", crs=WORKING_CRS
    )
    out = out.sort_values(["estate", "distance_m"], kind="stable").reset_index(drop=True)
    out.index.name = "link"
    out = out.astype(
        {
            "asb_count_near": "int64",
            "street_cluster": "int64",
            "street_cluster_incidents": "int64",
            "significant": "bool",
            "asb_leads": "bool",
            "n_month_pairs": "int64",
            "lead_lag_months": "float64",
        }
    )
    street_types = " and ".join(t.lower() for t in method.street_crime_types)
    out["explanation"] = [
        _engine.explain(
            r,
            near_m=method.near_m,
            link_m=method.link_m,
            youth=method.youth,
            street_types=street_types[:1].upper() + street_types[1:],
            correction=method.correction,
            family=method.n_estates_tested,
            permutations=method.permutations,
        )
        for r in out.itertuples()
    ]
    out = out[list(LINK_COLUMNS)]
    out.attrs["method"] = method
    return out
