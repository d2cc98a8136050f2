"""Ward profiles: who lives in a ward, what happens there, where, and how it is changing.

:func:`ward_profile` returns a :class:`WardProfile`: one GeoDataFrame row per ward (``.wards``),
the tables that are not one row per ward (``.monthly``, the series per theme; ``.key_locations``;
``.outside_monthly``) and the automatic choices (period, baselines, thresholds, accounting) in one
frozen :class:`ProfileMethod` (``.method``, also at ``.wards.attrs["method"]``). The engine is in
:mod:`snt_geo.profile._profile_engine`.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from snt_geo._dates import month_ordinals
from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo._validate import check_non_negative, check_whole
from snt_geo.errors import SchemaError, SntGeoError
from snt_geo.io.boundaries import check_wards
from snt_geo.profile import _profile_engine as _engine
from snt_geo.profile.smoothing import RateSmoothingMethod, smooth_ward_rate_columns
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "BASELINES",
    "ProfileMethod",
    "WardProfile",
    "ward_profile",
    "profile_info",
    "profile_monthly",
    "profile_locations",
    "theme_columns",
]

#: Baseline comparisons :func:`ward_profile` knows: name -> description.
BASELINES: dict[str, str] = {
    "previous": "the previous period of equal length",
    "year_earlier": "the same months a year earlier",
}


@dataclass(frozen=True, repr=False)
class ProfileMethod(MethodRecord):
    """What :func:`ward_profile` did (``WardProfile.method``, ``wards.attrs["method"]``).

    Attributes
    ----------
    period_start, period_end
        First and last month of the profiled period (``pandas.Period``, freq ``M``), inclusive.
    period_rule
        How the period was chosen: ``"given"`` or the automatic rule that picked it.
    baselines
        Baseline name -> ``(start, end, covered)``; ``covered`` is True only when every month of
        the baseline has at least one incident in the input. Otherwise (months outside the data,
        or a gap in an archive) the change columns are NA, never a false zero.
    themes
        Theme keys profiled, in column order.
    min_population, min_count
        Thresholds used for rates (NaN below ``min_population`` residents) and the small-number
        flag (fewer than ``min_count`` incidents).
    n_locations
        Key locations kept per ward.
    data_months
        ``(first, last)`` month found in the incidents.
    period_months_without_data
        Months of the period in which no incident at all is recorded (a gap in the input, or a
        given period beyond the data): their zero counts may not be real.
    accounting
        Row counts: ``rows`` (incidents given), ``no_month``, ``outside_window`` (months in no
        period or baseline), ``in_period``, ``in_period_in_wards``, ``in_period_outside_wards``,
        ``in_period_no_geometry``, ``in_period_unknown_crime_type`` (a crime type the theme
        table does not know, or none: counted in ``incident_count`` but in no theme).
        ``in_period == in_period_in_wards + in_period_outside_wards + in_period_no_geometry``.
    demographic_columns
        Demographic columns carried into the profile.
    demographics_unmatched
        Ward codes in ``demographics`` that are not in ``wards`` (boundary vintages differ).
    rate_smoothing
        The empirical Bayes smoothing behind the ``*_eb_rate_per_1000`` and
        ``*_seb_rate_per_1000`` columns (:class:`~snt_geo.profile.RateSmoothingMethod`), or None
        when no ward has a population.
    outlier_months
        Months far from the rest of the data (a typo such as ``2203-01``) left out when the
        default period was chosen (:func:`snt_geo._dates.find_outlier_months`); their rows stay
        counted, outside the period.
    theme_parents
        ``(theme, parent)`` pairs of the theme table's hierarchy for the profiled themes (e.g.
        ``("robbery", "street_crime")``), so consumers can group themes as the profile did.
    """

    period_start: pd.Period
    period_end: pd.Period
    period_rule: str
    baselines: Mapping[str, tuple[pd.Period, pd.Period, bool]]
    themes: tuple[str, ...]
    min_population: float
    min_count: int
    n_locations: int
    data_months: tuple[pd.Period | None, pd.Period | None]
    period_months_without_data: tuple[pd.Period, ...]
    accounting: Mapping[str, int]
    demographic_columns: tuple[str, ...] = ()
    demographics_unmatched: tuple[str, ...] = ()
    rate_smoothing: RateSmoothingMethod | None = None
    outlier_months: tuple[pd.Period, ...] = ()
    theme_parents: tuple[tuple[str, str], ...] = ()

    @property
    def n_months(self) -> int:
        """Length of the period in months."""
        return self.period_end.ordinal - self.period_start.ordinal + 1

    @property
    def period(self) -> tuple[pd.Period, pd.Period]:
        """First and last month of the period, ``(period_start, period_end)``."""
        return self.period_start, self.period_end

    def describe(self) -> str:
        """One paragraph a method note can quote."""
        acc = self.accounting
        parts = [
            f"Period {self.period_start}..{self.period_end} ({self.n_months} months; "
            f"{self.period_rule}).",
        ]
        for name, (start, end, covered) in self.baselines.items():
            state = "" if covered else " (not covered by the data: no change reported)"
            parts.append(f"Baseline {name}: {start}..{end}{state}.")
        parts.append(
            f"{format_count(acc['in_period'])} incidents in the period: "
            f"{format_count(acc['in_period_in_wards'])} in wards, "
            f"{format_count(acc['in_period_outside_wards'])} outside every ward, "
            f"{format_count(acc['in_period_no_geometry'])} without a location."
        )
        parts.append(
            f"Rates per 1,000 residents over the period, NaN below {self.min_population:g} "
            f"residents; small-number flag below {self.min_count} incidents."
        )
        if self.rate_smoothing is not None:
            parts.append(
                "Smoothed rates (every ward with residents, whatever its size): global empirical "
                "Bayes (*_eb_rate_per_1000) and spatial empirical Bayes over each ward and its "
                f"{self.rate_smoothing.adjacency} neighbours (*_seb_rate_per_1000), Marshall 1991."
            )
        return " ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """Return the recorded choices and counts as a two-column table (``item``, ``value``)."""
        rows = [
            ("period_start", str(self.period_start)),
            ("period_end", str(self.period_end)),
            ("period_rule", self.period_rule),
            *(
                (f"baseline_{k}", f"{s}..{e}" + ("" if c else " (not covered)"))
                for k, (s, e, c) in self.baselines.items()
            ),
            ("themes", ", ".join(self.themes)),
            ("min_population", self.min_population),
            ("min_count", self.min_count),
            ("n_locations", self.n_locations),
            *self.accounting.items(),
        ]
        return pd.DataFrame(rows, columns=["item", "value"])

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.describe())}</p>" + self.to_frame().to_html(index=False)


#: Columns of the compact notebook view of a :class:`WardProfile` (when present).
_COMPACT = (
    "ward_name",
    "borough_name",
    "population",
    "incident_count",
    "incident_rate_per_1000",
    "incident_rank_borough",
)


@dataclass(frozen=True, eq=False)
class WardProfile:
    """Result of :func:`ward_profile`.

    Attributes
    ----------
    wards
        GeoDataFrame, one row per ward, indexed by ``ward_code`` (columns: see
        :func:`ward_profile`); ``attrs["method"]`` is :attr:`method`.
    monthly
        Tidy monthly counts: columns ``ward_code``, ``borough_code``, ``theme`` (categorical, in
        profile order), ``month`` (Period[M]), ``count``; every ward x theme x month of the
        period and its covered baselines that is in the data (or in the period), zeros included.
    key_locations
        GeoDataFrame (EPSG:27700 snap points) of the busiest locations per ward in the period:
        ``ward_code``, ``rank`` (1 = busiest), ``location`` (police.uk snap-point text),
        ``count``, ``share`` (of the ward's incidents), ``geometry``.
    outside_monthly
        Incidents in no ward per month of the window (Series ``outside_wards`` indexed by
        ``month``).
    method
        :class:`ProfileMethod`.
    """

    wards: gpd.GeoDataFrame
    monthly: pd.DataFrame
    key_locations: gpd.GeoDataFrame
    outside_monthly: pd.Series
    method: ProfileMethod

    def to_frame(self) -> gpd.GeoDataFrame:
        """Return the one-row-per-ward GeoDataFrame (:attr:`wards`, with ``attrs["method"]``)."""
        return self.wards

    def select(self, ward_codes: Iterable[str] | pd.Series | np.ndarray) -> WardProfile:
        """Return the profile of some wards only (e.g. one BCU's): every table restricted to them.

        ``ward_codes`` is a list of ward codes or a boolean mask aligned with :attr:`wards`.
        """
        if _is_mask(ward_codes, len(self.wards)):
            wards = self.wards[np.asarray(ward_codes, dtype=bool)]
        else:
            codes = pd.Index(list(ward_codes))
            missing = codes.difference(self.wards.index)
            if len(missing):
                raise KeyError(f"`ward_codes` names wards not in the profile: {list(missing[:5])}.")
            wards = self.wards.loc[codes]
        keep = self.monthly["ward_code"].isin(wards.index)
        return WardProfile(
            wards=wards,
            monthly=self.monthly[keep.to_numpy()],
            key_locations=self.key_locations[
                self.key_locations["ward_code"].isin(wards.index).to_numpy()
            ],
            outside_monthly=self.outside_monthly,
            method=self.method,
        )

    def __repr__(self) -> str:
        """Return one line with the shape, period and tables of the profile."""
        m = self.method
        return (
            f"WardProfile({len(self.wards)} wards x {self.wards.shape[1]} columns, "
            f"{m.period_start}..{m.period_end}, {len(m.themes)} themes; .wards, .monthly "
            f"({format_count(len(self.monthly))} rows), .key_locations "
            f"({format_count(len(self.key_locations))} rows), "
            ".method)"
        )

    def _repr_html_(self) -> str:
        # A profile has hundreds of columns: show the headline ones and say where the rest are.
        cols = [c for c in _COMPACT if c in self.wards.columns]
        cols += [f"{t}_count" for t in self.method.themes[:3]]
        return (
            f"<p><b>Ward profile</b> of {len(self.wards)} wards "
            f"({self.wards.shape[1]} columns; <code>.wards</code> has them all).</p>"
            f"<p>{html.escape(self.method.describe())}</p>"
            + pd.DataFrame(self.wards[cols]).to_html(max_rows=20)
        )


def _is_mask(values, n: int) -> bool:
    arr = np.asarray(values)
    return arr.dtype == bool and arr.shape == (n,)


def theme_columns(theme: str, baselines: Sequence[str] = tuple(BASELINES)) -> list[str]:
    """Profile column names for one theme key, in the order :func:`ward_profile` writes them.

    Examples
    --------
    >>> theme_columns("asb", ["previous"])[:5]
    ['asb_count', 'asb_rate_per_1000', 'asb_eb_rate_per_1000', 'asb_seb_rate_per_1000', 'asb_lq']
    """
    cols = [
        f"{theme}_{s}"
        for s in (
            "count",
            "rate_per_1000",
            "eb_rate_per_1000",
            "seb_rate_per_1000",
            "lq",
            "lq_borough",
            "rank_borough",
        )
    ]
    for b in baselines:
        cols += [f"{theme}_count_{b}", f"{theme}_change_pct_{b}", f"{theme}_p_{b}"]
    return cols + [f"{theme}_small_number"]


# --------------------------------------------------------------------------------------------------
# The profile


def ward_profile(
    wards: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    demographics: pd.DataFrame | None = None,
    period=None,
    baseline: str | Sequence[str] = ("previous", "year_earlier"),
    themes: ThemeTable | None = None,
    min_population: float = 1000.0,
    min_count: int = 10,
    n_locations: int = 5,
) -> WardProfile:
    """Profile every ward: residents, incidents per theme, rates, location quotients and change.

    Parameters
    ----------
    wards
        Ward polygons in the wards schema (:func:`snt_geo.io.read_wards`): unique index of ward
        codes, ``ward_name``, ``borough_code``, ``borough_name``; any labelled CRS.
    incidents
        Incidents (:func:`snt_geo.io.read_police_uk` / ``incidents_from_frame``): points with a CRS
        and the columns ``month`` and ``crime_type``; ``location`` (police.uk snap-point text) is
        used for key locations when present, ``date`` to detect a partial last month.
    demographics
        Residents per ward: a DataFrame indexed by ward code (or with a ``ward_code`` column) with
        ``population`` and any demographic columns (age bands, youth share, % social rented), as
        :func:`snt_geo.io.read_demographics` returns. Every column is carried into the profile
        (``year`` and ``source`` renamed ``demographics_year`` and ``demographics_source``;
        ``ward_name`` and the borough columns come from ``wards``).
        Default: none, so every rate is NaN and flagged.
    period
        Months profiled: ``(first, last)`` (``'YYYY-MM'`` or ``pandas.Period``), one month, or a
        ``PeriodIndex`` of consecutive months. Default: the last 12 complete months in the data
        (fewer if the data are shorter); a last month is partial when ``incidents`` has a ``date``
        column that ends before the month does. The rule used is recorded.
    baseline
        Comparisons to make: ``"previous"`` (the previous period of equal length) and/or
        ``"year_earlier"`` (the same months a year earlier). Default: both. A baseline the data
        do not cover (a month of it has no incident at all) gives NA change columns and is
        recorded as not covered.
    themes
        Theme table; default :data:`snt_geo.themes.DEFAULT_THEMES`. Every theme with at least one
        incident of one of its crime types anywhere in ``incidents`` is profiled.
    min_population
        Rates are NaN, and ``population_flag`` says why, for wards with fewer residents than this
        (default 1,000; London wards hold 5,000-20,000 people) or no population.
    min_count
        ``<theme>_small_number`` is True when the period count, or a covered baseline count, is
        below this (default 10): rates, quotients and changes on so few incidents are not
        worth reading.
    n_locations
        Key locations (snap points) kept per ward, default 5.

    Returns
    -------
    WardProfile
        ``wards``: GeoDataFrame indexed like ``wards`` (``ward_code``), EPSG:27700, columns in
        this order:

        - ``ward_name``, ``borough_code``, ``borough_name``;
        - ``population``, then the other ``demographics`` columns; ``population_flag``
          (NA, ``"missing"``, ``"zero"`` or ``"below_min_population"``; rates are NaN for
          each);
        - ``incident_count`` (all incidents in the period, every crime type),
          ``incident_rate_per_1000``, ``incident_eb_rate_per_1000``,
          ``incident_seb_rate_per_1000``, ``incident_rank_borough``;
        - for each theme key ``t`` (composite themes first, then one per crime type, as in
          ``themes.themes``; see :func:`theme_columns`): ``t_count``, ``t_rate_per_1000``,
          ``t_eb_rate_per_1000`` and ``t_seb_rate_per_1000`` (empirical Bayes and spatial
          empirical Bayes rates: every ward with residents gets one, below ``min_population``
          too; see :func:`~snt_geo.profile.smooth_ward_rates`),
          ``t_lq`` (location quotient against all wards given), ``t_lq_borough`` (against the
          ward's own borough), ``t_rank_borough`` (1 = highest rate in the borough), and per
          baseline ``b``: ``t_count_b``, ``t_change_pct_b``, ``t_p_b``; then ``t_small_number``;
        - ``geometry``.

        ``monthly`` (tidy monthly counts per ward and theme), ``key_locations`` (busiest snap
        points per ward), ``outside_monthly`` (incidents in no ward per month) and ``method``
        (:class:`ProfileMethod`: period, baselines, thresholds, accounting; also at
        ``wards.attrs["method"]``). See :class:`WardProfile` for their columns.

    Warns
    -----
    UserWarning
        When incidents in the period fall outside every ward or have no location (with counts),
        a month of the period has no incidents at all, or demographics codes match no ward.

    Notes
    -----
    *Assignment.* Each distinct location is placed once, with
    :func:`snt_geo.profile.assignment.assign_wards`: a point on a boundary shared by several wards
    counts once, for the ward that comes first in ``wards``; points in no ward are counted in
    ``accounting``. Counting is one
    ``numpy.bincount`` over (ward, month, crime type) followed by a crime-type x theme matrix
    product, so composite themes (``street_crime``) cost nothing extra.

    *Rates* are per 1,000 residents over the whole period (a 12-month period gives an annual
    rate; other lengths are not annualised).

    *Location quotient* (Brantingham & Brantingham 1995): the theme's share of a ward's incidents
    divided by its share of all incidents in the reference area,
    ``LQ = (c_it / c_i) / (C_t / C)``, with the reference all wards given (``t_lq``) or the
    ward's borough (``t_lq_borough``). LQ > 1 means the theme is over-represented in the ward's
    crime mix. It describes the mix, not the volume (see the rate for that): with a single crime
    type in ``incidents`` every LQ is 1. NaN where the ward has no incidents.

    *Change*: ``t_change_pct_b = 100 * (count - count_b) / count_b`` (NaN when ``count_b`` is 0)
    and ``t_p_b``, the two-sided p-value of the exact conditional binomial test of two Poisson
    counts (:func:`snt_geo.profile.trends.poisson_change_test`). p-values are per ward and theme,
    unadjusted for the many wards tested: read them as a screen, not a verdict.

    *Population* comes from the demographics as given; mid-year estimates rarely match the
    profiled period exactly.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> profile = ward_profile(sample.wards, sample.incidents, period="2023-06")
    >>> row = profile.wards.loc["E05000005"]
    >>> row["ward_name"], int(row["incident_count"])
    ('Bishopsgate', 119)
    """
    themes = themes or DEFAULT_THEMES
    baselines = (baseline,) if isinstance(baseline, str) else tuple(baseline)
    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise ValueError(
            f"`baseline` names unknown comparisons {bad}; use any of {list(BASELINES)}."
        )
    baselines = tuple(dict.fromkeys(baselines))
    min_population = check_non_negative("min_population", min_population)
    min_count = int(check_non_negative("min_count", min_count))
    n_locations = check_whole("n_locations", n_locations)
    areas, ward_index = _check_inputs(wards, incidents)
    n_wards = len(areas)

    months = month_ordinals(incidents["month"], argument="incidents['month']")
    window = _engine.choose_window(months, period, baselines, incidents)
    themed = _engine.crime_type_themes(incidents, themes)
    places = _engine.place_incidents(incidents, areas, ward_index, window.in_window)
    theme_monthly, all_monthly = _engine.count_cube(places, months, window, themed, n_wards)
    demo, demo_cols, unmatched = _engine.demographics_table(demographics, ward_index)
    table = _engine.ward_table(
        areas,
        ward_index,
        demo,
        demo_cols,
        theme_monthly,
        all_monthly,
        window,
        themed.keys,
        min_population=min_population,
        min_count=min_count,
    )
    table, smoothing = _add_smoothed_rates(table, areas, ["incident", *themed.keys])
    borough = areas["borough_code"].astype("string").to_numpy()
    monthly, outside_monthly = _engine.monthly_tables(
        theme_monthly, all_monthly, window, themed.keys, ward_index, borough
    )
    accounting, in_period = _engine.account(incidents, months, window, themed, all_monthly, n_wards)
    locations = _engine.key_locations(
        incidents,
        places,
        window,
        in_period,
        ward_index,
        table["incident_count"].to_numpy(),
        n_locations=n_locations,
    )
    method = _profile_method(
        window,
        themed.keys,
        accounting,
        demo_cols,
        unmatched,
        min_population=min_population,
        min_count=min_count,
        n_locations=n_locations,
        rate_smoothing=smoothing,
        theme_parents=tuple(
            sorted((c, p) for c, p in themes.parents.items() if c in set(themed.keys))
        ),
    )
    table.attrs["method"] = method
    _engine.warn_account(
        accounting,
        themed.unknown_types,
        window.period_gaps,
        unmatched,
        f"{method.period_start}..{method.period_end}",
        window.outliers,
    )
    return WardProfile(table, monthly, locations, outside_monthly, method)


def _add_smoothed_rates(
    table: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, keys: list[str]
) -> tuple[gpd.GeoDataFrame, RateSmoothingMethod | None]:
    """``<key>_eb_rate_per_1000`` / ``<key>_seb_rate_per_1000`` after each ``<key>_rate_per_1000``.

    NaN columns (and no record) when no ward has residents, e.g. without demographics.
    """
    population = pd.Series(table["population"].to_numpy(dtype=float), index=areas.index)
    counts = pd.DataFrame(
        {k: table[f"{k}_count"].to_numpy(dtype=float) for k in keys}, index=areas.index
    )
    record = None
    if (population > 0).any():
        with warnings.catch_warnings():
            # Wards without residents are already flagged in `population_flag`.
            warnings.simplefilter("ignore", UserWarning)
            smoothed = smooth_ward_rate_columns(areas, counts=counts, population=population)
        record = smoothed.attrs["method"]
    else:
        columns = [f"{k}_{kind}_rate_per_1000" for k in keys for kind in ("eb", "seb")]
        smoothed = pd.DataFrame(np.nan, index=areas.index, columns=columns)
    order: list[str] = []
    for col in table.columns:
        order.append(col)
        if col.endswith("_rate_per_1000") and col[: -len("_rate_per_1000")] in keys:
            key = col[: -len("_rate_per_1000")]
            order += [f"{key}_eb_rate_per_1000", f"{key}_seb_rate_per_1000"]
    values = smoothed.set_axis(table.index)
    out = pd.concat([pd.DataFrame(table.drop(columns=table.geometry.name)), values], axis=1)
    frame = gpd.GeoDataFrame(
        out[[c for c in order if c != table.geometry.name]],
        geometry=table.geometry.to_numpy(),
        crs=table.crs,
    )
    return frame, record


def _check_inputs(wards, incidents) -> tuple[gpd.GeoDataFrame, pd.Index]:
    """Return the wards (schema columns filled with NA when absent) and their ward-code index."""
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise TypeError(
            f"`incidents` must be a GeoDataFrame; got {type(incidents).__name__}. Read it with "
            "snt_geo.io.read_police_uk or build it with snt_geo.io.incidents_from_frame."
        )
    missing = [c for c in ("month", "crime_type") if c not in incidents.columns]
    if missing:
        raise SchemaError(
            "`incidents` lacks columns the profile needs:",
            [f"no `{c}` column (use snt_geo.io.read_police_uk)" for c in missing],
        )
    areas = check_wards(wards)
    for col in _engine.WARD_SCHEMA:
        if col not in areas.columns:
            areas = areas.assign(**{col: pd.Series(pd.NA, index=areas.index, dtype="string")})
    return areas, pd.Index(areas.index.astype("string"), name="ward_code")


def _profile_method(
    window: _engine.Window,
    keys: list[str],
    accounting: dict[str, int],
    demo_cols: tuple[str, ...],
    unmatched: tuple[str, ...],
    *,
    min_population: float,
    min_count: int,
    n_locations: int,
    rate_smoothing: RateSmoothingMethod | None = None,
    theme_parents: tuple[tuple[str, str], ...] = (),
) -> ProfileMethod:
    def to_p(o: int) -> pd.Period:
        return pd.Period(ordinal=int(o), freq="M")

    def maybe(o: int | None) -> pd.Period | None:
        return None if o is None else to_p(o)

    return ProfileMethod(
        period_start=to_p(window.start),
        period_end=to_p(window.end),
        period_rule=window.rule,
        baselines={b: (to_p(bs), to_p(be), cov) for b, (bs, be, cov) in window.base_ranges.items()},
        themes=tuple(keys),
        min_population=float(min_population),
        min_count=int(min_count),
        n_locations=int(n_locations),
        data_months=(maybe(window.data_first), maybe(window.data_last)),
        period_months_without_data=tuple(to_p(m) for m in window.period_gaps),
        accounting=accounting,
        demographic_columns=demo_cols,
        demographics_unmatched=unmatched,
        rate_smoothing=rate_smoothing,
        outlier_months=tuple(window.outliers.outliers) if window.outliers is not None else (),
        theme_parents=theme_parents,
    )


# --------------------------------------------------------------------------------------------------
# Accessors


def profile_info(profile: WardProfile | pd.DataFrame) -> ProfileMethod:
    """Return the :class:`ProfileMethod` of a :class:`WardProfile` or of its ``wards`` frame.

    Raises
    ------
    SntGeoError
        If ``profile`` did not come from :func:`ward_profile`, or a pandas operation dropped the
        frame's ``attrs`` (e.g. ``pd.concat`` with another frame).
    """
    if isinstance(profile, WardProfile):
        return profile.method
    attrs = getattr(profile, "attrs", None)
    method = attrs.get("method") if isinstance(attrs, dict) else None
    if not isinstance(method, ProfileMethod):
        raise SntGeoError(
            "`profile` carries no profile information: it did not come from ward_profile(), or "
            "a pandas operation (e.g. pd.concat of two profiles) dropped its attrs. Pass the "
            "WardProfile that ward_profile() returned, or its .wards frame; "
            "WardProfile.select(ward_codes) gives a subset of wards."
        )
    return method


def _ward_profile_of(profile, what: str) -> WardProfile:
    if not isinstance(profile, WardProfile):
        raise SntGeoError(
            f"`profile` must be the WardProfile that ward_profile() returned (its {what} are not "
            f"kept on the wards frame); got {type(profile).__name__}. Use "
            f"WardProfile.select(ward_codes) for a subset of wards."
        )
    return profile


def profile_monthly(profile: WardProfile) -> pd.DataFrame:
    """Tidy monthly counts per ward and theme (:attr:`WardProfile.monthly`).

    Returns
    -------
    pandas.DataFrame
        Columns ``ward_code``, ``borough_code``, ``theme`` (categorical, in profile order),
        ``month`` (Period[M]), ``count``: every ward x theme x month of the period and its covered
        baselines, zeros included.
    """
    return _ward_profile_of(profile, "monthly series").monthly


def profile_locations(profile: WardProfile) -> gpd.GeoDataFrame:
    """Key locations per ward (:attr:`WardProfile.key_locations`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``ward_code``, ``rank`` (1 = busiest), ``location`` (police.uk snap-point text),
        ``count``, ``share`` (of the ward's incidents in the period), ``geometry`` (points,
        EPSG:27700).
    """
    return _ward_profile_of(profile, "key locations").key_locations
