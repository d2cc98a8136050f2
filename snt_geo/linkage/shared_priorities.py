"""Shared priorities: themes held by several wards, and contiguous blocks of wards sharing one.

When several wards of a borough set the same priority (say ``street_crime``), it is a strategic
theme for the borough rather than a ward matter; when the wards holding it touch each other, and
especially when the block crosses a borough boundary, it is one problem that needs one plan.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from snt_geo._format import format_count, format_percent
from snt_geo._method import MethodRecord
from snt_geo._validate import check_choice, check_fraction, check_non_negative, check_positive
from snt_geo.crs import WORKING_CRS, to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io.boundaries import check_wards
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = [
    "SharedPriorities",
    "SharedPrioritiesMethod",
    "flag_shared_priorities",
    "ward_adjacency",
]

_ADJACENCY = ("queen", "rook")
#: Rook neighbours must share a boundary stretch longer than this many times ``snap_m``: two
#: wards meeting at one corner share, within the snapping tolerance, at most a few ``snap_m`` of
#: boundary; a real shared street is tens of metres or more.
_ROOK_MIN_SHARED_FACTOR = 10.0

THEME_COLUMNS = (
    "borough",
    "borough_name",
    "theme",
    "n_wards",
    "share_of_wards",
    "n_groups",
    "largest_group_wards",
    "flagged",
    "ward_codes",
    "member_themes",
)
GROUP_COLUMNS = (
    "theme",
    "ward_codes",
    "n_wards",
    "boroughs",
    "cross_borough",
    "area_km2",
    "geometry",
)


@dataclass(frozen=True, repr=False)
class SharedPrioritiesMethod(MethodRecord):
    """What :func:`flag_shared_priorities` ran, and the account of the register.

    Attributes
    ----------
    min_wards, min_share
        The flag rules (None when not used).
    adjacency, snap_m, rook_min_shared_m
        Ward adjacency, snapping tolerance (metres) and, for rook, the shortest shared boundary
        counted (metres; None for queen).
    statuses
        Register statuses counted (lower case).
    n_rows, n_active, n_duplicates
        Register rows; rows with a counted status; repeats of a (ward, theme) left out.
    status_counts
        ``(status, rows)`` pairs of the register (``"(no status column)"`` when it has none).
    status_column_present
        Whether the register has a ``status`` column.
    unknown_ward_codes
        Ward codes of counted rows that are not in ``wards`` (left out).
    n_wards_in_wards
        Wards given.
    """

    min_wards: int | None
    min_share: float | None
    adjacency: str
    snap_m: float
    rook_min_shared_m: float | None
    statuses: tuple[str, ...]
    n_rows: int
    n_active: int
    status_counts: tuple[tuple[str, int], ...]
    status_column_present: bool
    n_duplicates: int
    unknown_ward_codes: tuple[str, ...]
    n_wards_in_wards: int
    n_member_rows: int = 0

    def flag_rule(self) -> str:
        """Return the flag rule in words, e.g. "at least 3 wards"."""
        rule = f"at least {self.min_wards} wards" if self.min_wards is not None else ""
        if self.min_share is not None:
            rule += (" or " if rule else "") + (
                f"at least {format_percent(self.min_share)} of a borough's wards"
            )
        return rule

    def describe(self) -> str:
        """One paragraph for a method note."""
        unknown = (
            f" {len(self.unknown_ward_codes)} ward codes not in the wards were left out."
            if self.unknown_ward_codes
            else ""
        )
        return (
            f"Shared priorities: a theme is flagged in a borough when {self.flag_rule()} hold it; "
            f"contiguous groups of wards holding the same theme use {self.adjacency} adjacency "
            f"with a {self.snap_m:g} m snapping tolerance, across borough boundaries. "
            f"{format_count(self.n_active)} priorities with status {'/'.join(self.statuses)} of "
            f"{format_count(self.n_rows)} register rows ({format_count(self.n_duplicates)} "
            f"repeats left out).{unknown}"
            + (
                f" {format_count(self.n_member_rows)} priorities on member themes (e.g. robbery "
                "in street_crime) are counted in their parent's group."
                if self.n_member_rows
                else ""
            )
        )


@dataclass(frozen=True, eq=False)
class SharedPriorities:
    """Result of :func:`flag_shared_priorities`.

    Attributes
    ----------
    themes
        One row per (borough, theme) held by at least one ward. Columns: ``borough`` (borough
        code), ``borough_name``, ``theme``, ``n_wards`` (wards of the borough holding the theme),
        ``share_of_wards`` (``n_wards`` over the borough's wards in ``wards``), ``n_groups`` and
        ``largest_group_wards`` (contiguous blocks among those wards, counted within the borough),
        ``flagged`` (bool), ``ward_codes`` (tuple of str, sorted) and ``member_themes`` (the
        register's themes counted in this group, sorted: ``("robbery", "street_crime")``).
        ``theme`` is the group (:meth:`snt_geo.themes.ThemeTable.group`). Default integer
        index, sorted by borough then theme.
    groups
        GeoDataFrame (EPSG:27700), one row per contiguous group of wards holding the same theme,
        across borough boundaries. Index ``group`` (0, 1, ...; sorted by theme, then largest group
        first). Columns ``theme``, ``ward_codes`` (tuple), ``n_wards``, ``boroughs`` (tuple of
        borough codes), ``cross_borough`` (bool), ``area_km2`` and ``geometry`` (the wards
        dissolved).
    method
        :class:`SharedPrioritiesMethod`: the options and the account of the register (both
        tables carry it at ``attrs["method"]`` too).
    """

    themes: pd.DataFrame
    groups: gpd.GeoDataFrame
    method: SharedPrioritiesMethod

    @property
    def flagged(self) -> pd.DataFrame:
        """The rows of :attr:`themes` that are flagged."""
        return self.themes[self.themes["flagged"]]

    def to_frame(self) -> pd.DataFrame:
        """Return the per-(borough, theme) table :attr:`themes` (a copy, with its method)."""
        return self.themes.copy()

    def __repr__(self) -> str:
        """Return one line with the flagged pairs and groups."""
        return (
            f"SharedPriorities({int(self.themes['flagged'].sum())} flagged (borough, theme) pairs "
            f"of {len(self.themes)}, {len(self.groups)} contiguous groups, "
            f"{int(self.groups['cross_borough'].sum())} crossing a borough boundary)"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Shared priorities</b>: {int(self.themes['flagged'].sum())} flagged "
            f"(borough, theme) pairs of {len(self.themes)}; "
            f"{len(self.groups)} contiguous groups ({int(self.groups['cross_borough'].sum())} "
            f"cross a borough boundary).</p><p>{html.escape(self.method.describe())}</p>"
        )
        groups = pd.DataFrame(self.groups.drop(columns="geometry"))
        return (
            head
            + "<p>Themes</p>"
            + self.themes.to_html(max_rows=30)
            + "<p>Groups</p>"
            + groups.to_html(max_rows=30)
        )


def ward_adjacency(
    wards: gpd.GeoDataFrame, *, adjacency: str = "queen", snap_m: float = 1.0
) -> np.ndarray:
    """Pairs of adjacent wards, as positions into ``wards``.

    Parameters
    ----------
    wards
        Polygons with a CRS (any CRS; measured in EPSG:27700).
    adjacency
        ``"queen"``: two wards are neighbours when their boundaries come within ``snap_m`` of each
        other anywhere (sharing a single corner is enough). ``"rook"``: they must share a stretch
        of boundary longer than ``10 * snap_m`` metres (any positive length when ``snap_m`` is 0).
    snap_m
        Snapping tolerance in metres. Real ward files have slivers and gaps of centimetres to a
        metre between neighbours, so exact touching misses real neighbours; 1 m is far below the
        width of any ward, so it adds no false neighbours.

    Returns
    -------
    numpy.ndarray
        Integer array of shape (n_pairs, 2), each pair once with ``i < j``, sorted.
    """
    check_choice("adjacency", adjacency, _ADJACENCY)
    snap_m = check_non_negative("snap_m", snap_m, unit="metres")
    areas = to_working_crs(wards, argument="wards", check_bounds=False)
    geoms = areas.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    if snap_m > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=snap_m)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if adjacency == "rook" and len(left):
        a = shapely.boundary(geoms[left])
        b = shapely.boundary(geoms[right])
        if snap_m > 0:
            shared = shapely.length(shapely.intersection(a, shapely.buffer(b, snap_m)))
            ok = shared > _ROOK_MIN_SHARED_FACTOR * snap_m
        else:
            shared = shapely.length(shapely.intersection(a, b))
            ok = shared > 0
        left, right = left[ok], right[ok]
    pairs = np.column_stack([left, right]).astype(np.int64)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order]


def _validate_priorities(
    priorities: pd.DataFrame, statuses: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    if not isinstance(priorities, pd.DataFrame):
        raise TypeError(
            f"`priorities` must be a DataFrame with columns ward_code and theme; got "
            f"{type(priorities).__name__}. Read a register with snt_geo.profile.read_priorities."
        )
    problems = [
        f"missing column {c!r}" for c in ("ward_code", "theme") if c not in priorities.columns
    ]
    if problems:
        raise SchemaError(
            "`priorities` is not a priority register (columns ward_code, theme, and optionally "
            "status = 'active'/'closed').",
            problems,
        )
    has_status = "status" in priorities.columns
    frame = pd.DataFrame(
        {
            "ward_code": priorities["ward_code"].astype("string").str.strip(),
            "theme": priorities["theme"].astype("string").str.strip(),
        }
    )
    if has_status:
        status = priorities["status"].astype("string").str.strip().str.lower()
        counts = {str(k): int(v) for k, v in status.value_counts(dropna=False).items()}
        active = status.isin(list(statuses)).fillna(False).to_numpy(dtype=bool)
    else:
        counts = {"(no status column)": len(frame)}
        active = np.ones(len(frame), dtype=bool)
    missing = frame["ward_code"].isna() | frame["theme"].isna()
    if missing.any():
        raise SchemaError(
            "`priorities` has rows without a ward_code or theme; fill or remove them.",
            [f"row {priorities.index[i]!r}" for i in np.flatnonzero(missing.to_numpy())[:5]],
        )
    frame = frame[active]
    n_active = len(frame)
    frame = frame.drop_duplicates()
    info = {
        "n_rows": len(priorities),
        "n_active": n_active,
        "status_counts": counts,
        "status_column_present": has_status,
        "n_duplicates": n_active - len(frame),
    }
    return frame.reset_index(drop=True), info


def flag_shared_priorities(
    priorities: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    min_wards: int | None = 3,
    min_share: float | None = None,
    adjacency: str = "queen",
    snap_m: float = 1.0,
    statuses: tuple[str, ...] = ("active",),
    themes: ThemeTable | None = None,
) -> SharedPriorities:
    """Flag themes that several wards hold, and find contiguous blocks of wards sharing them.

    Parameters
    ----------
    priorities
        A priority register: one row per (ward, theme) with columns ``ward_code``, ``theme`` and
        ``status`` (``'active'``/``'closed'``/``'suggested'``; other columns such as ``set_on``,
        ``review_on``, ``source`` are ignored). Only rows whose status is in ``statuses``
        (case-insensitive) count. Without a ``status`` column every row counts. A ward holding a
        theme twice counts once.
    wards
        The wards schema (index ``ward_code``, column ``borough_code``, optionally
        ``borough_name``; polygons with a CRS). The share of wards is taken over the wards of each
        borough present here, so pass every ward of the boroughs concerned.
    min_wards
        A (borough, theme) is flagged when at least this many of the borough's wards hold it.
        None to use ``min_share`` alone.
    min_share
        A (borough, theme) is also flagged when at least this fraction (0-1] of the borough's
        wards hold it. Default None: not used.
    adjacency
        ``"queen"`` (wards sharing any boundary point, within ``snap_m``) or ``"rook"`` (sharing a
        stretch of boundary). See :func:`ward_adjacency`.
    snap_m
        Snapping tolerance in metres for adjacency (default 1 m), because real ward polygons have
        slivers and gaps between neighbours.
    statuses
        The statuses that count. Default ``("active",)``. For the data-suggested priorities of
        :func:`snt_geo.profile.priorities.suggest_priorities` pass ``("suggested",)``, or
        ``("active", "suggested")`` to see them together with the register.

    themes
        Theme table whose hierarchy groups the priorities; default
        :data:`snt_geo.themes.DEFAULT_THEMES`. A priority on a member theme counts in its
        parent's group (``robbery`` and ``theft_from_the_person`` in ``street_crime``,
        ``anti_social_behaviour`` in ``asb``); a ward holding several themes of one group counts
        once. ``make_themes(replace_defaults=True)`` compares exact keys only.

    Returns
    -------
    SharedPriorities
        ``.themes`` (one row per borough and theme), ``.groups`` (GeoDataFrame, one row per
        contiguous group of wards sharing a theme, across borough boundaries) and
        ``.method`` (:class:`SharedPrioritiesMethod`); see :class:`SharedPriorities` for the
        exact columns.

    Raises
    ------
    SchemaError
        When ``priorities`` lacks ``ward_code``/``theme``, or ``wards`` lacks ``borough_code`` or
        has a non-unique index.
    ValueError
        For an invalid ``min_wards``, ``min_share``, ``adjacency`` or ``snap_m``.

    Warns
    -----
    UserWarning
        When active priorities name ward codes that are not in ``wards``; they are left out and
        listed in ``method.unknown_ward_codes``.

    Notes
    -----
    Groups are the connected components (``scipy.sparse.csgraph.connected_components``) of the
    ward adjacency graph restricted to the wards holding the theme, so a group can cross a
    borough boundary (``cross_borough``). Adjacency uses a snapping tolerance rather than exact
    touching, as the contiguity builders of libpysal do with their ``tolerance`` options; with
    ``snap_m=0`` queen adjacency is exact boundary intersection.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(
    ...     {"borough_code": ["B1", "B1", "B1", "B2"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100),
    ...               box(500, 0, 600, 100)],
    ...     index=pd.Index(["W1", "W2", "W3", "W4"], name="ward_code"), crs="EPSG:27700")
    >>> reg = pd.DataFrame({"ward_code": ["W1", "W2", "W3", "W4"], "theme": "asb",
    ...                     "status": "active"})
    >>> res = flag_shared_priorities(reg, wards)
    >>> res.themes[["borough", "theme", "n_wards", "flagged"]]
      borough theme  n_wards  flagged
    0      B1   asb        3     True
    1      B2   asb        1    False
    >>> res.groups[["theme", "n_wards", "cross_borough"]].reset_index()
       group theme  n_wards  cross_borough
    0      0   asb        3          False
    1      1   asb        1          False
    """
    if min_wards is not None:
        min_wards = int(
            check_positive("min_wards", min_wards, unit="wards", integer=True, hint="Or None.")
        )
    if min_share is not None:
        min_share = check_fraction("min_share", min_share, high_open=False, hint="Or None.")
    if min_wards is None and min_share is None:
        raise ValueError(
            "`min_wards` and `min_share` are both None; give at least one rule, e.g. min_wards=3."
        )
    if isinstance(statuses, str) or not all(isinstance(v, str) for v in statuses):
        raise ValueError(
            f"`statuses` must be a tuple of status names such as ('active',); got {statuses!r}."
        )
    statuses = tuple(v.strip().lower() for v in statuses)
    register, info = _validate_priorities(priorities, statuses)
    # A priority on a member theme (robbery) counts in its parent's group (street_crime).
    table = themes or DEFAULT_THEMES
    group = register["theme"].map(table.group).astype("string")
    n_member_rows = int((group != register["theme"]).sum())
    register = register.assign(member=register["theme"], theme=group)
    _warn_no_status(info, statuses)
    areas = check_wards(wards, columns=("borough_code",))
    register, unknown = _known_wards(register, areas)
    pairs = ward_adjacency(areas, adjacency=adjacency, snap_m=snap_m)
    theme_rows, group_rows = _theme_and_group_rows(
        register, areas, pairs, min_wards=min_wards, min_share=min_share
    )
    method = SharedPrioritiesMethod(
        min_wards=min_wards,
        min_share=min_share,
        adjacency=adjacency,
        snap_m=float(snap_m),
        rook_min_shared_m=_ROOK_MIN_SHARED_FACTOR * snap_m if adjacency == "rook" else None,
        statuses=tuple(statuses),
        n_rows=info["n_rows"],
        n_active=info["n_active"],
        status_counts=tuple(info["status_counts"].items()),
        status_column_present=info["status_column_present"],
        n_duplicates=info["n_duplicates"],
        unknown_ward_codes=tuple(unknown),
        n_wards_in_wards=len(areas),
        n_member_rows=n_member_rows,
    )
    themes_frame = _themes_frame(theme_rows)
    groups = _groups_frame(group_rows)
    themes_frame.attrs["method"] = method
    groups.attrs["method"] = method
    return SharedPriorities(themes=themes_frame, groups=groups, method=method)


def _warn_no_status(info: dict[str, Any], statuses: tuple[str, ...]) -> None:
    """Warn when no priority has a counted status but some have another (e.g. suggestions)."""
    if info["n_active"] == 0 and info["status_column_present"]:
        # An all-closed register is simply empty; anything else is worth a hint.
        others = {
            k: v for k, v in info["status_counts"].items() if k not in statuses and k != "closed"
        }
        if others:
            warnings.warn(
                f"No priority in `priorities` has a status in {list(statuses)}; it holds "
                f"{others}. Pass e.g. statuses=('suggested',) to flag data-suggested priorities.",
                UserWarning,
                stacklevel=3,
            )


def _known_wards(register: pd.DataFrame, areas: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Return the register rows whose ward is in ``areas`` (the others counted and warned about)."""
    codes = pd.Index(areas.index.astype(str))
    known = register["ward_code"].isin(codes)
    unknown = sorted(register.loc[~known, "ward_code"].unique().tolist())
    if unknown:
        warnings.warn(
            f"{(~known).sum()} active priorities name {len(unknown)} ward codes not in `wards` "
            f"(e.g. {unknown[0]!r}); they are left out. Pass the wards of every borough in the "
            "register, or check the register's ward codes.",
            UserWarning,
            stacklevel=3,
        )
    return register[known], unknown


def _theme_and_group_rows(
    register: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    pairs: np.ndarray,
    *,
    min_wards: int | None,
    min_share: float | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per theme: one row per (borough, theme) with its flag, one per contiguous ward group."""
    codes = pd.Index(areas.index.astype(str))
    borough = areas["borough_code"].astype("string").to_numpy()
    if "borough_name" in areas.columns:
        borough_name = dict(zip(borough, areas["borough_name"].astype("string"), strict=True))
    else:
        borough_name = {}
    wards_per_borough = pd.Series(borough).value_counts(dropna=False)
    position = pd.Series(np.arange(len(codes)), index=codes)
    ward_borough = pd.Series(borough, index=codes)
    group_rows = []
    theme_rows = []
    for theme, sub in register.groupby("theme", sort=True):
        pos = np.sort(position[sub["ward_code"].unique()].to_numpy())
        labels = _components(pos, pairs)
        for k in range(labels.max() + 1):
            members = pos[labels == k]
            group_rows.append(
                {
                    "theme": str(theme),
                    "ward_codes": tuple(sorted(codes[members])),
                    "n_wards": len(members),
                    "boroughs": tuple(sorted({str(b) for b in borough[members]})),
                    "geometry": shapely.union_all(areas.geometry.to_numpy()[members]),
                }
            )
        held_by = pd.Series(pos, index=borough[pos])
        member_of = sub.assign(b=ward_borough[sub["ward_code"]].to_numpy())
        for b, held in held_by.groupby(level=0, sort=True):
            bpos = np.sort(held.to_numpy())
            sizes = np.bincount(_components(bpos, pairs))
            n = len(bpos)
            share = n / int(wards_per_borough[b])
            flagged = (min_wards is not None and n >= min_wards) or (
                min_share is not None and share >= float(min_share)
            )
            theme_rows.append(
                {
                    "borough": str(b),
                    "borough_name": borough_name.get(b, pd.NA),
                    "theme": str(theme),
                    "n_wards": n,
                    "share_of_wards": share,
                    "n_groups": len(sizes),
                    "largest_group_wards": int(sizes.max()),
                    "flagged": bool(flagged),
                    "ward_codes": tuple(sorted(codes[bpos])),
                    "member_themes": tuple(
                        sorted(set(member_of.loc[member_of["b"] == b, "member"].astype(str)))
                    ),
                }
            )
    return theme_rows, group_rows


def _themes_frame(theme_rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the (borough, theme) rows as a typed table sorted by borough then theme."""
    themes = pd.DataFrame(theme_rows, columns=list(THEME_COLUMNS))
    themes = themes.sort_values(["borough", "theme"], kind="stable").reset_index(drop=True)
    return themes.astype(
        {
            "n_wards": "int64",
            "n_groups": "int64",
            "largest_group_wards": "int64",
            "share_of_wards": "float64",
            "flagged": "bool",
        }
    )


def _groups_frame(group_rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Return the contiguous groups indexed by ``group``, largest first within a theme."""
    if group_rows:
        groups = gpd.GeoDataFrame(group_rows, geometry="geometry", crs=WORKING_CRS)
    else:
        groups = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in ("theme", "ward_codes", "boroughs")},
            geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        )
        groups["n_wards"] = pd.Series(dtype="int64")
    groups["n_wards"] = groups["n_wards"].astype("int64")
    groups["cross_borough"] = groups["boroughs"].map(len).gt(1).astype(bool)
    groups["area_km2"] = groups.geometry.area / 1e6
    groups = groups.sort_values(
        ["theme", "n_wards", "ward_codes"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    groups.index.name = "group"
    return groups[list(GROUP_COLUMNS)]


def _components(pos: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Connected-component labels of the adjacency graph restricted to ward positions ``pos``.

    ``pos`` must be sorted; labels are numbered in order of each component's first ward.
    """
    n = len(pos)
    inside = np.isin(pairs[:, 0], pos) & np.isin(pairs[:, 1], pos)
    sub = pairs[inside]
    i = np.searchsorted(pos, sub[:, 0])
    j = np.searchsorted(pos, sub[:, 1])
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Renumber by first appearance so the labelling does not depend on scipy's internal order.
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[labels]
