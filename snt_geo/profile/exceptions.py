"""Expected counts and exceptions: which wards are above or below what the season predicts.

The first question of a monthly performance meeting is "which wards are out of the ordinary this
month, given the time of year?". :func:`find_exceptions` answers it per ward x theme for one
month: a seasonal baseline fitted on the previous months predicts each ward's count with a
prediction interval, and a two-sided test with Benjamini-Hochberg control across the wards says
which wards are above or below expected.

The model (per theme, all wards at once)::

    log E[y_wt] = a_w + b * t + s_m(t)

``a_w`` a level per ward, ``b`` a linear trend in months, ``s_m`` a month-of-year effect. Ward
levels are fitted rather than assumed proportional to population, so a ward's own history is its
baseline; the trend and seasonality are shared by the wards analysed together (a borough, or
London), which is what makes 12-14 months of history enough to estimate them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from snt_geo._dates import parse_month, to_months
from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo._multitest import bh_adjust
from snt_geo._validate import check_fraction, check_incident_columns, check_whole
from snt_geo.io.boundaries import check_wards
from snt_geo.profile.assignment import assign_wards
from snt_geo.themes import DEFAULT_THEMES, ThemeTable

__all__ = ["EXCEPTION_CLASSES", "ExceptionsMethod", "WardExceptions", "find_exceptions"]

#: Values of ``exception`` (categorical order).
EXCEPTION_CLASSES = ("above", "below", "as_expected", "no_history")

#: Fewest covered months of history before the target month that the model accepts.
MIN_HISTORY_MONTHS = 6

_STATS_HINT = 'statsmodels is needed for expected counts: pip install "snt-geo[stats]"'


@dataclass(frozen=True, repr=False)
class ExceptionsMethod(MethodRecord):
    """What :func:`find_exceptions` ran, for a method note (``frame.attrs["method"]``).

    Attributes
    ----------
    month
        The month tested (``"YYYY-MM"``).
    history_start, history_end, n_history_months
        The months the baseline was fitted on (covered months only).
    months_not_covered
        Months inside the history window with no incident at all in the data: treated as not
        covered by the extract (left out of the fit), not as months of zero crime.
    seasonal, seasonal_rule
        Whether month-of-year terms were fitted, and why.
    model
        The mean model, in words.
    scale
        Per theme, the quasi-Poisson scale of the ward counts around the fitted means (variance /
        mean; 1: Poisson), as ``(theme, value)`` pairs.
    interval_level
        Central probability of the prediction interval.
    alpha
        False discovery rate at which a ward is called above or below expected.
    themes
        Theme keys analysed.
    n_wards
        Wards analysed.
    n_incidents
        Incidents counted (in a ward and in a modelled month).
    n_incidents_outside
        Incidents outside every ward or without a location (not counted).
    n_incidents_other_months
        Incidents in months neither tested nor in the history window (not counted).
    """

    month: str
    history_start: str
    history_end: str
    n_history_months: int
    months_not_covered: tuple[str, ...]
    seasonal: bool
    seasonal_rule: str
    model: str
    scale: tuple[tuple[str, float], ...]
    interval_level: float
    alpha: float
    themes: tuple[str, ...]
    n_wards: int
    n_incidents: int
    n_incidents_outside: int
    n_incidents_other_months: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (``scale`` as a dict of theme -> value)."""
        out = asdict(self)
        out["scale"] = dict(self.scale)
        out["months_not_covered"] = list(self.months_not_covered)
        out["themes"] = list(self.themes)
        return out

    def describe(self) -> str:
        """One paragraph for a method note."""
        terms = "a level per ward, a linear trend" + (
            " and month-of-year effects" if self.seasonal else ""
        )
        gap = (
            f" {len(self.months_not_covered)} month(s) in that window had no data and were left "
            "out."
            if self.months_not_covered
            else ""
        )
        disp = ", ".join(f"{t} {v:.2f}" for t, v in self.scale) or "none"
        return (
            f"Expected counts for {self.month}: a Poisson log-linear model with {terms} "
            f"({self.seasonal_rule}), fitted per theme on the {self.n_history_months} previous "
            f"months ({self.history_start} to {self.history_end}) across "
            f"{format_count(self.n_wards)} wards."
            f"{gap} Prediction intervals ({self.interval_level:.0%}) and p-values come from a "
            "negative binomial around each expected count whose variance combines the ward "
            f"counts' extra-Poisson variation (quasi-Poisson scale per theme: {disp}) and the "
            "uncertainty of the fitted mean. A ward is above or below expected when its two-sided "
            f"p-value survives Benjamini-Hochberg control at {self.alpha:g} across the wards "
            f"(per theme). {format_count(self.n_incidents)} incidents counted; "
            f"{format_count(self.n_incidents_outside)} outside every ward and "
            f"{format_count(self.n_incidents_other_months)} in other months were not."
        )


@dataclass(frozen=True)
class WardExceptions:
    """Result of :func:`find_exceptions`.

    Attributes
    ----------
    wards
        DataFrame indexed by (``ward_code``, ``theme``), one row per ward and theme for the tested
        month: ``ward_name``, ``borough_code``, ``borough_name`` (when ``wards`` has them),
        ``incident_count``, ``expected_count``, ``expected_lower``, ``expected_upper``,
        ``ratio`` (count / expected), ``p_value_above``, ``p_value_below``, ``p_value``
        (two-sided), ``p_value_fdr`` (Benjamini-Hochberg across wards, per theme) and
        ``exception`` (categorical, :data:`EXCEPTION_CLASSES`).
    monthly
        DataFrame indexed by (``ward_code``, ``theme``, ``month``), sorted, over the history and
        the tested month: ``incident_count``, ``expected_count``, ``expected_lower``,
        ``expected_upper`` (fitted values in the history; the prediction in the tested month),
        ``fitted`` (True in the history). For a trend chart with the expected band.
    method
        :class:`ExceptionsMethod`.
    """

    wards: pd.DataFrame
    monthly: pd.DataFrame
    method: ExceptionsMethod

    @property
    def flagged(self) -> pd.DataFrame:
        """The borough exception table: rows of ``wards`` above or below expected.

        Ordered by borough, theme, then adjusted p-value.
        """
        rows = self.wards[self.wards["exception"].isin(["above", "below"])]
        keys = [c for c in ("borough_name",) if c in rows.columns]
        flat = rows.reset_index()
        flat = flat.sort_values([*keys, "theme", "p_value_fdr"], kind="stable")
        return flat.set_index(["ward_code", "theme"])

    def to_frame(self) -> pd.DataFrame:
        """Return the per ward x theme table (``wards``) with ``attrs["method"]`` set."""
        frame = self.wards.copy()
        frame.attrs["method"] = self.method
        return frame

    def _repr_html_(self) -> str:
        counts = self.wards["exception"].value_counts().to_frame("ward x theme rows")
        return f"<p>{self.method.describe()}</p>" + counts.to_html()


def find_exceptions(
    incidents: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    month=None,
    theme_keys: Sequence[str] | None = None,
    themes: ThemeTable | None = None,
    history_months: int | None = None,
    seasonal: bool | None = None,
    interval_level: float = 0.95,
    alpha: float = 0.05,
) -> WardExceptions:
    """Find expected counts per ward x theme for one month and the wards above or below them.

    Parameters
    ----------
    incidents
        The incidents schema (``month`` and ``crime_type`` columns, point geometry with a CRS).
        Never modified.
    wards
        Polygons indexed by ward code (the wards schema). Every ward is analysed, including those
        with no incident.
    month
        The month to test (``"2025-02"`` or a ``pandas.Period``). Default: the latest month in
        ``incidents``.
    theme_keys
        Theme keys to analyse (e.g. ``["burglary", "street_crime"]``). Default: every theme of
        ``themes`` (an alias once) with at least one incident in the history.
    themes
        Theme table (theme key -> crime types); default :data:`snt_geo.themes.DEFAULT_THEMES`.
    history_months
        Length in months of the window before ``month`` that the baseline is fitted on. Default:
        every earlier month in ``incidents``. Months of the window with no incident at all are
        taken as not covered by the data and left out (recorded on the method record).
    seasonal
        Fit month-of-year effects. Default (None): when the covered history has at least 13
        months and every month of the year, so trend and season are both identified.
    interval_level
        Central probability of ``expected_lower`` .. ``expected_upper``; default 0.95.
    alpha
        False discovery rate for calling a ward above or below expected; default 0.05.

    Returns
    -------
    WardExceptions
        ``wards`` (the tested month, one row per ward x theme), ``monthly`` (fitted and observed
        series) and ``method``; see :class:`WardExceptions` for the exact columns.

    Raises
    ------
    SchemaError
        ``incidents`` lacks ``month`` or ``crime_type``.
    ValueError
        ``month`` is not in the data, fewer than :data:`MIN_HISTORY_MONTHS` covered months
        precede it, an unknown theme key, or ``interval_level`` / ``alpha`` outside (0, 1).
    ImportError
        statsmodels is not installed (``pip install "snt-geo[stats]"``).

    Notes
    -----
    The mean model is a Poisson GLM with a fixed effect per ward (McCullagh & Nelder 1989). With
    ward effects and terms shared by all wards, the maximum-likelihood trend and seasonal
    coefficients are exactly those of a Poisson GLM with an intercept on the monthly totals, and
    each ward's level is its history total divided by the fitted monthly profile's sum (the
    ward effects profile out in closed form); so the fit is one small GLM per theme, however many
    wards, and equals a GLM with one dummy per ward (tested). A ward with no incident of a theme
    in the whole history has no level to scale: it is ``no_history``, never flagged.

    The Poisson fit gives the expected counts (its point estimates are consistent under
    overdispersion). Around them, counts are taken as negative binomial with variance
    ``phi * mu + (exp(s**2) - 1) * mu**2``: ``phi`` the quasi-Poisson scale of the ward counts
    (Pearson chi-squared over residual degrees of freedom, at least 1; McCullagh & Nelder 1989,
    section 4.5) and ``s`` the standard error of the fitted log mean (ward level and time
    profile; a gamma mixture matching a lognormal one's variance). On Met burglary 2024 the ward
    counts' variance was about 1.5 times the mean at every count level, a quasi-Poisson shape
    rather than the constant-``k`` NB2 one, which overstates the spread of large counts.

    The p-value is two-sided: twice the smaller tail
    probability ``P(Y >= y)`` or ``P(Y <= y)``, capped at 1; Benjamini-Hochberg (1995) controls
    the false discovery rate across the wards of each theme.

    Examples
    --------
    >>> from snt_geo.datasets import load_sample
    >>> sample = load_sample()
    >>> found = find_exceptions(sample.incidents, sample.wards, month="2023-06")
    >>> found.flagged.reset_index()[["ward_code", "theme", "exception"]].values.tolist()
    [['E05000006', 'shoplifting', 'above']]
    """
    themes = themes or DEFAULT_THEMES
    check_fraction("interval_level", interval_level, what="a probability")
    check_fraction("alpha", alpha, what="a false discovery rate")
    check_incident_columns(incidents)
    areas = check_wards(wards)
    months = to_months(incidents["month"], argument="incidents['month']")
    target, window, not_covered = _history(months, month, history_months)
    keys = _theme_keys(theme_keys, themes)
    counts, account = _count(incidents, areas, months, target, window, keys, themes)
    if theme_keys is None:
        has = counts[:, :, :-1].sum(axis=(1, 2)) > 0
        keys = [k for k, h in zip(keys, has, strict=True) if h]
        counts = counts[has]
    use_season, season_rule = _seasonal_rule(seasonal, window)
    design = _design(window, target, seasonal=use_season)
    fits = [_fit_theme(c, design) for c in counts]
    method = ExceptionsMethod(
        month=str(target),
        history_start=str(window[0]),
        history_end=str(window[-1]),
        n_history_months=len(window),
        months_not_covered=tuple(str(m) for m in not_covered),
        seasonal=use_season,
        seasonal_rule=season_rule,
        model="Poisson GLM, ward fixed effects"
        + (", linear trend, month-of-year" if use_season else ", linear trend"),
        scale=tuple((k, round(float(f.scale), 6)) for k, f in zip(keys, fits, strict=True)),
        interval_level=float(interval_level),
        alpha=float(alpha),
        themes=tuple(keys),
        n_wards=len(areas),
        n_incidents=int(counts.sum()) if len(keys) else 0,
        **account,
    )
    wards_table = _ward_table(areas, keys, counts, fits, interval_level, alpha)
    wards_table.attrs["method"] = method
    monthly = _monthly_table(areas.index, keys, counts, fits, [*window, target], interval_level)
    monthly.attrs["method"] = method
    return WardExceptions(wards=wards_table, monthly=monthly, method=method)


# --- inputs -------------------------------------------------------------------------------------


def _history(
    months: pd.PeriodIndex, month, history_months: int | None
) -> tuple[pd.Period, list[pd.Period], list[pd.Period]]:
    present = months[np.asarray(months.notna())].unique().sort_values()
    if not len(present):
        raise ValueError("`incidents` has no incident with a month: nothing to test.")
    if month is None:
        target = present[-1]
    else:
        target = parse_month(month, argument="month")
        if target not in present:
            raise ValueError(
                f"`month` {month!r} has no incident in `incidents` (months {present[0]} to "
                f"{present[-1]}); pick a month the data covers."
            )
    if history_months is not None:
        check_whole(
            "history_months",
            history_months,
            minimum=MIN_HISTORY_MONTHS,
            hint="Pass None for every earlier month.",
        )
    start = present[0] if history_months is None else max(present[0], target - history_months)
    full = pd.period_range(start, target - 1, freq="M")
    covered = [m for m in full if m in set(present)]
    not_covered = [m for m in full if m not in set(present)]
    if len(covered) < MIN_HISTORY_MONTHS:
        raise ValueError(
            f"`month` {str(target)!r} has {len(covered)} covered month(s) of history before it; "
            f"the baseline needs at least {MIN_HISTORY_MONTHS}. Test a later month or add "
            "earlier months to `incidents`."
        )
    return target, covered, not_covered


def _theme_keys(theme_keys: Sequence[str] | None, themes: ThemeTable) -> list[str]:
    known = list(themes.themes)
    if theme_keys is None:  # an alias names the same crime types as another key: test once
        return [k for k in known if not themes.is_alias(k)]
    if isinstance(theme_keys, str):
        theme_keys = [theme_keys]
    unknown = [k for k in theme_keys if k not in known]
    if unknown:
        raise ValueError(
            f"`theme_keys` names unknown theme(s) {unknown}; known keys: {known}. Pass a "
            "`themes` table from snt_geo.themes.make_themes for local themes."
        )
    return list(dict.fromkeys(theme_keys))


def _count(
    incidents: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    months: pd.PeriodIndex,
    target: pd.Period,
    window: list[pd.Period],
    keys: list[str],
    themes: ThemeTable,
) -> tuple[np.ndarray, dict[str, int]]:
    """Return counts shaped (theme, ward, month) over ``[*window, target]`` and the drop account."""
    ward = assign_wards(incidents, areas)
    ward_pos = areas.index.get_indexer(ward.astype(object).where(ward.notna(), None))
    modelled = pd.PeriodIndex([*window, target], freq="M")
    month_pos = np.asarray(modelled.get_indexer(months))
    types = incidents["crime_type"].astype("string").to_numpy(dtype=object, na_value="")
    type_codes, type_names = pd.factorize(types)
    inside = ward_pos >= 0
    used = inside & (month_pos >= 0)
    n_w, n_m, n_t = len(areas), len(modelled), len(type_names)
    flat = (ward_pos[used] * n_m + month_pos[used]) * n_t + type_codes[used]
    by_type = np.bincount(flat, minlength=n_w * n_m * n_t).reshape(n_w, n_m, n_t)
    member = np.array(
        [[name in themes.members(k) for name in type_names] for k in keys], dtype=np.int64
    ).reshape(len(keys), n_t)
    counts = np.einsum("wmt,kt->kwm", by_type, member)
    account = {
        "n_incidents_outside": int((~inside).sum()),
        "n_incidents_other_months": int((inside & (month_pos < 0)).sum()),
    }
    return counts, account


def _seasonal_rule(seasonal: bool | None, window: list[pd.Period]) -> tuple[bool, str]:
    every_month = len({m.month for m in window}) == 12
    enough = len(window) >= 13 and every_month
    if seasonal is None:
        if enough:
            return True, "month-of-year terms: the history covers every month and 13+ months"
        return False, (
            f"no month-of-year terms: {len(window)} months of history cannot separate season "
            "from trend (needs 13+ covering every month)"
        )
    if seasonal and not enough:
        raise ValueError(
            f"`seasonal=True` needs at least 13 months of history covering every month of the "
            f"year; got {len(window)}. Pass seasonal=None to decide automatically."
        )
    return bool(seasonal), "month-of-year terms " + ("requested" if seasonal else "turned off")


def _design(window: list[pd.Period], target: pd.Period, *, seasonal: bool) -> np.ndarray:
    """Time design (months x terms) over ``[*window, target]``: intercept, trend, seasons."""
    periods = [*window, target]
    t = np.array([(p - window[0]).n for p in periods], dtype=np.float64)
    cols = [np.ones(len(periods)), t]
    if seasonal:
        moy = np.array([p.month for p in periods])
        cols += [(moy == m).astype(np.float64) for m in range(2, 13)]
    return np.column_stack(cols)


# --- model --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ThemeFit:
    mu: np.ndarray  # (ward, month) expected counts over window + target; NaN without history
    log_se: np.ndarray  # (ward, month) standard error of log mu
    scale: float  # quasi-Poisson scale: variance / mean of the ward counts


def _fit_theme(counts: np.ndarray, design: np.ndarray) -> _ThemeFit:
    """Fit one theme: counts (ward, month) whose last month is the one to predict."""
    try:
        import statsmodels.api as sm
    except ImportError as err:  # pragma: no cover - the stats extra is installed in CI
        raise ImportError(_STATS_HINT) from err
    history = counts[:, :-1].astype(np.float64)
    n_w, n_h = history.shape
    totals = history.sum(axis=0)
    ward_totals = history.sum(axis=1)
    nan = np.full(counts.shape, np.nan)
    if totals.sum() == 0:
        return _ThemeFit(mu=nan, log_se=nan, scale=1.0)
    x_hist = design[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a saturated or separated fit is still the MLE we use
        res = sm.GLM(totals, x_hist, family=sm.families.Poisson()).fit()
    eta = design @ res.params
    profile = np.exp(eta - eta[:-1].max())
    share = profile / profile[:-1].sum()  # the monthly profile, summing to 1 over the history
    mu = ward_totals[:, None] * share[None, :]
    has = ward_totals > 0
    mu[~has] = np.nan
    n_params = int(has.sum()) + x_hist.shape[1] - 1
    scale = _quasi_poisson_scale(history[has], mu[has, :-1], n_params=n_params)
    # SE of log mu: the ward level (its history total) and the time profile (the totals GLM).
    weights = share[:-1]
    grad = design - weights @ x_hist  # d log(share_t) / d params, per month
    df_resid = max(n_h - x_hist.shape[1], 0)
    phi = max(1.0, float(res.pearson_chi2) / df_resid) if df_resid else 1.0
    cov = np.asarray(res.cov_params()) * phi
    var_time = np.einsum("ti,ij,tj->t", grad, cov, grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_level = scale / ward_totals
    log_se = np.sqrt(np.maximum(var_level[:, None] + var_time[None, :], 0.0))
    log_se[~has] = np.nan
    return _ThemeFit(mu=mu, log_se=log_se, scale=scale)


def _quasi_poisson_scale(y: np.ndarray, mu: np.ndarray, *, n_params: int) -> float:
    """Pearson chi-squared over residual degrees of freedom (McCullagh & Nelder 1989), >= 1."""
    n = y.size
    if n <= n_params or not n:
        return 1.0
    ok = mu > 0
    return float(max(1.0, ((y[ok] - mu[ok]) ** 2 / mu[ok]).sum() / (n - n_params)))


def _predictive(mu: np.ndarray, log_se: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Scipy ``nbinom`` parameters (n, p) of the predictive distribution (n=inf: Poisson).

    Variance ``scale * mu + (exp(s**2) - 1) * mu**2``: the quasi-Poisson scale for the counts'
    extra variation and a gamma term for the uncertainty ``s`` of the fitted log mean. As a
    negative binomial that is ``k = (scale - 1) / mu + exp(s**2) - 1``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (scale - 1.0) / mu + np.expm1(log_se**2)
        n = np.where(k > 0, 1.0 / k, np.inf)
        p = np.where(k > 0, 1.0 / (1.0 + k * mu), 1.0)
    return n, p


def _tails(y: np.ndarray, mu: np.ndarray, n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Tail probabilities ``P(Y >= y)`` and ``P(Y <= y)`` under the predictive (n, p)."""
    poisson = ~np.isfinite(n)
    above = np.where(
        poisson, stats.poisson.sf(y - 1, mu), stats.nbinom.sf(y - 1, np.where(poisson, 1, n), p)
    )
    below = np.where(
        poisson, stats.poisson.cdf(y, mu), stats.nbinom.cdf(y, np.where(poisson, 1, n), p)
    )
    return above, below


def _interval(
    mu: np.ndarray, n: np.ndarray, p: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    q = np.array([(1 - level) / 2, 1 - (1 - level) / 2])
    poisson = ~np.isfinite(n)
    out = []
    for qi in q:
        nb = stats.nbinom.ppf(qi, np.where(poisson, 1, n), p)
        po = stats.poisson.ppf(qi, np.where(np.isfinite(mu), mu, 0))
        out.append(np.where(np.isfinite(mu), np.where(poisson, po, nb), np.nan))
    return out[0], out[1]


# --- outputs ------------------------------------------------------------------------------------


def _ward_columns(areas: gpd.GeoDataFrame) -> list[str]:
    return [c for c in ("ward_name", "borough_code", "borough_name") if c in areas.columns]


def _ward_table(
    areas: gpd.GeoDataFrame,
    keys: list[str],
    counts: np.ndarray,
    fits: list[_ThemeFit],
    level: float,
    alpha: float,
) -> pd.DataFrame:
    parts = []
    for key, c, fit in zip(keys, counts, fits, strict=True):
        y = c[:, -1].astype(np.float64)
        mu = fit.mu[:, -1]
        n, p = _predictive(mu, fit.log_se[:, -1], fit.scale)
        tested = np.isfinite(mu)
        safe_mu = np.where(tested, mu, 1.0)
        above, below = _tails(y, safe_mu, np.where(tested, n, np.inf), np.where(tested, p, 1.0))
        above, below = np.where(tested, above, np.nan), np.where(tested, below, np.nan)
        two_sided = np.minimum(1.0, 2.0 * np.minimum(above, below))
        q = np.full(len(y), np.nan)
        if tested.any():
            q[tested] = bh_adjust(two_sided[tested])
        lower, upper = _interval(mu, n, p, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mu > 0, y / mu, np.nan)
        cls = np.where(
            ~tested,
            "no_history",
            np.where(q <= alpha, np.where(y > mu, "above", "below"), "as_expected"),
        )
        frame = pd.DataFrame(
            {
                "ward_code": areas.index.to_numpy(),
                "theme": key,
                "incident_count": c[:, -1].astype(np.int64),
                "expected_count": mu,
                "expected_lower": lower,
                "expected_upper": upper,
                "ratio": ratio,
                "p_value_above": above,
                "p_value_below": below,
                "p_value": two_sided,
                "p_value_fdr": q,
                "exception": pd.Categorical(cls, categories=EXCEPTION_CLASSES),
            }
        )
        parts.append(frame)
    cols = _ward_columns(areas)
    if not parts:
        empty = pd.DataFrame(
            columns=["ward_code", "theme", *cols, "incident_count", "expected_count"]
        )
        return empty.set_index(["ward_code", "theme"])
    table = pd.concat(parts, ignore_index=True)
    info = areas[cols].reset_index(drop=True)
    info = pd.concat([info] * len(keys), ignore_index=True)
    for i, col in enumerate(cols):
        table.insert(2 + i, col, info[col].to_numpy())
    table["exception"] = pd.Categorical(table["exception"], categories=EXCEPTION_CLASSES)
    return table.set_index(["ward_code", "theme"])


def _monthly_table(
    ward_codes: pd.Index,
    keys: list[str],
    counts: np.ndarray,
    fits: list[_ThemeFit],
    months: list[pd.Period],
    level: float,
) -> pd.DataFrame:
    n_w, n_m = len(ward_codes), len(months)
    parts = []
    for key, c, fit in zip(keys, counts, fits, strict=True):
        mu = fit.mu.ravel()
        n, p = _predictive(mu, fit.log_se.ravel(), fit.scale)
        lower, upper = _interval(mu, n, p, level)
        parts.append(
            pd.DataFrame(
                {
                    "ward_code": np.repeat(ward_codes.to_numpy(), n_m),
                    "theme": key,
                    "month": pd.PeriodIndex(months * n_w, freq="M"),
                    "incident_count": c.ravel().astype(np.int64),
                    "expected_count": mu,
                    "expected_lower": lower,
                    "expected_upper": upper,
                    "fitted": np.tile(np.arange(n_m) < n_m - 1, n_w),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["ward_code", "theme", "month", "incident_count", "expected_count"]
        ).set_index(["ward_code", "theme", "month"])
    frame = pd.concat(parts, ignore_index=True).set_index(["ward_code", "theme", "month"])
    return frame.sort_index()  # lexsorted: fast .loc[(ward, theme)] for a chart
