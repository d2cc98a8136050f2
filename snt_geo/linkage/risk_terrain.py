"""Risk terrain modelling: which kinds of place concentrate which crime.

Risk terrain modelling (Caplan & Kennedy 2011; RTMDx) asks which features of the environment
make crime more likely nearby. :func:`link_places_to_crime` counts incidents in square cells,
describes each cell by its exposure to each place layer (estates, stations, schools, licensed
premises, shopping parades, ...) within a spatial influence, selects the exposures that explain
the counts (forward selection by BIC), fits a Poisson or negative binomial regression
(statsmodels), and reports each factor's relative risk ``exp(beta)`` with its 95% interval, a
risk surface and a sentence per significant factor for the briefing. The youth-ASB-near-estates
-> street-crime link is one use: ``places={"estates": estates}``, ``theme="street_crime"``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from snt_geo._format import format_count, format_number, format_pvalue
from snt_geo._method import MethodRecord
from snt_geo.crs import to_working_crs
from snt_geo.linkage.grid import _cells_frame, _grid_for, _incident_xy

__all__ = ["link_places_to_crime", "RiskTerrain", "RiskTerrainMethod", "RISK_OPERATIONS"]

#: How a place layer can act on a cell: ``proximity`` (the cell centre is within the spatial
#: influence of a place) or ``density`` (the count of places within it is high: above the mean
#: plus two standard deviations over the cells, RTMDx's definition).
RISK_OPERATIONS = ("proximity", "density")
_MODELS = ("auto", "poisson", "negative_binomial")
_Z95 = 1.959963984540054


@dataclass(frozen=True, repr=False)
class RiskTerrainMethod(MethodRecord):
    """What :func:`link_places_to_crime` ran, for a method note (``RiskTerrain.method``).

    Attributes
    ----------
    theme
        The incidents modelled (a theme or crime type; ``"all"`` when not filtered).
    n_incidents, n_incidents_other_theme, n_incidents_no_geometry, n_incidents_outside
        Incidents counted in cells; left out for another theme; without a location; outside
        every cell.
    place_layers, n_places
        Place layer names and their feature counts.
    cell_size_m, n_cells, area
        The grid.
    influence_m, operations
        Spatial influences tested (metres from the cell centre) and operations tested.
    selection, candidates, selected
        ``"bic"`` (forward selection, at most one variable per layer) or ``"none"``; every
        candidate variable; those in the final model.
    model, dispersion
        ``"poisson"`` or ``"negative_binomial"`` and how it was chosen; the NB2 dispersion
        (alpha; 0 for Poisson).
    bic
        BIC of the final model.
    """

    theme: str
    n_incidents: int
    n_incidents_other_theme: int
    n_incidents_no_geometry: int
    n_incidents_outside: int
    place_layers: tuple[str, ...]
    n_places: tuple[int, ...]
    cell_size_m: float
    n_cells: int
    area: str
    influence_m: tuple[float, ...]
    operations: tuple[str, ...]
    selection: str
    candidates: tuple[str, ...]
    selected: tuple[str, ...]
    model: str
    model_rule: str
    dispersion: float
    bic: float

    def describe(self) -> str:
        """One paragraph for a method note."""
        layers = ", ".join(
            f"{name} ({format_count(n)})"
            for name, n in zip(self.place_layers, self.n_places, strict=True)
        )
        chosen = ", ".join(self.selected) if self.selected else "none"
        return (
            f"Risk terrain model (after Caplan & Kennedy 2011) of {format_count(self.n_incidents)}"
            f" {self.theme.replace('_', ' ')} incidents in {format_count(self.n_cells)} cells of "
            f"{format_number(self.cell_size_m)} m over the {self.area}. Place layers: {layers}; "
            f"each tested as {' and '.join(self.operations)} within "
            f"{', '.join(format_number(d) for d in self.influence_m)} m of the cell centre. "
            f"Variables {'selected forward by BIC' if self.selection == 'bic' else 'all kept'}: "
            f"{chosen}. {self.model.replace('_', ' ').capitalize()} regression "
            f"({self.model_rule}); relative risks are exp(coefficient) with 95% Wald intervals."
        )


@dataclass(frozen=True)
class RiskTerrain:
    """Result of :func:`link_places_to_crime`.

    Attributes
    ----------
    factors
        DataFrame indexed by ``variable`` (``<layer>_<operation>_<influence>m``), one row per
        candidate: ``place_layer``, ``operation``, ``influence_m``, ``selected``,
        ``coefficient``, ``std_error``, ``relative_risk``, ``rr_lower``, ``rr_upper`` (95%),
        ``p_value`` and ``significant`` (p <= ``alpha``); NaN statistics when not selected.
    cells
        GeoDataFrame indexed by ``cell_id``: ``row``, ``col``, ``incident_count``, one 0/1
        column per candidate variable, ``relative_risk`` (the risk surface: exp of the selected
        factors' linear predictor, 1 = a cell exposed to none), ``expected_count`` and
        ``geometry`` (EPSG:27700).
    method
        :class:`RiskTerrainMethod`.
    """

    factors: pd.DataFrame
    cells: gpd.GeoDataFrame
    method: RiskTerrainMethod

    @property
    def design(self) -> pd.DataFrame:
        """The model's design: ``incident_count`` and the selected variables, per cell."""
        return pd.DataFrame(self.cells[["incident_count", *self.method.selected]])

    def sentences(self) -> list[str]:
        """One sentence per significant factor, strongest first, for the briefing."""
        rows = self.factors[self.factors["significant"]].sort_values(
            "relative_risk", ascending=False
        )
        theme = self.method.theme.replace("_", " ")
        out = []
        for _, r in rows.iterrows():
            layer = str(r["place_layer"]).replace("_", " ")
            where = (
                f"within {format_number(r['influence_m'])} m of {layer}"
                if r["operation"] == "proximity"
                else f"with a high density of {layer} within {format_number(r['influence_m'])} m"
            )
            out.append(
                f"Cells {where} have {r['relative_risk']:.1f} times the {theme} risk of other "
                f"cells (95% CI {r['rr_lower']:.1f} to {r['rr_upper']:.1f}, "
                f"{format_pvalue(r['p_value'], prefix=True)}), other factors held equal."
            )
        return out

    def to_frame(self) -> gpd.GeoDataFrame:
        """Return the risk surface (``cells``) with ``attrs["method"]`` set."""
        frame = self.cells.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.method.describe())}</p>" + self.factors.to_html(
            float_format="{:.3g}".format
        )


def _import_statsmodels():
    try:
        import statsmodels.api as sm
    except ImportError as exc:  # pragma: no cover - statsmodels is in the test extras
        raise ImportError(
            'link_places_to_crime needs statsmodels: pip install "snt-geo[stats]"'
        ) from exc
    return sm


def _check_places(places: object) -> dict[str, np.ndarray]:
    if not isinstance(places, Mapping) or not places:
        raise TypeError(
            "`places` must be a non-empty dict of layer name -> GeoDataFrame/GeoSeries, e.g. "
            f'{{"estates": estates, "stations": stations}}; got {type(places).__name__}.'
        )
    out = {}
    for name, layer in places.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"`places` keys name the layers in column names; use identifiers such as "
                f"'estates' or 'licensed_premises'; got {name!r}."
            )
        frame = to_working_crs(layer, argument=f"places[{name!r}]")
        geoms = np.asarray(frame.geometry.to_numpy() if hasattr(frame, "geometry") else frame)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        if len(geoms) == 0:
            raise ValueError(f"`places[{name!r}]` has no geometries; pass at least one place.")
        out[name] = geoms
    return out


def _check_influences(influence_m: float | Sequence[float]) -> tuple[float, ...]:
    values = [influence_m] if isinstance(influence_m, (int, float)) else list(influence_m)
    ok = values and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        for v in values
    )
    if not ok:
        raise ValueError(
            "`influence_m` must be a positive number of metres or a list of them (each tested); "
            f"got {influence_m!r}. RTMDx studies often test 1-3 blocks, e.g. (200, 400)."
        )
    return tuple(sorted({float(v) for v in values}))


def _select_theme(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries, theme: str | None
) -> tuple[gpd.GeoDataFrame | gpd.GeoSeries, int]:
    if theme is None:
        return incidents, 0
    if not isinstance(incidents, gpd.GeoDataFrame) or not {"theme", "crime_type"} & set(
        incidents.columns
    ):
        raise ValueError(
            "`theme` needs incidents with a `theme` or `crime_type` column (the incidents schema "
            f"from snt_geo.io.read_police_uk); got theme={theme!r}. Pass theme=None to model "
            "every incident given."
        )
    keep = np.zeros(len(incidents), dtype=bool)
    for col in ("theme", "crime_type"):
        if col in incidents.columns:
            keep |= (incidents[col].astype("string") == theme).fillna(False).to_numpy(bool)
    return incidents[keep], int((~keep).sum())


def _exposures(
    centres: np.ndarray, places: dict[str, np.ndarray], influences: tuple[float, ...],
    operations: tuple[str, ...],
) -> tuple[pd.DataFrame, dict[str, tuple[str, str, float]]]:  # fmt: skip
    """0/1 exposure of each cell to each layer x operation x influence; constant ones dropped."""
    points = shapely.points(centres)
    columns: dict[str, np.ndarray] = {}
    meta: dict[str, tuple[str, str, float]] = {}
    for name, geoms in places.items():
        tree = shapely.STRtree(geoms)
        for d in influences:
            cell, _ = tree.query(points, predicate="dwithin", distance=d)
            count = np.bincount(cell, minlength=len(centres))
            variables = {
                "proximity": count > 0,
                "density": count > count.mean() + 2 * count.std(),
            }
            for op in operations:
                x = variables[op].astype(np.int8)
                # A constant exposure says nothing; a copy of one already listed (density equal
                # to proximity when places are sparse) would only split the selection.
                same = any(np.array_equal(x, v) for v in columns.values())
                if 0 < x.sum() < len(x) and not same:
                    key = f"{name}_{op}_{format_number(d).replace(',', '')}m"
                    columns[key], meta[key] = x, (name, op, d)
    return pd.DataFrame(columns), meta


def _fit(sm, y: np.ndarray, x: pd.DataFrame, model: str):
    """Fit the count model; returns (result, params, bse, dispersion, bic)."""
    exog = sm.add_constant(x.to_numpy(dtype="float64"), has_constant="add")
    n = len(y)
    if model == "poisson":
        res = sm.GLM(y, exog, family=sm.families.Poisson()).fit()
        bic = -2 * res.llf + exog.shape[1] * math.log(n)
        return res, res.params, res.bse, 0.0, bic
    res = sm.NegativeBinomial(y, exog, loglike_method="nb2").fit(disp=0, maxiter=200)
    k = exog.shape[1]
    bic = -2 * res.llf + (k + 1) * math.log(n)
    return res, res.params[:k], res.bse[:k], float(res.params[k]), bic


def _forward_select(sm, y: np.ndarray, design: pd.DataFrame, meta: dict, model: str) -> list[str]:
    """Forward selection by BIC, at most one variable per place layer."""
    chosen: list[str] = []
    best = _fit(sm, y, design[[]], model)[4]
    while True:
        layers = {meta[c][0] for c in chosen}
        trials = [
            (_fit(sm, y, design[[*chosen, c]], model)[4], c)
            for c in design.columns
            if c not in chosen and meta[c][0] not in layers
        ]
        if not trials:
            return chosen
        bic, column = min(trials)
        if bic >= best:
            return chosen
        chosen.append(column)
        best = bic


def _choose_model(sm, y: np.ndarray, x: pd.DataFrame, model: str) -> tuple[str, str]:
    if model != "auto":
        return model, "given"
    poisson = _fit(sm, y, x, "poisson")[4]
    negbin = _fit(sm, y, x, "negative_binomial")[4]
    if negbin < poisson:
        return "negative_binomial", "lower BIC than Poisson: the counts are overdispersed"
    return "poisson", "BIC no worse than negative binomial"


def link_places_to_crime(
    incidents: gpd.GeoDataFrame | gpd.GeoSeries,
    places: Mapping[str, gpd.GeoDataFrame | gpd.GeoSeries],
    *,
    theme: str | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float = 100.0,
    influence_m: float | Sequence[float] = (200.0, 400.0),
    operations: Sequence[str] = RISK_OPERATIONS,
    selection: str = "bic",
    model: str = "auto",
    alpha: float = 0.05,
) -> RiskTerrain:
    """Risk terrain model: relative risk of crime near each kind of place.

    Parameters
    ----------
    incidents
        Incident points with a CRS (the incidents schema); reprojected to EPSG:27700.
    places
        Place layers by name (``{"estates": estates, "stations": stations}``): points or
        polygons with a CRS. Names must be identifiers (they name the variables).
    theme
        Model only incidents whose ``theme`` or ``crime_type`` equals this (e.g.
        ``"street_crime"``). Default None: every incident.
    area
        Study-area polygons; cells overlapping them are modelled. Default: the incidents'
        bounding box.
    cell_size_m
        Cell side, metres (default 100 m, about half a London block face).
    influence_m
        Spatial influence(s) tested, metres from the cell centre (default 200 and 400 m).
    operations
        Operations tested per layer: ``"proximity"`` and/or ``"density"`` (see
        :data:`RISK_OPERATIONS`).
    selection
        ``"bic"`` (default): forward selection by BIC, at most one variable per layer (with
        ``model="auto"`` the selection fits Poisson models; the final model is then chosen).
        ``"none"``: every candidate variable in the model.
    model
        ``"auto"`` (default: negative binomial when its BIC beats Poisson's), ``"poisson"`` or
        ``"negative_binomial"`` (NB2).
    alpha
        Significance level for ``factors["significant"]`` and :meth:`RiskTerrain.sentences`.

    Returns
    -------
    RiskTerrain
        ``factors`` (relative risks with 95% intervals), ``cells`` (the risk surface) and
        ``method``.

    Notes
    -----
    Each cell's count ``y`` is modelled as ``log E[y] = b0 + sum_k b_k x_k`` with ``x_k`` the 0/1
    exposures; ``exp(b_k)`` is the relative risk of a cell exposed to factor ``k`` against one
    that is not, other factors equal. Intervals are Wald intervals on the log scale. After
    forward selection they are conditional on the selected model (optimistic); use
    ``selection="none"`` for pre-specified factors. Caplan, J. M. & Kennedy, L. W. (2011) Risk
    terrain modeling compendium; Caplan, Kennedy & Miller (2011) Justice Quarterly 28(2).
    """
    sm = _import_statsmodels()
    layers = _check_places(places)
    influences = _check_influences(influence_m)
    operations = tuple(operations)
    if not operations or any(op not in RISK_OPERATIONS for op in operations):
        raise ValueError(
            f"`operations` must be a non-empty list from {RISK_OPERATIONS}; got {operations!r}."
        )
    if selection not in ("bic", "none"):
        raise ValueError(f"`selection` must be 'bic' or 'none'; got {selection!r}.")
    if model not in _MODELS:
        raise ValueError(f"`model` must be one of {_MODELS}; got {model!r}.")
    chosen, n_other = _select_theme(incidents, theme)
    xy, has_point = _incident_xy(chosen)
    grid = _grid_for(area, xy, cell_size_m)
    counts, n_outside = _cell_counts(grid, xy)
    flat = np.flatnonzero(grid.mask.ravel())
    rows, cols = np.divmod(flat, grid.spec.n_cols)
    centres = np.column_stack(grid.spec.centres(rows, cols))
    design, meta = _exposures(centres, layers, influences, operations)
    if design.empty:
        raise ValueError(
            "no place layer varies across the cells at the influences given (every cell is "
            "exposed, or none is); try other `influence_m` or a larger `area`."
        )
    selected = (
        _forward_select(sm, counts, design, meta, "poisson" if model == "auto" else model)
        if selection == "bic"
        else list(design.columns)
    )
    family, rule = _choose_model(sm, counts, design[selected], model)
    _, params, bse, dispersion, bic = _fit(sm, counts, design[selected], family)
    factors = _factor_table(design, meta, selected, params, bse, alpha)
    log_rr = design[selected].to_numpy(dtype="float64") @ np.asarray(params[1:], dtype="float64")
    cells = _cells_frame(
        grid,
        {
            "incident_count": counts.astype(np.int64),
            **{c: design[c].to_numpy() for c in design.columns},
            "relative_risk": np.exp(log_rr),
            "expected_count": np.exp(float(params[0]) + log_rr),
        },
    )
    method = RiskTerrainMethod(
        theme=theme or "all",
        n_incidents=int(counts.sum()),
        n_incidents_other_theme=n_other,
        n_incidents_no_geometry=int((~has_point).sum()),
        n_incidents_outside=n_outside,
        place_layers=tuple(layers),
        n_places=tuple(len(g) for g in layers.values()),
        cell_size_m=grid.spec.cell_size_m,
        n_cells=len(counts),
        area=grid.area_source,
        influence_m=influences,
        operations=operations,
        selection=selection,
        candidates=tuple(design.columns),
        selected=tuple(selected),
        model=family,
        model_rule=rule,
        dispersion=dispersion,
        bic=float(bic),
    )
    return RiskTerrain(factors=factors, cells=cells, method=method)


def _cell_counts(grid, xy: np.ndarray) -> tuple[np.ndarray, int]:
    spec = grid.spec
    row, col = spec.locate(xy[:, 0], xy[:, 1])
    flat = row * spec.n_cols + col
    inside = row >= 0
    inside[inside] = grid.mask.ravel()[flat[inside]]
    raster = np.bincount(flat[inside], minlength=spec.n_rows * spec.n_cols)
    return raster[grid.mask.ravel()].astype("float64"), int((~inside).sum())


def _factor_table(
    design: pd.DataFrame, meta: dict, selected: list[str], params, bse, alpha: float
) -> pd.DataFrame:
    from scipy import stats

    table = pd.DataFrame(
        [meta[c] for c in design.columns],
        index=pd.Index(design.columns, name="variable"),
        columns=["place_layer", "operation", "influence_m"],
    )
    table["selected"] = table.index.isin(selected)
    beta = pd.Series(np.asarray(params[1:], dtype="float64"), index=selected)
    se = pd.Series(np.asarray(bse[1:], dtype="float64"), index=selected)
    table["coefficient"] = beta.reindex(table.index)
    table["std_error"] = se.reindex(table.index)
    table["relative_risk"] = np.exp(table["coefficient"])
    table["rr_lower"] = np.exp(table["coefficient"] - _Z95 * table["std_error"])
    table["rr_upper"] = np.exp(table["coefficient"] + _Z95 * table["std_error"])
    table["p_value"] = 2 * stats.norm.sf(np.abs(table["coefficient"] / table["std_error"]))
    table["significant"] = (table["p_value"] <= alpha).fillna(False).astype(bool)
    return table
