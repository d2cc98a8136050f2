"""Silent wards: wards with no (or implausibly few) incidents while their neighbours are busy.

police.uk publishes each incident at a *snap point*, one of a fixed set of points on streets. A
small ward with few snap points inside it, or a ward whose boundary moved since the snap points
were drawn, can receive no incidents at all although crime and ASB happen there: on the bundled
City sample, Lime Street and Walbrook have none in 2023-01..06 while every neighbour has dozens to
hundreds. A zero there is an artefact of the data, not a quiet ward, and a briefing must say so
before anyone reads "no incidents" as good news.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._format import format_count
from snt_geo._method import METHOD_KEY, MethodRecord
from snt_geo.errors import SchemaError
from snt_geo.io.boundaries import check_wards

__all__ = ["SILENT_WARD_COLUMNS", "SilentWardsMethod", "describe_silent_wards", "find_silent_wards"]

#: Columns of :func:`find_silent_wards`, in order.
SILENT_WARD_COLUMNS = (
    "ward_name",
    "incident_count",
    "n_neighbours",
    "neighbour_median",
    "neighbour_min",
    "neighbour_max",
    "ratio",
    "silent",
)


@dataclass(frozen=True, repr=False)
class SilentWardsMethod(MethodRecord):
    """The rule :func:`find_silent_wards` applied.

    Attributes
    ----------
    max_ratio
        A ward is silent when its count is at most this share of its neighbours' median.
    min_neighbour_median
        ... and that median is at least this many incidents (busy neighbours).
    snap_m
        Tolerance in metres for two wards to count as neighbours.
    n_wards, n_silent
        Wards examined and wards flagged.
    period
        The period the counts cover, as given (text), or ``""``.
    """

    max_ratio: float
    min_neighbour_median: float
    snap_m: float
    n_wards: int
    n_silent: int
    period: str

    def describe(self) -> str:
        """Say the rule and how many wards it flagged, in one sentence."""
        return (
            f"A ward is flagged as silent when its incident count is at most "
            f"{self.max_ratio:.0%} of the median count of its neighbouring wards (within "
            f"{self.snap_m:g} m) and that median is at least {self.min_neighbour_median:g}: "
            f"{self.n_silent} of {self.n_wards} wards flagged"
            + (f" for {self.period}." if self.period else ".")
        )


def _neighbours(areas: gpd.GeoDataFrame, snap_m: float) -> list[np.ndarray]:
    geom = areas.geometry.to_numpy()
    tree = shapely.STRtree(geom)
    left, right = tree.query(shapely.buffer(geom, snap_m), predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    return [right[left == i] for i in range(len(geom))]


def find_silent_wards(
    wards: gpd.GeoDataFrame,
    counts: pd.Series,
    *,
    max_ratio: float = 0.1,
    min_neighbour_median: float = 20.0,
    snap_m: float = 1.0,
    period: str = "",
) -> pd.DataFrame:
    """Flag wards with no (or implausibly few) incidents while their neighbours are busy.

    Parameters
    ----------
    wards
        Ward polygons indexed by ward code (the wards schema); any labelled CRS.
    counts
        Incidents per ward for one period, indexed by ward code: e.g. a ward profile's
        ``incident_count``. Wards missing from ``counts`` count zero.
    max_ratio
        Flag a ward whose count is at most this share of its neighbours' median (default 0.1).
    min_neighbour_median
        ... provided that median is at least this many incidents (default 20), so that a quiet
        ward among quiet wards is not flagged.
    snap_m
        Wards within this many metres of each other are neighbours (default 1 m: real boundaries
        have slivers and gaps).
    period
        Text naming the period the counts cover, for the method record and the sentences.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ward_code`` like ``wards``; columns :data:`SILENT_WARD_COLUMNS`:
        ``ward_name`` (NA without one), ``incident_count``, ``n_neighbours``,
        ``neighbour_median``, ``neighbour_min``, ``neighbour_max`` (NaN without neighbours),
        ``ratio`` (count / neighbour median; NaN when the median is 0 or missing), ``silent``
        (bool). ``attrs["method"]`` is a :class:`SilentWardsMethod`.

    Raises
    ------
    ValueError
        ``max_ratio`` not in [0, 1), or a negative ``min_neighbour_median`` or ``snap_m``.
    SchemaError
        ``counts`` names wards that are not in ``wards``.

    Notes
    -----
    A silent ward is a likely artefact of police.uk's snap points (few or none inside a small
    ward) or of a boundary vintage that does not match the data; check the ward's snap points
    before reading its zero as a quiet ward.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> from snt_geo.profile import assign_wards
    >>> year = sample.incidents[sample.incidents["month"] >= "2022-07"]
    >>> counts = assign_wards(year, sample.wards).value_counts()
    >>> table = find_silent_wards(sample.wards, counts, period="2022-07..2023-06")
    >>> table.loc[table["silent"], ["ward_name", "incident_count", "neighbour_median"]]
                 ward_name  incident_count  neighbour_median
    ward_code
    E05000020  Lime Street               0             303.5
    E05000025     Walbrook               0             213.5
    """
    if not 0 <= max_ratio < 1:
        raise ValueError(f"`max_ratio` must be a share in [0, 1); got {max_ratio!r}.")
    if min_neighbour_median < 0:
        raise ValueError(
            f"`min_neighbour_median` must be a count >= 0; got {min_neighbour_median!r}."
        )
    if snap_m < 0:
        raise ValueError(f"`snap_m` must be a distance in metres >= 0; got {snap_m!r}.")
    areas = check_wards(wards)
    codes = pd.Index(areas.index.astype(str), name="ward_code")
    given = pd.Series(counts)
    given.index = given.index.astype(str)
    unknown = sorted(set(given.index) - set(codes))
    if unknown:
        raise SchemaError(
            f"`counts` names {len(unknown)} ward(s) not in `wards` (e.g. {unknown[:3]}); pass "
            "counts for the same wards."
        )
    count = given.reindex(codes, fill_value=0).to_numpy(dtype=float)
    rows = []
    for nb in _neighbours(areas, snap_m):
        values = count[nb]
        median = float(np.median(values)) if len(values) else np.nan
        rows.append(
            (
                len(nb),
                median,
                float(values.min()) if len(values) else np.nan,
                float(values.max()) if len(values) else np.nan,
            )
        )
    table = pd.DataFrame(
        rows,
        index=codes,
        columns=["n_neighbours", "neighbour_median", "neighbour_min", "neighbour_max"],
    )
    table.insert(0, "incident_count", count.astype(np.int64))
    names = (
        areas["ward_name"].astype("string").array
        if "ward_name" in areas.columns
        else pd.array([pd.NA] * len(table), dtype="string")
    )
    table.insert(0, "ward_name", names)  # type: ignore[arg-type]  # stubs omit ExtensionArray
    medians = table["neighbour_median"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["ratio"] = np.where(medians > 0, count / medians, np.nan)
    table["silent"] = (
        (medians >= min_neighbour_median) & (count <= max_ratio * medians) & ~np.isnan(medians)
    )
    table = table[list(SILENT_WARD_COLUMNS)]
    table.attrs[METHOD_KEY] = SilentWardsMethod(
        max_ratio=float(max_ratio),
        min_neighbour_median=float(min_neighbour_median),
        snap_m=float(snap_m),
        n_wards=len(table),
        n_silent=int(table["silent"].sum()),
        period=str(period),
    )
    return table


def describe_silent_wards(table: pd.DataFrame) -> list[str]:
    """One caveat sentence per silent ward of :func:`find_silent_wards`, with the numbers."""
    method = table.attrs.get(METHOD_KEY)
    period = f" in {method.period}" if method is not None and method.period else ""
    out = []
    for code, row in table[table["silent"]].iterrows():
        name = row["ward_name"] if pd.notna(row["ward_name"]) else code
        out.append(
            f"{name} ({code}) has {format_count(row['incident_count'])} incidents{period} while "
            f"its {row['n_neighbours']} neighbouring wards have a median of "
            f"{format_count(row['neighbour_median'])} (from {format_count(row['neighbour_min'])} "
            f"to {format_count(row['neighbour_max'])}): likely an artefact of police.uk snap "
            "points or of the ward boundary vintage, not a quiet ward; its priorities cannot be "
            "evidenced from this data."
        )
    return out
