"""Roll ward profiles up to boroughs (BCUs) and London, and the monthly performance table.

Both functions take the :class:`~snt_geo.profile.profile.WardProfile` that
:func:`~snt_geo.profile.profile.ward_profile` returns (``borough_summary`` also takes its ``wards``
frame, or a subset of its rows) and read the period, baselines and monthly series from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snt_geo.profile.profile import WardProfile, profile_info, profile_monthly
from snt_geo.profile.trends import percent_change, poisson_change_test

__all__ = ["TOTAL", "borough_summary", "monthly_report"]

#: Index label (and ``area_code``) of the all-wards row.
TOTAL = "TOTAL"


def _population(profile: pd.DataFrame, groups: pd.Series) -> pd.Series:
    """Return the summed population per group; NaN where any ward of the group has none."""
    pop = profile["population"]
    total = pop.groupby(groups, dropna=False).sum(min_count=1)
    incomplete = pop.isna().groupby(groups, dropna=False).any()
    return total.where(~incomplete)


def borough_summary(profile: WardProfile | pd.DataFrame) -> pd.DataFrame:
    """Return the profile measures rolled up per borough (BCU) and for all wards.

    Parameters
    ----------
    profile
        The :class:`~snt_geo.profile.profile.WardProfile` from
        :func:`~snt_geo.profile.profile.ward_profile`, or its ``wards`` frame (or a subset of
        its rows, e.g. one BCU's wards), still carrying ``attrs["method"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``borough_code`` (one row per borough in ``profile``, in order of first
        appearance; wards without a borough under NA), then a last row labelled ``"TOTAL"`` for
        all wards. Columns: ``borough_name``, ``n_wards``, ``population``,
        ``incident_count``, ``incident_rate_per_1000``, then for every theme key ``t`` of the
        profile: ``t_count``, ``t_rate_per_1000``, ``t_lq`` (the borough's crime mix against all
        wards in ``profile``; 1 for TOTAL), and per baseline ``b``: ``t_count_b``,
        ``t_change_pct_b``, ``t_p_b``; then ``t_small_number``. ``attrs["method"]`` is the
        profile's :class:`~snt_geo.profile.profile.ProfileMethod`.

    Notes
    -----
    Counts are sums of ward counts, so incidents outside every ward are in no borough (they are
    counted in the profile's accounting). ``population`` is the sum of the wards' populations and
    is NaN when any ward lacks one, so a rate is never computed over part of a borough. Rates are
    per 1,000 residents over the profile period; ``t_lq`` and the change tests follow
    :func:`~snt_geo.profile.profile.ward_profile` (Brantingham & Brantingham 1995; the exact
    conditional binomial test). ``t_small_number`` uses the profile's ``min_count``.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> from snt_geo.profile import ward_profile
    >>> profile = ward_profile(
    ...     sample.wards, sample.incidents, demographics=sample.demographics, period="2023-06"
    ... )
    >>> borough_summary(profile)[["borough_name", "n_wards", "incident_count"]]
                    borough_name  n_wards  incident_count
    borough_code
    E09000001     City of London       25             666
    TOTAL              All wards       25             666
    """
    info = profile_info(profile)
    frame = profile.wards if isinstance(profile, WardProfile) else profile
    groups = frame["borough_code"].astype("string")
    names = frame["borough_name"].astype("string").groupby(groups, dropna=False).first()
    order = pd.Index(groups.drop_duplicates().to_list(), dtype="string", name="borough_code")
    count_cols = ["incident_count"] + [f"{t}_count" for t in info.themes]
    for b in info.baselines:
        count_cols += [f"{t}_count_{b}" for t in info.themes]
    sums = frame[count_cols].astype("float64").groupby(groups, dropna=False).sum(min_count=1)
    sums = sums.reindex(order)
    total = frame[count_cols].astype("float64").sum(min_count=1).to_frame(TOTAL).T
    table = pd.concat([sums, total])
    table.index = pd.Index(table.index.astype(object), name="borough_code")
    pop = pd.concat(
        [
            _population(frame, groups).reindex(order),
            pd.Series(
                [frame["population"].sum() if frame["population"].notna().all() else np.nan],
                index=[TOTAL],
            ),
        ]
    ).to_numpy()
    n_wards = np.r_[groups.value_counts(dropna=False).reindex(order).to_numpy(), len(frame)]

    # Columns are collected and the frame built once (column-by-column inserts fragment it).
    cols: dict[str, object] = {
        "borough_name": pd.array([*names.reindex(order).to_list(), "All wards"], dtype="string"),
        "n_wards": n_wards.astype(np.int64),
        "population": pop,
    }
    with np.errstate(divide="ignore", invalid="ignore"):

        def rate(c):
            return np.where(pop > 0, c / pop * 1000.0, np.nan)

        tot = table["incident_count"].fillna(0).to_numpy()
        cols["incident_count"] = tot.astype(np.int64)
        cols["incident_rate_per_1000"] = rate(tot)
        grand = tot[-1]
        for t in info.themes:
            c = table[f"{t}_count"].fillna(0).to_numpy()
            cols[f"{t}_count"] = c.astype(np.int64)
            cols[f"{t}_rate_per_1000"] = rate(c)
            ref = c[-1] / grand if grand > 0 else np.nan
            cols[f"{t}_lq"] = np.where(tot > 0, c / tot, np.nan) / ref
            small = c < info.min_count
            for b, (_, _, covered) in info.baselines.items():
                bc = table[f"{t}_count_{b}"].to_numpy() if covered else np.full(len(c), np.nan)
                if covered:
                    small = small | (bc < info.min_count)
                cols[f"{t}_count_{b}"] = pd.array(bc, dtype="Int64")  # NaN -> <NA>
                cols[f"{t}_change_pct_{b}"] = percent_change(c, bc)
                cols[f"{t}_p_{b}"] = poisson_change_test(c, bc)
            cols[f"{t}_small_number"] = small
    out = pd.DataFrame(cols, index=table.index)
    out.attrs["method"] = info
    return out


def monthly_report(profile: WardProfile) -> pd.DataFrame:
    """Tidy monthly counts per ward, per borough and for all wards: the monthly performance table.

    Parameters
    ----------
    profile
        The :class:`~snt_geo.profile.profile.WardProfile` from
        :func:`~snt_geo.profile.profile.ward_profile` (``profile.select(ward_codes)`` for a
        subset of its wards).

    Returns
    -------
    pandas.DataFrame
        One row per area x theme x month, with a fresh ``RangeIndex`` and the columns

        - ``level``: ``"ward"``, ``"borough"`` or ``"all"``;
        - ``area_code`` (ward code, borough code, or ``"TOTAL"``), ``area_name``;
        - ``borough_code``, ``borough_name`` (NA on the ``"all"`` rows);
        - ``theme`` (theme key), ``month`` (Period[M]);
        - ``count``; ``count_year_earlier`` (the same month a year before, NA where that month is
          outside the profile's window);
        - ``population`` and ``rate_per_1000`` (residents; the month's count per 1,000; NaN where
          any ward of the area lacks a population or a ward is below the profile's
          ``min_population``).

        Months are those of the profile's monthly series: the period and the covered baselines,
        zeros included. ``attrs["method"]`` is the profile's
        :class:`~snt_geo.profile.profile.ProfileMethod`.

    Notes
    -----
    This is the layout of the MPS monthly crime figures by ward and borough: one long table that
    pivots to any view (``report.pivot_table(index="area_name", columns="month",
    values="count")``). Month-on-year comparisons of single months rest on small counts; use
    :func:`~snt_geo.profile.profile.ward_profile`'s tests for whole periods.
    """
    info = profile_info(profile)
    monthly = profile_monthly(profile)
    frame = profile.wards
    wards = frame[["ward_name", "borough_code", "borough_name", "population"]].copy()
    wards.loc[frame["population"] < info.min_population, "population"] = np.nan
    wards.index = wards.index.astype("string")
    base = monthly[["ward_code", "theme", "month", "count"]]

    ward_rows = base.rename(columns={"ward_code": "area_code"})
    ward_rows = ward_rows.assign(
        level="ward",
        area_name=wards["ward_name"].reindex(ward_rows["area_code"]).to_numpy(),
        borough_code=wards["borough_code"].reindex(ward_rows["area_code"]).to_numpy(),
        borough_name=wards["borough_name"].reindex(ward_rows["area_code"]).to_numpy(),
        population=wards["population"].reindex(ward_rows["area_code"]).to_numpy(),
    )

    b_of = wards["borough_code"].astype("string")
    b_pop = _population(wards, b_of)
    b_name = wards["borough_name"].astype("string").groupby(b_of, dropna=False).first()
    with_b = base.assign(borough_code=b_of.reindex(base["ward_code"]).to_numpy())
    b_rows = (
        with_b.groupby(["borough_code", "theme", "month"], observed=True, dropna=False)["count"]
        .sum()
        .reset_index()
    )
    b_rows = b_rows.assign(
        level="borough",
        area_code=b_rows["borough_code"],
        area_name=b_name.reindex(b_rows["borough_code"]).to_numpy(),
        borough_name=b_name.reindex(b_rows["borough_code"]).to_numpy(),
        population=b_pop.reindex(b_rows["borough_code"]).to_numpy(),
    )

    all_pop = wards["population"].sum() if wards["population"].notna().all() else np.nan
    a_rows = base.groupby(["theme", "month"], observed=True)["count"].sum().reset_index()
    a_rows = a_rows.assign(
        level="all",
        area_code=TOTAL,
        area_name="All wards",
        borough_code=pd.NA,  # type: ignore[arg-type]  # pandas-stubs: assign omits the NA scalar
        borough_name=pd.NA,  # type: ignore[arg-type]
        population=all_pop,
    )

    cols = ["level", "area_code", "area_name", "borough_code", "borough_name", "theme", "month"]
    report = pd.concat(
        [
            ward_rows[[*cols, "count", "population"]],
            b_rows[[*cols, "count", "population"]],
            a_rows[[*cols, "count", "population"]],
        ],
        ignore_index=True,
    )
    for c in ("level", "area_code", "area_name", "borough_code", "borough_name"):
        report[c] = report[c].astype("string")
    report["theme"] = pd.Categorical(report["theme"], categories=list(info.themes))
    report["count"] = report["count"].astype(np.int64)
    # Same month a year earlier: look the shifted key up in the table itself.
    keys = ["level", "area_code", "theme"]
    earlier = report[[*keys, "month", "count"]].assign(month=report["month"] + 12)
    earlier = earlier.rename(columns={"count": "count_year_earlier"})
    report = report.merge(earlier, on=[*keys, "month"], how="left", sort=False)
    report["count_year_earlier"] = report["count_year_earlier"].astype("Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pop = report["population"].to_numpy(dtype=float)
        report["rate_per_1000"] = np.where(pop > 0, report["count"] / pop * 1000.0, np.nan)
    report = report[[*cols, "count", "count_year_earlier", "population", "rate_per_1000"]]
    report.attrs["method"] = info
    return report
