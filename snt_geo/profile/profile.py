"""Ward profiles: who lives in a ward, what happens there, where, and how it is changing.

:func:`ward_profile` returns one GeoDataFrame row per ward. The tables that do not fit one row per
ward (the monthly series per theme, the key locations) and the automatic choices (period,
baselines, thresholds) travel with it in ``profile.attrs["profile"]``, a :class:`ProfileInfo`, and
are read with :func:`profile_info`, :func:`profile_monthly` and :func:`profile_locations`.

Why a GeoDataFrame and not a result dataclass: the profile *is* a table of wards (the issue asks for
a GeoDataFrame indexed like ``wards``), and analysts filter, sort, map and export it as one. The
few extra tables are secondary, so they ride along in ``attrs`` instead of forcing every user
through ``result.frame``. pandas copies ``attrs`` on most operations; :class:`ProfileInfo` is
immutable and shares itself instead of being deep-copied, so that costs nothing. Operations that
drop ``attrs`` (e.g. ``pd.concat`` of different frames) lose the extra tables: keep the original.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io.boundaries import check_wards
from snt_geo.profile.assignment import assign_wards
from snt_geo.profile.trends import percent_change, poisson_change_test
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "BASELINES",
    "ProfileInfo",
    "ward_profile",
    "profile_info",
    "profile_monthly",
    "profile_locations",
    "theme_columns",
]

_ATTR = "profile"

#: Baseline comparisons :func:`ward_profile` knows: name -> description.
BASELINES: dict[str, str] = {
    "previous": "the previous period of equal length",
    "year_earlier": "the same months a year earlier",
}

_WARD_SCHEMA = ("ward_name", "borough_code", "borough_name")


@dataclass(frozen=True, eq=False)
class ProfileInfo:
    """What :func:`ward_profile` did, and the tables that are not one row per ward.

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
    outside_monthly
        Incidents in no ward per month of the window (Series indexed by month).
    demographic_columns
        Demographic columns carried into the profile.
    demographics_unmatched
        Ward codes in ``demographics`` that are not in ``wards`` (boundary vintages differ).
    monthly
        Tidy monthly counts: columns ``ward_code``, ``borough_code``, ``theme``, ``month``,
        ``count``; every ward x theme x month of the window that is in the data (or in the
        period), zeros included.
    key_locations
        GeoDataFrame (EPSG:27700 snap points) of the busiest locations per ward in the period:
        ``ward_code``, ``rank`` (1 = busiest), ``location``, ``count``, ``share`` (of the ward's
        incidents), ``geometry``.
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
    outside_monthly: pd.Series = field(repr=False)
    demographic_columns: tuple[str, ...] = ()
    demographics_unmatched: tuple[str, ...] = ()
    monthly: pd.DataFrame = field(default=None, repr=False)
    key_locations: gpd.GeoDataFrame = field(default=None, repr=False)

    def __deepcopy__(self, memo):
        # Immutable by contract: pandas deep-copies attrs on every operation; share instead.
        return self

    @property
    def n_months(self) -> int:
        """Length of the period in months."""
        return self.period_end.ordinal - self.period_start.ordinal + 1

    def summary(self) -> str:
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
            f"{acc['in_period']:,} incidents in the period: "
            f"{acc['in_period_in_wards']:,} in wards, "
            f"{acc['in_period_outside_wards']:,} outside every ward, "
            f"{acc['in_period_no_geometry']:,} without a location."
        )
        parts.append(
            f"Rates per 1,000 residents over the period, NaN below {self.min_population:g} "
            f"residents; small-number flag below {self.min_count} incidents."
        )
        return " ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """The recorded choices and counts as a two-column table (``item``, ``value``)."""
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
        return f"<p>{html.escape(self.summary())}</p>" + self.to_frame().to_html(index=False)


def theme_columns(theme: str, baselines: Sequence[str] = tuple(BASELINES)) -> list[str]:
    """Profile column names for one theme key, in the order :func:`ward_profile` writes them.

    >>> theme_columns("asb", ["previous"])[:4]
    ['asb_count', 'asb_rate_per_1000', 'asb_lq', 'asb_lq_borough']
    """
    cols = [f"{theme}_{s}" for s in ("count", "rate_per_1000", "lq", "lq_borough", "rank_borough")]
    for b in baselines:
        cols += [f"{theme}_count_{b}", f"{theme}_change_pct_{b}", f"{theme}_p_{b}"]
    return cols + [f"{theme}_small_number"]


# --------------------------------------------------------------------------------------------------
# Input handling


def _month_ordinals(values: pd.Series) -> np.ndarray:
    """Month ordinals (months since 1970-01) of a month column; -1 marks a missing month."""
    if isinstance(values.dtype, pd.PeriodDtype):
        per = values.array
    else:
        cat = values.astype("category")
        cats = pd.Series(cat.cat.categories.astype(str))
        parsed = pd.to_datetime(cats, format="ISO8601", errors="coerce").dt.to_period("M")
        lookup = np.where(parsed.isna(), -1, parsed.array.asi8)
        codes = cat.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1).astype(np.int64)
    ords = per.asi8.copy()
    ords[per.isna()] = -1
    return ords.astype(np.int64)


def _as_period(value, argument: str) -> pd.Period:
    out = None
    # pandas reads 'March' as March of year 1: insist on a year for strings.
    if not isinstance(value, str) or re.match(r"^\s*\d{4}-\d{1,2}", value):
        try:
            out = pd.Period(value, freq="M")
        except (ValueError, TypeError):
            out = None
    if out is None or pd.isna(out):
        raise ValueError(
            f"`{argument}` holds {value!r}, which is not a month; use 'YYYY-MM' strings or "
            "pandas.Period values, e.g. period=('2019-01', '2019-12')."
        )
    return out


def _choose_period(period, months: np.ndarray, incidents: pd.DataFrame) -> tuple[int, int, str]:
    """(first ordinal, n_months, rule) of the profiled period."""
    if period is not None:
        if isinstance(period, pd.PeriodIndex | pd.DatetimeIndex) or (
            isinstance(period, Sequence) and not isinstance(period, str) and len(period) > 2
        ):
            idx = pd.PeriodIndex(period, freq="M").sort_values()
            if len(idx) == 0 or (np.diff(idx.asi8) != 1).any():
                raise ValueError(
                    "`period` must be consecutive months; got "
                    f"{[str(p) for p in idx[:6]]}. Pass (first, last), e.g. ('2019-01', '2019-12')."
                )
            start, end = idx[0], idx[-1]
        elif isinstance(period, Sequence) and not isinstance(period, str) and len(period) == 2:
            start, end = _as_period(period[0], "period"), _as_period(period[1], "period")
        else:
            start = end = _as_period(period, "period")
        if end < start:
            raise ValueError(
                f"`period` runs backwards ({start}..{end}); pass (first, last) with first <= last."
            )
        return start.ordinal, end.ordinal - start.ordinal + 1, "given"
    valid = months[months >= 0]
    if len(valid) == 0:
        raise ValueError(
            "`incidents` has no rows with a month, so no default period can be chosen; pass "
            "`period=('YYYY-MM', 'YYYY-MM')` or check the input."
        )
    first, last = int(valid.min()), int(valid.max())
    rule = "default: the last 12 complete months in the data"
    if "date" in incidents.columns and pd.api.types.is_datetime64_any_dtype(incidents["date"]):
        latest = incidents["date"].max()
        if pd.notna(latest):
            last_month = pd.Period(latest, freq="M")
            # A BIU extract taken mid-month ends in a partial month: leave it out.
            if last_month.ordinal == last and latest.normalize() < last_month.end_time.normalize():
                last -= 1
                rule += f" (partial month {last_month} left out)"
    n = min(12, last - first + 1)
    if n < 12:
        rule = f"default: all {n} complete months in the data (fewer than 12)"
    if n <= 0:
        raise ValueError(
            "`incidents` holds only a partial month, so no complete month can be profiled; pass "
            "`period=` explicitly."
        )
    return last - n + 1, n, rule


def _demographics_table(
    demographics, wards_index: pd.Index
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Demographics aligned to the wards, the columns kept and the unmatched codes."""
    if demographics is None:
        frame = pd.DataFrame({"population": np.nan}, index=wards_index)
        return frame, (), ()
    if not isinstance(demographics, pd.DataFrame):
        raise TypeError(
            f"`demographics` must be a DataFrame indexed by ward code; got "
            f"{type(demographics).__name__}. Use snt_geo.io.read_demographics."
        )
    demo = demographics
    if "ward_code" in demo.columns:
        demo = demo.set_index("ward_code")
    problems = []
    if "population" not in demo.columns:
        problems.append("no `population` column; rename the resident count column to `population`")
    if not demo.index.is_unique:
        dupes = demo.index[demo.index.duplicated()].unique().tolist()[:5]
        problems.append(f"ward codes {dupes} appear more than once")
    if problems:
        raise SchemaError("`demographics` cannot be joined to the wards:", problems)
    demo = demo.drop(columns=[c for c in demo.columns if c in ("geometry", *_WARD_SCHEMA)])
    # read_demographics' bookkeeping columns would be ambiguous among crime columns.
    demo = demo.rename(columns={"year": "demographics_year", "source": "demographics_source"})
    demo.index = demo.index.astype("string")
    unmatched = tuple(str(c) for c in demo.index.difference(wards_index))
    kept = tuple(c for c in demo.columns if c != "population")
    aligned = demo.reindex(wards_index)
    aligned["population"] = pd.to_numeric(aligned["population"], errors="coerce").astype(float)
    return aligned[["population", *kept]], kept, unmatched


def _theme_matrix(categories: pd.Index, themes: ThemeTable) -> tuple[np.ndarray, list[str]]:
    """0/1 matrix (categories + 1 missing row) x (every theme key), and the unknown categories."""
    keys = list(themes.themes)
    mat = np.zeros((len(categories) + 1, len(keys)), dtype=np.int64)
    unknown = []
    for i, name in enumerate(categories):
        if name not in themes.crime_types:
            unknown.append(str(name))
            continue
        for t in themes.themes_of(name):
            mat[i, keys.index(t)] = 1
    return mat, unknown


def _unique_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of distinct (x, y) pairs (hash-based, O(n)) and the first row of each."""
    fx, ux = pd.factorize(x)
    fy, uy = pd.factorize(y)
    codes, first = pd.factorize(fx.astype(np.int64) * (len(uy) + 1) + fy)
    first_row = np.zeros(len(first), dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes.astype(np.int64), first_row


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
) -> gpd.GeoDataFrame:
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
    geopandas.GeoDataFrame
        Indexed like ``wards`` (``ward_code``), EPSG:27700, columns in this order:

        - ``ward_name``, ``borough_code``, ``borough_name``;
        - ``population``, then the other ``demographics`` columns; ``population_flag``
          (NA, ``"missing"`` or ``"below_min_population"``);
        - ``incident_count`` (all incidents in the period, every crime type),
          ``incident_rate_per_1000``, ``incident_rank_borough``;
        - for each theme key ``t`` (composite themes first, then one per crime type, as in
          ``themes.themes``; see :func:`theme_columns`): ``t_count``, ``t_rate_per_1000``,
          ``t_lq`` (location quotient against all wards given), ``t_lq_borough`` (against the
          ward's own borough), ``t_rank_borough`` (1 = highest rate in the borough), and per
          baseline ``b``: ``t_count_b``, ``t_change_pct_b``, ``t_p_b``; then ``t_small_number``;
        - ``geometry``.

        ``attrs["profile"]`` holds a :class:`ProfileInfo` (period, baselines, thresholds,
        accounting, the monthly series and the key locations); read it with
        :func:`profile_info`, :func:`profile_monthly`, :func:`profile_locations`.

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
    """
    themes = themes or DEFAULT_THEMES
    baselines = (baseline,) if isinstance(baseline, str) else tuple(baseline)
    bad = [b for b in baselines if b not in BASELINES]
    if bad:
        raise ValueError(
            f"`baseline` names unknown comparisons {bad}; use any of {list(BASELINES)}."
        )
    baselines = tuple(dict.fromkeys(baselines))
    for name, value in (("min_population", min_population), ("min_count", min_count)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative number; got {value!r}.")
    if int(n_locations) != n_locations or n_locations < 0:
        raise ValueError(f"`n_locations` must be a whole number >= 0; got {n_locations!r}.")
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
    for col in _WARD_SCHEMA:
        if col not in areas.columns:
            areas = areas.assign(**{col: pd.Series(pd.NA, index=areas.index, dtype="string")})
    ward_index = pd.Index(areas.index.astype("string"), name="ward_code")
    n_wards = len(areas)

    # --- months and the analysis window
    months = _month_ordinals(incidents["month"])
    start, n_months, rule = _choose_period(period, months, incidents)
    end = start + n_months - 1
    offsets = {"previous": n_months, "year_earlier": 12}
    valid_months = months[months >= 0]
    data_first = int(valid_months.min()) if len(valid_months) else None
    data_last = int(valid_months.max()) if len(valid_months) else None
    base_ranges = {}
    # A month is "in the data" when any incident has it: a gap in an archive (months never
    # downloaded) must give NA, not a false zero.
    data_month_set = np.unique(valid_months)
    for b in baselines:
        bs, be = start - offsets[b], end - offsets[b]
        covered = bool(np.isin(np.arange(bs, be + 1), data_month_set).all())
        base_ranges[b] = (bs, be, covered)
    period_gaps = np.setdiff1d(np.arange(start, end + 1), data_month_set)
    win_start = min([start] + [bs for bs, _, c in base_ranges.values() if c])
    win_len = end - win_start + 1
    in_window = (months >= win_start) & (months <= end)

    # --- crime types and themes
    ctype = incidents["crime_type"]
    if not isinstance(ctype.dtype, pd.CategoricalDtype):
        ctype = ctype.astype("category")
    cats = ctype.cat.categories
    ct_codes = ctype.cat.codes.to_numpy().astype(np.int64)
    ct_codes[ct_codes < 0] = len(cats)
    matrix, unknown_types = _theme_matrix(cats, themes)
    present_types = np.bincount(ct_codes, minlength=len(cats) + 1) > 0
    key_present = (matrix[present_types].sum(axis=0) > 0) if len(ct_codes) else np.zeros(0, bool)
    keys = [k for k, p in zip(themes.themes, key_present, strict=False) if p]
    matrix = matrix[:, [themes.themes.index(k) for k in keys]]
    n_cat = len(cats) + 1

    # --- locations: each distinct point assigned once
    geom = to_working_crs(incidents.geometry, argument="incidents", check_bounds=False)
    garr = geom.to_numpy()[in_window]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xs = shapely.get_x(garr) if len(garr) else np.zeros(0)
        ys = shapely.get_y(garr) if len(garr) else np.zeros(0)
    has_xy = ~(np.isnan(xs) | np.isnan(ys))
    pt_code = np.full(len(garr), -1, dtype=np.int64)
    ward_pos = np.full(len(garr), n_wards + 1, dtype=np.int64)  # n_wards + 1: no location
    ux = uy = np.zeros(0)
    upos = np.zeros(0, dtype=np.int64)
    if has_xy.any():
        codes, first_row = _unique_points(xs[has_xy], ys[has_xy])
        ux, uy = xs[has_xy][first_row], ys[has_xy][first_row]
        upts = gpd.GeoDataFrame(geometry=shapely.points(ux, uy), crs=WORKING_CRS)
        ucode = assign_wards(upts, areas)
        upos = ward_index.get_indexer(ucode.astype("string").fillna("\x00"))
        upos = np.where(upos < 0, n_wards, upos)  # n_wards: outside every ward
        pt_code[has_xy] = codes
        ward_pos[has_xy] = upos[codes]

    # --- one bincount: (ward incl. outside/no-location) x month x crime type
    m_idx = months[in_window] - win_start
    ct_win = ct_codes[in_window]
    flat = (ward_pos * win_len + m_idx) * n_cat + ct_win
    cube = np.bincount(flat, minlength=(n_wards + 2) * win_len * n_cat).reshape(
        n_wards + 2, win_len, n_cat
    )
    theme_monthly = cube @ matrix  # (wards + 2, months, keys)
    all_monthly = cube.sum(axis=2)  # (wards + 2, months)

    def period_sum(arr: np.ndarray, first: int, last: int) -> np.ndarray:
        return arr[:, first - win_start : last - win_start + 1].sum(axis=1)

    counts = period_sum(theme_monthly, start, end)  # (wards + 2, keys)
    totals = period_sum(all_monthly, start, end)  # (wards + 2,)

    # --- demographics and rates
    demo, demo_cols, unmatched = _demographics_table(demographics, ward_index)
    pop = demo["population"].to_numpy(dtype=float)
    pop_flag = pd.array(
        np.where(
            np.isnan(pop), "missing", np.where(pop < min_population, "below_min_population", None)
        ),
        dtype="string",
    )
    usable = ~np.isnan(pop) & (pop >= min_population)

    def rate(c: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(usable, c / pop * 1000.0, np.nan)

    borough = areas["borough_code"].astype("string").to_numpy()
    b_codes, b_uniq = pd.factorize(pd.Series(borough, dtype="string"), use_na_sentinel=True)

    def lq(c: np.ndarray, tot: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tot > 0, c / tot, np.nan)
            if groups is None:
                ref = c.sum() / tot.sum() if tot.sum() > 0 else np.nan
                return share / ref
            ok = groups >= 0
            gc = np.bincount(groups[ok], weights=c[ok], minlength=len(b_uniq))
            gt = np.bincount(groups[ok], weights=tot[ok], minlength=len(b_uniq))
            ref = np.where(gt > 0, gc / gt, np.nan)
            out = np.full(len(c), np.nan)
            out[ok] = share[ok] / ref[groups[ok]]
            return out

    def rank_borough(r: np.ndarray) -> pd.array:
        ranks = (
            pd.Series(r)
            .groupby(pd.Series(borough, dtype="string"), dropna=True)
            .rank(ascending=False, method="min")
        )
        ranks = ranks.reindex(range(len(r)))
        return pd.array(ranks.to_numpy(), dtype="Int64")

    data: dict[str, object] = {c: areas[c].astype("string").to_numpy() for c in _WARD_SCHEMA}
    data["population"] = pop
    for c in demo_cols:
        data[c] = demo[c].to_numpy()
    data["population_flag"] = pop_flag
    tot_w = totals[:n_wards]
    data["incident_count"] = tot_w.astype(np.int64)
    data["incident_rate_per_1000"] = rate(tot_w)
    data["incident_rank_borough"] = rank_borough(data["incident_rate_per_1000"])
    base_counts = {b: period_sum(theme_monthly, bs, be) for b, (bs, be, _) in base_ranges.items()}
    for j, key in enumerate(keys):
        c = counts[:n_wards, j].astype(np.int64)
        r = rate(c)
        data[f"{key}_count"] = c
        data[f"{key}_rate_per_1000"] = r
        data[f"{key}_lq"] = lq(c.astype(float), tot_w.astype(float), None)
        data[f"{key}_lq_borough"] = lq(c.astype(float), tot_w.astype(float), b_codes)
        data[f"{key}_rank_borough"] = rank_borough(r)
        small = c < min_count
        for b, (_, _, covered) in base_ranges.items():
            bc = base_counts[b][:n_wards, j].astype(float)
            if not covered:
                bc = np.full(n_wards, np.nan)
            else:
                small = small | (bc < min_count)
            data[f"{key}_count_{b}"] = pd.array(
                np.where(np.isnan(bc), None, bc).astype(object), dtype="Int64"
            )
            data[f"{key}_change_pct_{b}"] = percent_change(c, bc)
            data[f"{key}_p_{b}"] = poisson_change_test(c, bc)
        data[f"{key}_small_number"] = small
    out = gpd.GeoDataFrame(
        pd.DataFrame(data, index=ward_index), geometry=areas.geometry.to_numpy(), crs=WORKING_CRS
    )

    # --- monthly table (covered months of the window only)
    month_ords = np.arange(win_start, end + 1)
    covered_m = np.isin(month_ords, data_month_set) | ((month_ords >= start) & (month_ords <= end))
    month_ords = month_ords[covered_m]
    tm = theme_monthly[:n_wards][:, covered_m, :]  # wards x months x keys
    w_i, m_i, k_i = np.meshgrid(
        np.arange(n_wards), np.arange(len(month_ords)), np.arange(len(keys)), indexing="ij"
    )
    monthly = pd.DataFrame(
        {
            "ward_code": pd.array(ward_index.to_numpy()[w_i.ravel()], dtype="string"),
            "borough_code": pd.array(borough[w_i.ravel()], dtype="string"),
            "theme": pd.Categorical.from_codes(k_i.ravel(), categories=keys),
            "month": pd.PeriodIndex.from_ordinals(month_ords[m_i.ravel()], freq="M"),
            "count": tm.ravel().astype(np.int64),
        }
    )
    outside_monthly = pd.Series(
        all_monthly[n_wards, covered_m].astype(np.int64),
        index=pd.PeriodIndex.from_ordinals(month_ords, freq="M", name="month"),
        name="outside_wards",
    )

    # --- key locations in the period
    in_period = (m_idx >= start - win_start) & (m_idx <= end - win_start)
    locations = _key_locations(
        incidents,
        in_window=in_window,
        in_period=in_period,
        ward_pos=ward_pos,
        pt_code=pt_code,
        upos=upos,
        ux=ux,
        uy=uy,
        ward_index=ward_index,
        ward_totals=tot_w,
        n_wards=n_wards,
        n_locations=int(n_locations),
    )

    # Crime types in no theme (unknown names, or blank): counted in incident_count only.
    unknown_mask = np.isin(ct_win, [*(cats.get_loc(u) for u in unknown_types), len(cats)])
    accounting = {
        "rows": int(len(incidents)),
        "no_month": int((months < 0).sum()),
        "outside_window": int(((months >= 0) & ~in_window).sum()),
        "in_period": int(in_period.sum()),
        "in_period_in_wards": int(tot_w.sum()),
        "in_period_outside_wards": int(totals[n_wards]),
        "in_period_no_geometry": int(totals[n_wards + 1]),
        "in_period_unknown_crime_type": int(np.sum(unknown_mask & in_period)),
    }
    to_p = lambda o: pd.Period(ordinal=int(o), freq="M")  # noqa: E731
    info = ProfileInfo(
        period_start=to_p(start),
        period_end=to_p(end),
        period_rule=rule,
        baselines={b: (to_p(bs), to_p(be), cov) for b, (bs, be, cov) in base_ranges.items()},
        themes=tuple(keys),
        min_population=float(min_population),
        min_count=int(min_count),
        n_locations=int(n_locations),
        data_months=(
            to_p(data_first) if data_first is not None else None,
            to_p(data_last) if data_last is not None else None,
        ),
        period_months_without_data=tuple(to_p(m) for m in period_gaps),
        accounting=accounting,
        outside_monthly=outside_monthly,
        demographic_columns=demo_cols,
        demographics_unmatched=unmatched,
        monthly=monthly,
        key_locations=locations,
    )
    out.attrs[_ATTR] = info
    notes = []
    if accounting["in_period_outside_wards"]:
        notes.append(f"{accounting['in_period_outside_wards']:,} outside every ward")
    if accounting["in_period_no_geometry"]:
        notes.append(f"{accounting['in_period_no_geometry']:,} without a location")
    if accounting["in_period_unknown_crime_type"]:
        notes.append(
            f"{accounting['in_period_unknown_crime_type']:,} of crime types in no theme "
            f"({unknown_types}), counted in incident_count only"
        )
    if len(period_gaps):
        notes.append(
            f"{len(period_gaps)} month(s) of the period have no incidents at all "
            f"({[str(to_p(m)) for m in period_gaps[:3]]}): their zeros may not be real"
        )
    if unmatched:
        notes.append(
            f"{len(unmatched)} demographics ward code(s) match no ward (e.g. {list(unmatched[:3])})"
        )
    if notes:
        warnings.warn(
            f"ward_profile: of {accounting['in_period']:,} incidents in {info.period_start}.."
            f"{info.period_end}, " + "; ".join(notes) + ". See profile_info(profile).accounting.",
            UserWarning,
            stacklevel=2,
        )
    return out


def _key_locations(
    incidents: pd.DataFrame,
    *,
    in_window: np.ndarray,
    in_period: np.ndarray,
    ward_pos: np.ndarray,
    pt_code: np.ndarray,
    upos: np.ndarray,
    ux: np.ndarray,
    uy: np.ndarray,
    ward_index: pd.Index,
    ward_totals: np.ndarray,
    n_wards: int,
    n_locations: int,
) -> gpd.GeoDataFrame:
    """Busiest snap points per ward in the period (a point lies in one ward, so count points)."""
    sel = in_period & (ward_pos < n_wards) & (pt_code >= 0)
    counts = np.bincount(pt_code[sel], minlength=len(ux))
    p = np.flatnonzero(counts)
    cols = ["ward_code", "rank", "location", "count", "share"]
    if n_locations == 0 or len(p) == 0:
        empty = pd.DataFrame({c: [] for c in cols})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WORKING_CRS))
    w, c = upos[p], counts[p]
    order = np.lexsort((p, -c, w))  # ward, then busiest first, ties by first appearance
    w, p, c = w[order], p[order], c[order]
    starts = np.r_[0, np.flatnonzero(np.diff(w)) + 1]
    rank = np.arange(len(w)) - np.repeat(starts, np.diff(np.r_[starts, len(w)])) + 1
    keep = rank <= n_locations
    w, p, c, rank = w[keep], p[keep], c[keep], rank[keep]
    if "location" in incidents.columns:
        # The text of the first incident seen at each snap point, via category codes.
        loc = incidents["location"]
        if not isinstance(loc.dtype, pd.CategoricalDtype):
            loc = loc.astype("category")
        loc_codes = loc.cat.codes.to_numpy()[in_window]
        first = np.full(len(ux), -1, dtype=np.int64)
        rows = np.flatnonzero(pt_code >= 0)
        first[pt_code[rows][::-1]] = rows[::-1]
        code = loc_codes[first[p]]
        cats = np.asarray(loc.cat.categories, dtype=object)
        labels = pd.array(
            np.where(code >= 0, cats[np.maximum(code, 0)] if len(cats) else None, None),
            dtype="string",
        )
    else:
        labels = pd.array([pd.NA] * len(p), dtype="string")
    frame = pd.DataFrame(
        {
            "ward_code": pd.array(ward_index.to_numpy()[w], dtype="string"),
            "rank": rank.astype(np.int64),
            "location": labels,
            "count": c.astype(np.int64),
            "share": c / ward_totals[w],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.points(ux[p], uy[p]), crs=WORKING_CRS)


# --------------------------------------------------------------------------------------------------
# Accessors


def profile_info(profile: pd.DataFrame) -> ProfileInfo:
    """The :class:`ProfileInfo` that :func:`ward_profile` attached to ``profile``.

    Raises
    ------
    KeyError
        If ``profile`` did not come from :func:`ward_profile`, or a pandas operation dropped its
        ``attrs`` (e.g. ``pd.concat`` with another frame).
    """
    try:
        return profile.attrs[_ATTR]
    except (KeyError, AttributeError):
        raise KeyError(
            "`profile` carries no profile information: it did not come from ward_profile(), or "
            "a pandas operation dropped its attrs. Keep the frame ward_profile() returned."
        ) from None


def profile_monthly(profile: pd.DataFrame) -> pd.DataFrame:
    """Tidy monthly counts per ward and theme (see :attr:`ProfileInfo.monthly`).

    Returns
    -------
    pandas.DataFrame
        Columns ``ward_code``, ``borough_code``, ``theme`` (categorical, in profile order),
        ``month`` (Period[M]), ``count``: every ward x theme x month of the period and its covered
        baselines, zeros included. Restricted to the wards still in ``profile``.
    """
    monthly = profile_info(profile).monthly
    if len(profile) != monthly["ward_code"].nunique():
        monthly = monthly[monthly["ward_code"].isin(profile.index)]
    return monthly


def profile_locations(profile: pd.DataFrame) -> gpd.GeoDataFrame:
    """Key locations per ward (see :attr:`ProfileInfo.key_locations`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``ward_code``, ``rank`` (1 = busiest), ``location`` (police.uk snap-point text),
        ``count``, ``share`` (of the ward's incidents in the period), ``geometry`` (points,
        EPSG:27700), for the wards still in ``profile``.
    """
    locs = profile_info(profile).key_locations
    return locs[locs["ward_code"].isin(profile.index)]
