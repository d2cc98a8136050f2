"""English Indices of Deprivation 2019 (LSOA level): reading, and apportioning to wards.

:func:`read_deprivation` reads the IoD 2019 tables as MHCLG and the GLA publish them (the GLA's
"ID 2019 for London" workbook, sheets "IMD 2019" and "Population figures", or MHCLG's File 7
CSV) into one row per 2011 LSOA with short column names. :func:`apportion_deprivation` gives each
ward the population-weighted mean of its LSOAs' scores and the share of its residents living in
LSOAs in England's most deprived decile, with LSOAs split across wards by area (Goodchild & Lam
1980), the same areal weighting as :func:`~snt_geo.io.apportion_lsoa_population`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo.crs import to_working_crs
from snt_geo.errors import SchemaError
from snt_geo.io._accounting import ReadReport, attach

__all__ = [
    "DEPRIVATION_DOMAINS",
    "DeprivationMethod",
    "apportion_deprivation",
    "read_deprivation",
]

#: Short names of the IMD and its seven domains, keyed by the start of the published headers.
DEPRIVATION_DOMAINS = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "housing",
    "Living Environment": "living_environment",
}
_MEASURES = {"score": "score", "rank": "rank", "decile": "decile"}
_CODE = "LSOA code (2011)"
_POPULATION = re.compile(r"^total population", re.IGNORECASE)
_LABELS = {
    "LSOA name (2011)": "lsoa_name",
    "Local Authority District code (2019)": "district_code",
    "Local Authority District name (2019)": "district_name",
}


def _rename(columns: list[str]) -> dict[str, str]:
    """Map published headers to short names (``imd_score``, ``crime_decile``, ...)."""
    out: dict[str, str] = {}
    for col in columns:
        text = str(col).strip()
        if text in _LABELS:
            out[col] = _LABELS[text]
        elif _POPULATION.match(text):
            out[col] = "population"
        for prefix, key in DEPRIVATION_DOMAINS.items():
            if not text.startswith(prefix):
                continue
            rest = text[len(prefix) :].strip().lower()
            for word, measure in _MEASURES.items():
                if rest.startswith(word):
                    out[col] = f"{key}_{measure}"
    return out


def _read_sheets(path: Path, sheet_name: str | None) -> list[pd.DataFrame]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        sheets = pd.read_excel(path, sheet_name=sheet_name or None)
        if isinstance(sheets, pd.DataFrame):
            return [sheets]
        return [s for s in sheets.values() if _CODE in s.columns]
    return [pd.read_csv(path)]


def read_deprivation(path: str | Path, *, sheet_name: str | None = None) -> pd.DataFrame:
    """Read the English Indices of Deprivation 2019 for LSOAs.

    Parameters
    ----------
    path
        The GLA's "ID 2019 for London" workbook (``.xlsx``; every sheet with an ``LSOA code
        (2011)`` column is read and joined, so the "Population figures" sheet adds the
        population), or MHCLG's IoD 2019 File 7 CSV.
    sheet_name
        Read only this sheet of a workbook. Default: every sheet with LSOA codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``lsoa_code`` (2011 LSOAs), in file order, with ``lsoa_name``,
        ``district_code``, ``district_name`` and, for ``imd`` and each domain in
        :data:`DEPRIVATION_DOMAINS` found (``income``, ``employment``, ``education``,
        ``health``, ``crime``, ``housing``, ``living_environment``), ``<key>_score``,
        ``<key>_rank`` (1 = most deprived in England) and ``<key>_decile`` (1 = England's most
        deprived 10%); ``population`` (mid-2015, excluding prisoners) when the file has it.
        ``attrs["read_report"]`` counts rows read, kept and dropped (``no_lsoa_code``,
        ``no_imd_score``).

    Raises
    ------
    SchemaError
        When no ``LSOA code (2011)`` or IMD score column is found, or LSOA codes repeat.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist: pass the IoD 2019 workbook or File 7 CSV."
        )
    sheets = _read_sheets(path, sheet_name)
    if not sheets or _CODE not in sheets[0].columns:
        raise SchemaError(
            f"`path` {path.name!r} has no {_CODE!r} column: expected the IoD 2019 LSOA tables "
            "(e.g. the GLA's 'ID 2019 for London.xlsx' or MHCLG's File 7 CSV)."
        )
    frame = sheets[0]
    for extra in sheets[1:]:
        new = [c for c in extra.columns if c == _CODE or c not in frame.columns]
        frame = frame.merge(extra[new], on=_CODE, how="left")
    frame = frame.rename(columns=_rename(list(frame.columns)))
    frame = frame.rename(columns={_CODE: "lsoa_code"})
    if "imd_score" not in frame.columns:
        raise SchemaError(
            f"`path` {path.name!r} has no 'Index of Multiple Deprivation (IMD) Score' column; "
            f"columns: {list(frame.columns)[:8]}..."
        )
    keep = [c for c in [*_LABELS.values()] if c in frame.columns]
    measures = [f"{key}_{m}" for key in DEPRIVATION_DOMAINS.values() for m in _MEASURES.values()]
    keep += [c for c in measures if c in frame.columns]
    keep += ["population"] if "population" in frame.columns else []
    code = frame["lsoa_code"].astype("string").str.strip()
    no_code = code.isna() | (code == "")
    score = pd.to_numeric(frame["imd_score"], errors="coerce")
    no_score = ~no_code & score.isna()
    kept = ~(no_code | no_score)
    out = frame.loc[kept, keep].copy()
    out.index = pd.Index(code[kept].to_numpy(), name="lsoa_code", dtype="string")
    if out.index.has_duplicates:
        raise SchemaError(
            f"`path` {path.name!r} repeats LSOA codes, e.g. "
            f"{out.index[out.index.duplicated()][0]!r}; expected one row per LSOA."
        )
    for col in out.columns:
        if col.endswith(("_score", "population")):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        elif col.endswith(("_rank", "_decile")):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
        else:
            out[col] = out[col].astype("string")
    report = ReadReport(
        reader="read_deprivation",
        files={
            path.name: {
                "rows_read": len(frame),
                "rows_kept": int(kept.sum()),
                "no_lsoa_code": int(no_code.sum()),
                "no_imd_score": int(no_score.sum()),
            }
        },
        reasons=("no_lsoa_code", "no_imd_score"),
    )
    attach(out, report)
    if not kept.all():
        report.warn()
    return out


@dataclass(frozen=True, repr=False)
class DeprivationMethod(MethodRecord):
    """What :func:`apportion_deprivation` ran, for a method note (``frame.attrs["method"]``).

    Attributes
    ----------
    n_lsoas, n_lsoas_no_geometry, n_lsoas_no_population, n_lsoas_outside_wards
        LSOAs given; without a polygon, without a population (neither placed); placed in no ward.
    population_source
        Where the weights came from (``"deprivation['population']"`` or ``"population"``).
    scores
        The score columns averaged.
    most_deprived_decile
        The decile counted in ``share_most_deprived_decile`` (1: England's most deprived 10%).
    """

    n_lsoas: int
    n_lsoas_no_geometry: int
    n_lsoas_no_population: int
    n_lsoas_outside_wards: int
    population_source: str
    scores: tuple[str, ...]
    most_deprived_decile: int

    def describe(self) -> str:
        """One paragraph for a method note."""
        return (
            "English Indices of Deprivation 2019 (MHCLG) apportioned from "
            f"{format_count(self.n_lsoas)} LSOAs to wards: each LSOA's residents "
            f"({self.population_source}) are split across the wards it overlaps by area share, "
            "and each ward gets the population-weighted mean of its LSOAs' scores and the share "
            "of its residents living in LSOAs in England's most deprived decile. "
            f"{format_count(self.n_lsoas_no_geometry)} LSOAs without a polygon and "
            f"{format_count(self.n_lsoas_no_population)} without a population were not placed; "
            f"{format_count(self.n_lsoas_outside_wards)} lie outside every ward."
        )


def _area_shares(
    lsoa_geoms: np.ndarray, ward_geoms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LSOA position, ward position, share of the LSOA's area in the ward) per overlap."""
    invalid = ~shapely.is_valid(lsoa_geoms)
    if invalid.any():
        lsoa_geoms = lsoa_geoms.copy()
        lsoa_geoms[invalid] = shapely.make_valid(lsoa_geoms[invalid])
    li, wi = shapely.STRtree(ward_geoms).query(lsoa_geoms, predicate="intersects")
    inter = shapely.area(shapely.intersection(lsoa_geoms[li], ward_geoms[wi]))
    area = shapely.area(lsoa_geoms)[li]
    share = np.divide(inter, area, out=np.zeros_like(inter), where=area > 0)
    return li, wi, share


def _lsoa_geometries(lsoas: gpd.GeoDataFrame, lsoa_code_column: str | None) -> pd.Series:
    polys = to_working_crs(lsoas, argument="lsoas")
    column = lsoa_code_column or next(
        (c for c in ("LSOA11CD", "lsoa11cd", "lsoa_code") if c in polys.columns), None
    )
    if lsoa_code_column is not None and lsoa_code_column not in polys.columns:
        raise SchemaError(
            f"`lsoa_code_column` is {lsoa_code_column!r}, not a column of `lsoas`; columns: "
            f"{list(polys.columns)}."
        )
    codes = polys[column] if column else pd.Series(polys.index, index=polys.index)
    geoms = pd.Series(polys.geometry.to_numpy(), index=codes.astype("string").str.strip())
    return geoms.groupby(level=0).agg(lambda g: shapely.union_all(g.to_numpy()))


def apportion_deprivation(
    deprivation: pd.DataFrame,
    *,
    lsoas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    population: pd.Series | None = None,
    lsoa_code_column: str | None = None,
) -> pd.DataFrame:
    """Deprivation per ward: population-weighted mean scores and the most-deprived-decile share.

    Parameters
    ----------
    deprivation
        LSOA deprivation from :func:`read_deprivation` (indexed by LSOA code).
    lsoas
        2011 LSOA polygons with a CRS; the code is ``lsoa_code_column``, else ``LSOA11CD``, else
        the index.
    wards
        Ward polygons indexed by ward code (the wards schema).
    population
        Residents per LSOA (indexed by LSOA code) to weight by. Default: the
        ``deprivation["population"]`` column (mid-2015, the IoD's own denominators).
    lsoa_code_column
        Column of ``lsoas`` holding the LSOA code.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``wards`` (ward code): every ``<domain>_score`` column of ``deprivation`` as a
        population-weighted mean (``imd_score`` first), ``share_most_deprived_decile`` (share of
        residents in LSOAs with ``imd_decile`` 1, 0..1), ``population_weight`` (residents
        apportioned to the ward) and ``n_lsoas`` (LSOAs with over 1% of their area in it). NaN
        for a ward no LSOA reaches. ``attrs["method"]`` is a :class:`DeprivationMethod`.

    Notes
    -----
    With ``p_l`` the residents of LSOA ``l`` and ``a_lw`` the share of its area in ward ``w``,
    ward ``w``'s score is ``sum_l p_l a_lw s_l / sum_l p_l a_lw`` (areal weighting, Goodchild &
    Lam 1980: residents spread evenly within each LSOA). 2011 LSOAs mostly nest in 2011 wards, so
    most ``a_lw`` are 0 or 1.
    """
    if not isinstance(deprivation, pd.DataFrame) or "imd_score" not in deprivation.columns:
        raise SchemaError(
            "`deprivation` must be the LSOA table from read_deprivation (with `imd_score`)."
        )
    if population is None:
        if "population" not in deprivation.columns:
            raise SchemaError(
                "`deprivation` has no `population` column; pass `population` (residents per "
                "LSOA, e.g. read_lsoa_population(...)['population'])."
            )
        given, source = deprivation["population"], "deprivation['population'], mid-2015"
    else:
        given, source = population, "population"
    codes = pd.Index(deprivation.index.astype("string"))
    weights = pd.to_numeric(given, errors="coerce").reindex(codes).to_numpy(dtype="float64")
    areas = to_working_crs(wards, argument="wards")
    geom_by_code = _lsoa_geometries(lsoas, lsoa_code_column)
    has_geom = codes.isin(geom_by_code.index)
    has_pop = np.isfinite(weights) & (weights > 0)
    placed = np.flatnonzero(has_geom & has_pop)
    geoms = geom_by_code.reindex(codes[placed]).to_numpy()
    li, wi, share = _area_shares(geoms, areas.geometry.to_numpy())
    w = weights[placed][li] * share
    n_wards = len(areas)
    total = np.bincount(wi, weights=w, minlength=n_wards)
    scores = ["imd_score"] + [
        c for c in deprivation.columns if c.endswith("_score") and c != "imd_score"
    ]
    out = pd.DataFrame(index=areas.index.copy())
    with np.errstate(invalid="ignore", divide="ignore"):
        for col in scores:
            s = deprivation[col].to_numpy(dtype="float64")[placed][li]
            out[col] = np.bincount(wi, weights=w * s, minlength=n_wards) / total
        decile = deprivation["imd_decile"] if "imd_decile" in deprivation else None
        if decile is not None:
            top = (decile.to_numpy(dtype="float64", na_value=np.nan)[placed][li] == 1).astype(float)
            out["share_most_deprived_decile"] = (
                np.bincount(wi, weights=w * top, minlength=n_wards) / total
            )
    out["population_weight"] = total
    # Generalised boundaries leave slivers: an LSOA counts when over 1% of its area is in the ward.
    out["n_lsoas"] = np.bincount(wi, weights=(share > 0.01), minlength=n_wards).astype(np.int64)
    out.loc[total <= 0, out.columns[:-2]] = np.nan
    placed_share = np.bincount(li, weights=share, minlength=len(placed))
    method = DeprivationMethod(
        n_lsoas=len(codes),
        n_lsoas_no_geometry=int((~has_geom).sum()),
        n_lsoas_no_population=int((has_geom & ~has_pop).sum()),
        n_lsoas_outside_wards=int((placed_share <= 0).sum()),
        population_source=source,
        scores=tuple(scores),
        most_deprived_decile=1,
    )
    out.attrs["method"] = method
    if method.n_lsoas_no_geometry or method.n_lsoas_no_population:
        warnings.warn(
            f"apportion_deprivation: {method.n_lsoas_no_geometry:,} LSOAs have no polygon and "
            f"{method.n_lsoas_no_population:,} no population; they were not placed "
            "(attrs['method']).",
            UserWarning,
            stacklevel=2,
        )
    return out
