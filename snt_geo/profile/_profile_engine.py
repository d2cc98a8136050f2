"""The engine behind :func:`snt_geo.profile.profile.ward_profile`, in named steps.

:func:`ward_profile` reads top-down as: :func:`choose_window` (period, baselines and the months
to count), :func:`crime_type_themes` (which crime types feed which theme), :func:`place_incidents`
(each distinct location assigned to a ward once), :func:`count_cube` (one ``bincount`` over ward x
month x crime type), then :func:`ward_table`, :func:`monthly_tables` and :func:`key_locations`,
and the :func:`account` of every incident.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.extensions import ExtensionArray

from snt_geo._dates import NO_MONTH, MonthOutliers, find_outlier_months, parse_month
from snt_geo._format import format_count
from snt_geo._locations import first_rows, group_locations
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.profile.assignment import ward_positions
from snt_geo.profile.trends import percent_change, poisson_change_test
from snt_geo.themes import ThemeTable

WARD_SCHEMA = ("ward_name", "borough_code", "borough_name")


# --------------------------------------------------------------------------------------------------
# The period and the window of months counted


@dataclass(frozen=True, eq=False)
class Window:
    """The profiled period and the months counted (ordinals: months since 1970-01)."""

    start: int
    end: int
    rule: str
    base_ranges: dict[str, tuple[int, int, bool]]
    win_start: int
    in_window: np.ndarray
    data_first: int | None
    data_last: int | None
    data_months: np.ndarray
    period_gaps: np.ndarray
    outliers: MonthOutliers | None = None

    @property
    def win_len(self) -> int:
        return self.end - self.win_start + 1


def choose_window(
    months: np.ndarray, period, baselines: Sequence[str], incidents: pd.DataFrame
) -> Window:
    """Return the period, each baseline's months and whether the data cover them, and the window."""
    start, n_months, rule, outliers = _choose_period(period, months, incidents)
    end = start + n_months - 1
    offsets = {"previous": n_months, "year_earlier": 12}
    valid = months[months != NO_MONTH]
    # A month is "in the data" when any incident has it: a gap in an archive (months never
    # downloaded) must give NA, not a false zero.
    data_months = np.unique(valid)
    base_ranges = {}
    for b in baselines:
        bs, be = start - offsets[b], end - offsets[b]
        covered = bool(np.isin(np.arange(bs, be + 1), data_months).all())
        base_ranges[b] = (bs, be, covered)
    win_start = min([start] + [bs for bs, _, c in base_ranges.values() if c])
    return Window(
        start=start,
        end=end,
        rule=rule,
        base_ranges=base_ranges,
        win_start=win_start,
        in_window=(months != NO_MONTH) & (months >= win_start) & (months <= end),
        data_first=int(valid.min()) if len(valid) else None,
        data_last=int(valid.max()) if len(valid) else None,
        data_months=data_months,
        period_gaps=np.setdiff1d(np.arange(start, end + 1), data_months),
        outliers=outliers if outliers is not None and outliers.outliers else None,
    )


# --------------------------------------------------------------------------------------------------
# Crime types and themes


@dataclass(frozen=True, eq=False)
class Themes:
    """Each incident's crime-type code and the crime-type x theme matrix of the themes profiled."""

    keys: list[str]
    matrix: np.ndarray
    codes: np.ndarray
    categories: pd.Index
    unknown_types: list[str]


def crime_type_themes(incidents: pd.DataFrame, themes: ThemeTable) -> Themes:
    """Crime-type codes (the last code for a missing type) and the themes present in the data."""
    ctype = incidents["crime_type"]
    if not isinstance(ctype.dtype, pd.CategoricalDtype):
        ctype = ctype.astype("category")
    cats = ctype.cat.categories
    codes = ctype.cat.codes.to_numpy().astype(np.int64)
    codes[codes < 0] = len(cats)
    matrix, unknown_types = _theme_matrix(cats, themes)
    present_types = np.bincount(codes, minlength=len(cats) + 1) > 0
    key_present = (matrix[present_types].sum(axis=0) > 0) if len(codes) else np.zeros(0, bool)
    keys = [k for k, p in zip(themes.themes, key_present, strict=False) if p]
    matrix = matrix[:, [themes.themes.index(k) for k in keys]]
    return Themes(keys, matrix, codes, cats, unknown_types)


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


# --------------------------------------------------------------------------------------------------
# Places: each distinct location assigned to a ward once


@dataclass(frozen=True, eq=False)
class Places:
    """Per incident in the window: its distinct point and ward position; per point: x, y, ward.

    Ward positions: ``0 .. n_wards - 1`` a ward, ``n_wards`` outside every ward, ``n_wards + 1``
    no location.
    """

    pt_code: np.ndarray
    ward_pos: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    upos: np.ndarray


def place_incidents(
    incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, ward_index: pd.Index, in_window
) -> Places:
    """Assign each distinct location of the window's incidents to a ward, once."""
    n_wards = len(areas)
    geom = to_working_crs(incidents.geometry, argument="incidents", check_bounds=False)
    garr = geom.to_numpy()[in_window]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xs = shapely.get_x(garr) if len(garr) else np.zeros(0)
        ys = shapely.get_y(garr) if len(garr) else np.zeros(0)
    has_xy = ~(np.isnan(xs) | np.isnan(ys))
    pt_code = np.full(len(garr), -1, dtype=np.int64)
    ward_pos = np.full(len(garr), n_wards + 1, dtype=np.int64)
    ux = uy = np.zeros(0)
    upos = np.zeros(0, dtype=np.int64)
    if has_xy.any():
        codes, uxy, _ = group_locations(xs[has_xy], ys[has_xy])
        first = first_rows(codes, len(uxy))
        ux, uy = xs[has_xy][first], ys[has_xy][first]
        # The distinct locations are already in EPSG:27700 and ``areas`` is ``ward_index`` in
        # order: ward positions straight from the coordinates, no point objects built.
        upos = ward_positions(ux, uy, areas)
        upos = np.where(upos < 0, n_wards, upos)
        pt_code[has_xy] = codes
        ward_pos[has_xy] = upos[codes]
    return Places(pt_code, ward_pos, ux, uy, upos)


# --------------------------------------------------------------------------------------------------
# Counting


def count_cube(
    places: Places, months: np.ndarray, window: Window, themes: Themes, n_wards: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return counts per (ward or outside / no location, window month): per theme, and all."""
    n_cat = len(themes.categories) + 1
    m_idx = months[window.in_window] - window.win_start
    ct_win = themes.codes[window.in_window]
    flat = (places.ward_pos * window.win_len + m_idx) * n_cat + ct_win
    cube = np.bincount(flat, minlength=(n_wards + 2) * window.win_len * n_cat).reshape(
        n_wards + 2, window.win_len, n_cat
    )
    return cube @ themes.matrix, cube.sum(axis=2)


def period_sum(arr: np.ndarray, window: Window, first: int, last: int) -> np.ndarray:
    """Sum over the months ``first..last`` (ordinals) of a (rows, window months, ...) array."""
    return arr[:, first - window.win_start : last - window.win_start + 1].sum(axis=1)


# --------------------------------------------------------------------------------------------------
# The ward table


def ward_table(
    areas: gpd.GeoDataFrame,
    ward_index: pd.Index,
    demo: pd.DataFrame,
    demo_cols: tuple[str, ...],
    theme_monthly: np.ndarray,
    all_monthly: np.ndarray,
    window: Window,
    keys: list[str],
    *,
    min_population: float,
    min_count: int,
) -> gpd.GeoDataFrame:
    """One row per ward: residents, counts, rates, location quotients, ranks and change."""
    n_wards = len(areas)
    counts = period_sum(theme_monthly, window, window.start, window.end)
    tot_w = period_sum(all_monthly, window, window.start, window.end)[:n_wards]
    pop = demo["population"].to_numpy(dtype=float)
    # No residents, no rate: a rate over zero people is infinite whatever min_population says.
    usable = ~np.isnan(pop) & (pop >= min_population) & (pop > 0)
    borough = areas["borough_code"].astype("string").to_numpy()
    b_codes, b_uniq = pd.factorize(pd.Series(borough, dtype="string"), use_na_sentinel=True)

    def rate(c: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(usable, c / pop * 1000.0, np.nan)

    def rank_borough(r: np.ndarray) -> ExtensionArray:
        ranks = (
            pd.Series(r)
            .groupby(pd.Series(borough, dtype="string"), dropna=True)
            .rank(ascending=False, method="min")
        )
        return pd.array(ranks.reindex(range(len(r))).to_numpy(), dtype="Int64")

    data: dict[str, object] = {c: areas[c].astype("string").to_numpy() for c in WARD_SCHEMA}
    data["population"] = pop
    for col in demo_cols:
        data[col] = demo[col].to_numpy()
    data["population_flag"] = pd.array(
        np.where(
            np.isnan(pop),
            "missing",
            np.where(
                pop <= 0,
                "zero",
                np.where(pop < min_population, "below_min_population", None),  # type: ignore[call-overload]  # numpy stubs: None is array_like
            ),
        ),
        dtype="string",
    )
    data["incident_count"] = tot_w.astype(np.int64)
    incident_rate = rate(tot_w)
    data["incident_rate_per_1000"] = incident_rate
    data["incident_rank_borough"] = rank_borough(incident_rate)
    base_counts = {
        b: period_sum(theme_monthly, window, bs, be)
        for b, (bs, be, _) in window.base_ranges.items()
    }
    tot_f = tot_w.astype(float)
    for j, key in enumerate(keys):
        c = counts[:n_wards, j].astype(np.int64)
        r = rate(c)
        data[f"{key}_count"] = c
        data[f"{key}_rate_per_1000"] = r
        data[f"{key}_lq"] = _lq(c.astype(float), tot_f, None, 0)
        data[f"{key}_lq_borough"] = _lq(c.astype(float), tot_f, b_codes, len(b_uniq))
        data[f"{key}_rank_borough"] = rank_borough(r)
        small = c < min_count
        for b, (_, _, covered) in window.base_ranges.items():
            bc = base_counts[b][:n_wards, j].astype(float)
            if not covered:
                bc = np.full(n_wards, np.nan)
            else:
                small = small | (bc < min_count)
            data[f"{key}_count_{b}"] = pd.array(bc, dtype="Int64")  # NaN -> <NA>
            data[f"{key}_change_pct_{b}"] = percent_change(c, bc)
            data[f"{key}_p_{b}"] = poisson_change_test(c, bc)
        data[f"{key}_small_number"] = small
    return gpd.GeoDataFrame(
        pd.DataFrame(data, index=ward_index), geometry=areas.geometry.to_numpy(), crs=WORKING_CRS
    )


def _lq(c: np.ndarray, tot: np.ndarray, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Location quotient of counts ``c`` among totals ``tot``, against all rows or each group."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(tot > 0, c / tot, np.nan)
        if groups is None:
            ref = c.sum() / tot.sum() if tot.sum() > 0 else np.nan
            return share / ref
        ok = groups >= 0
        gc = np.bincount(groups[ok], weights=c[ok], minlength=n_groups)
        gt = np.bincount(groups[ok], weights=tot[ok], minlength=n_groups)
        ref = np.where(gt > 0, gc / gt, np.nan)
        out = np.full(len(c), np.nan)
        out[ok] = share[ok] / ref[groups[ok]]
        return out


# --------------------------------------------------------------------------------------------------
# Monthly tables


def monthly_tables(
    theme_monthly: np.ndarray,
    all_monthly: np.ndarray,
    window: Window,
    keys: list[str],
    ward_index: pd.Index,
    borough: np.ndarray,
) -> tuple[pd.DataFrame, pd.Series]:
    """Tidy monthly counts per ward and theme, and the incidents outside every ward per month.

    Only the window's months that are in the data (or in the period) are listed.
    """
    n_wards = len(ward_index)
    month_ords = np.arange(window.win_start, window.end + 1)
    covered = np.isin(month_ords, window.data_months) | (
        (month_ords >= window.start) & (month_ords <= window.end)
    )
    month_ords = month_ords[covered]
    tm = theme_monthly[:n_wards][:, covered, :]  # wards x months x keys
    w_i, m_i, k_i = np.meshgrid(
        np.arange(n_wards), np.arange(len(month_ords)), np.arange(len(keys)), indexing="ij"
    )
    monthly = pd.DataFrame(
        {
            "ward_code": pd.array(ward_index.to_numpy()[w_i.ravel()], dtype="string"),
            "borough_code": pd.array(borough[w_i.ravel()], dtype="string"),
            "theme": pd.Categorical.from_codes(k_i.ravel(), categories=pd.Index(keys)),
            "month": pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]  # stubs lack it
                month_ords[m_i.ravel()], freq="M"
            ),
            "count": tm.ravel().astype(np.int64),
        }
    )
    outside = pd.Series(
        all_monthly[n_wards, covered].astype(np.int64),
        index=pd.PeriodIndex.from_ordinals(  # type: ignore[attr-defined]  # stubs lack it
            month_ords, freq="M", name="month"
        ),
        name="outside_wards",
    )
    return monthly, outside


# --------------------------------------------------------------------------------------------------
# Accounting


def account(
    incidents: pd.DataFrame,
    months: np.ndarray,
    window: Window,
    themes: Themes,
    all_monthly: np.ndarray,
    n_wards: int,
) -> tuple[dict[str, int], np.ndarray]:
    """Row counts (every incident in exactly one bucket) and the period mask of the window rows."""
    m_idx = months[window.in_window] - window.win_start
    in_period = (m_idx >= window.start - window.win_start) & (
        m_idx <= window.end - window.win_start
    )
    totals = period_sum(all_monthly, window, window.start, window.end)
    cats = themes.categories
    ct_win = themes.codes[window.in_window]
    # Crime types in no theme (unknown names, or blank): counted in incident_count only.
    # The categories are unique, so get_loc gives one position (int).
    unknown_pos = [cast(int, cats.get_loc(u)) for u in themes.unknown_types]
    unknown = np.isin(ct_win, [*unknown_pos, len(cats)])
    has_month = months != NO_MONTH
    accounting = {
        "rows": int(len(incidents)),
        "no_month": int((~has_month).sum()),
        "outside_window": int((has_month & ~window.in_window).sum()),
        "in_period": int(in_period.sum()),
        "in_period_in_wards": int(totals[:n_wards].sum()),
        "in_period_outside_wards": int(totals[n_wards]),
        "in_period_no_geometry": int(totals[n_wards + 1]),
        "in_period_unknown_crime_type": int(np.sum(unknown & in_period)),
    }
    return accounting, in_period


def warn_account(
    accounting: dict[str, int],
    unknown_types: list[str],
    period_gaps: np.ndarray,
    unmatched: tuple[str, ...],
    period_text: str,
    outliers: MonthOutliers | None = None,
) -> None:
    """Warn once with the counts of everything not profiled as a ward's incident."""
    notes = []
    if outliers is not None and outliers.outliers:
        notes.append(outliers.describe().rstrip("."))
    if accounting["in_period_outside_wards"]:
        notes.append(f"{format_count(accounting['in_period_outside_wards'])} outside every ward")
    if accounting["in_period_no_geometry"]:
        notes.append(f"{format_count(accounting['in_period_no_geometry'])} without a location")
    if accounting["in_period_unknown_crime_type"]:
        notes.append(
            f"{format_count(accounting['in_period_unknown_crime_type'])} of crime types in no "
            f"theme ({unknown_types}), counted in incident_count only"
        )
    if len(period_gaps):
        shown = [str(pd.Period(ordinal=int(m), freq="M")) for m in period_gaps[:3]]
        notes.append(
            f"{len(period_gaps)} month(s) of the period have no incidents at all "
            f"({shown}): their zeros may not be real"
        )
    if unmatched:
        notes.append(
            f"{len(unmatched)} demographics ward code(s) match no ward (e.g. {list(unmatched[:3])})"
        )
    if notes:
        warnings.warn(
            f"ward_profile: of {format_count(accounting['in_period'])} incidents in "
            f"{period_text}, " + "; ".join(notes) + ". See profile.method.accounting.",
            UserWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------------------
# Inputs


def _choose_period(
    period, months: np.ndarray, incidents: pd.DataFrame
) -> tuple[int, int, str, MonthOutliers | None]:
    """Return (first ordinal, n_months, rule, outlier months) of the profiled period."""
    if period is not None:
        if isinstance(period, pd.PeriodIndex | pd.DatetimeIndex) or (
            isinstance(period, Sequence) and not isinstance(period, str) and len(period) > 2
        ):
            # A str was excluded above; the stubs refuse any Sequence (it could be a str).
            idx = pd.PeriodIndex(period, freq="M").sort_values()  # type: ignore[arg-type]
            if len(idx) == 0 or (np.diff(idx.asi8) != 1).any():
                raise ValueError(
                    "`period` must be consecutive months; got "
                    f"{[str(p) for p in idx[:6]]}. Pass (first, last), e.g. ('2019-01', '2019-12')."
                )
            start, end = idx[0], idx[-1]
        elif isinstance(period, Sequence) and not isinstance(period, str) and len(period) == 2:
            start, end = (
                parse_month(period[0], argument="period"),
                parse_month(period[1], argument="period"),
            )
        else:
            start = end = parse_month(period, argument="period")
        if end < start:
            raise ValueError(
                f"`period` runs backwards ({start}..{end}); pass (first, last) with first <= last."
            )
        return start.ordinal, end.ordinal - start.ordinal + 1, "given", None
    valid = months[months != NO_MONTH]
    if len(valid) == 0:
        raise ValueError(
            "`incidents` has no rows with a month, so no default period can be chosen; pass "
            "`period=('YYYY-MM', 'YYYY-MM')` or check the input."
        )
    # A typo month ('2203-01' among 2022 data) must not pick the default period.
    outliers = find_outlier_months(months)
    first, last = int(outliers.first), int(outliers.last)
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
    if outliers.outliers:
        rule += f" ({len(outliers.outliers)} outlier month(s) far from the rest left out)"
    return last - n + 1, n, rule, outliers


def demographics_table(
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
    demo = demo.drop(columns=[c for c in demo.columns if c in ("geometry", *WARD_SCHEMA)])
    # read_demographics' bookkeeping columns would be ambiguous among crime columns.
    demo = demo.rename(columns={"year": "demographics_year", "source": "demographics_source"})
    demo.index = demo.index.astype("string")
    unmatched = tuple(str(c) for c in demo.index.difference(wards_index))
    kept = tuple(c for c in demo.columns if c != "population")
    aligned = demo.reindex(wards_index)
    aligned["population"] = pd.to_numeric(aligned["population"], errors="coerce").astype(float)
    negative = aligned.index[(aligned["population"] < 0).to_numpy()]
    if len(negative):
        raise SchemaError(
            f"`demographics` has a negative `population` for {len(negative)} ward(s) "
            f"({list(negative[:5])}): a population counts residents, 0 or more. Fix the source, "
            "or leave the value blank (missing) so the ward's rates are NaN."
        )
    return aligned[["population", *kept]], kept, unmatched


# --------------------------------------------------------------------------------------------------
# Key locations


def key_locations(
    incidents: pd.DataFrame,
    places: Places,
    window: Window,
    in_period: np.ndarray,
    ward_index: pd.Index,
    ward_totals: np.ndarray,
    *,
    n_locations: int,
) -> gpd.GeoDataFrame:
    """Return the busiest snap points per ward in the period (a point lies in one ward)."""
    in_window, n_wards = window.in_window, len(ward_index)
    ward_pos, pt_code, upos, ux, uy = (
        places.ward_pos,
        places.pt_code,
        places.upos,
        places.ux,
        places.uy,
    )
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
            np.where(code >= 0, cats[np.maximum(code, 0)] if len(cats) else None, None),  # type: ignore[call-overload]  # numpy stubs: None is array_like
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
