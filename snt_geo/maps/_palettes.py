"""Colours and classes: palettes, ramps and :func:`classify_values`.

The Gi* hotspot palette, sequential ramps, categorical colours, the link colours, and
:func:`classify_values` (quantiles, equal intervals, manual breaks).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Fixed palette for Gi* classes (the red-to-blue convention of ArcGIS "Hot Spot Analysis").
HOTSPOT_PALETTE = {
    "hot_99": "#d62f27",
    "hot_95": "#ed7551",
    "hot_90": "#fab984",
    "not_significant": "#f2f2ee",
    "cold_90": "#b5c8e0",
    "cold_95": "#7599c7",
    "cold_99": "#4575b5",
}

_HOTSPOT_LABELS = {
    "hot_99": "Hot spot, 99% confidence",
    "hot_95": "Hot spot, 95% confidence",
    "hot_90": "Hot spot, 90% confidence",
    "not_significant": "Not significant",
    "cold_90": "Cold spot, 90% confidence",
    "cold_95": "Cold spot, 95% confidence",
    "cold_99": "Cold spot, 99% confidence",
}

#: Named classification schemes accepted by :func:`classify_values`.
CLASSIFICATION_SCHEMES = ("quantiles", "equal_interval", "manual")

#: Nine-class ColorBrewer sequential palettes (Brewer, Hatchard & Harrower 2003; colorbrewer2.org).
SEQUENTIAL_PALETTES = {
    "YlOrRd": (
        "#ffffcc",
        "#ffeda0",
        "#fed976",
        "#feb24c",
        "#fd8d3c",
        "#fc4e2a",
        "#e31a1c",
        "#bd0026",
        "#800026",
    ),
    "Blues": (
        "#f7fbff",
        "#deebf7",
        "#c6dbef",
        "#9ecae1",
        "#6baed6",
        "#4292c6",
        "#2171b5",
        "#08519c",
        "#08306b",
    ),
    "Purples": (
        "#fcfbfd",
        "#efedf5",
        "#dadaeb",
        "#bcbddc",
        "#9e9ac8",
        "#807dba",
        "#6a51a3",
        "#54278f",
        "#3f007d",
    ),
    "Greens": (
        "#f7fcf5",
        "#e5f5e0",
        "#c7e9c0",
        "#a1d99b",
        "#74c476",
        "#41ab5d",
        "#238b45",
        "#006d2c",
        "#00441b",
    ),
}

#: Categorical colours (Okabe & Ito 2008, colour-blind safe), used in order for themes.
_CATEGORICAL = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#cc79a7",
    "#0072b2",
    "#d55e00",
    "#f0e442",
    "#000000",
)
_NO_DATA_COLOUR = "#bdbdbd"


# --------------------------------------------------------------------------- classification


def classify_values(
    values: pd.Series | np.ndarray,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Class limits and each value's class for a choropleth.

    Parameters
    ----------
    values
        Numbers to classify; NaN values get class -1.
    scheme
        ``"quantiles"`` (equal counts, limits at the k-quantiles, numpy's linear interpolation),
        ``"equal_interval"`` (k classes of equal width between the minimum and maximum) or
        ``"manual"`` (the upper limits given in ``breaks``).
    k
        Number of classes for the automatic schemes (2 to 9). Fewer classes result when limits
        coincide (e.g. many equal values).
    breaks
        Increasing upper class limits for ``scheme="manual"``; values above the last limit form
        one more class.

    Returns
    -------
    (limits, classes)
        ``limits``: increasing upper limits, one per class (the last is the maximum for the
        automatic schemes); ``classes``: int array, the 0-based class of each value (a value equal
        to a limit falls in that limit's class), -1 for NaN.

    Notes
    -----
    The class of ``v`` is the first limit ``>= v`` (the right-closed convention of mapclassify's
    ``Quantiles``/``EqualInterval``; Rey, Stephens & Laura 2017).
    """
    if scheme not in CLASSIFICATION_SCHEMES:
        raise ValueError(
            f"`scheme` must be one of {CLASSIFICATION_SCHEMES}; got {scheme!r}. Use "
            '"manual" with `breaks=[...]` for your own class limits.'
        )
    v = np.asarray(values, dtype="float64")
    ok = ~np.isnan(v)
    if scheme == "manual":
        if breaks is None or len(breaks) == 0:
            raise ValueError(
                '`breaks` must list increasing class limits when `scheme="manual"`; got '
                f"{breaks!r}."
            )
        limits = np.asarray(breaks, dtype="float64")
        if np.any(np.diff(limits) <= 0) or np.isnan(limits).any():
            raise ValueError(f"`breaks` must be strictly increasing numbers; got {list(breaks)}.")
        if ok.any() and v[ok].max() > limits[-1]:
            limits = np.append(limits, v[ok].max())
    else:
        if breaks is not None:
            raise ValueError(
                f'`breaks` is only used with `scheme="manual"`; got scheme={scheme!r} and '
                f'breaks={list(breaks)}. Drop `breaks` or set `scheme="manual"`.'
            )
        if not isinstance(k, int | np.integer) or not 2 <= k <= 9:
            raise ValueError(f"`k` must be an integer number of classes from 2 to 9; got {k!r}.")
        if not ok.any():
            return np.array([], dtype="float64"), np.full(len(v), -1, dtype=int)
        x = v[ok]
        if scheme == "quantiles":
            limits = np.quantile(x, np.arange(1, k + 1) / k)
        else:
            lo, hi = x.min(), x.max()
            limits = lo + (hi - lo) * np.arange(1, k + 1) / k
            limits[-1] = hi
        limits = np.unique(limits)
    classes = np.full(len(v), -1, dtype=int)
    classes[ok] = np.searchsorted(limits, v[ok], side="left")
    return limits, classes


def _palette(palette: str | Sequence[str], n: int, *, argument: str = "palette") -> list[str]:
    if isinstance(palette, str):
        if palette not in SEQUENTIAL_PALETTES:
            raise ValueError(
                f"`{argument}` must be one of {sorted(SEQUENTIAL_PALETTES)} or a list of colours; "
                f"got {palette!r}."
            )
        full = SEQUENTIAL_PALETTES[palette]
        if n == 0:
            return []
        if n == 1:
            return [full[len(full) // 2]]
        # Spread n colours over the nine, skipping the palest (too close to white on a map).
        idx = np.round(np.linspace(1, len(full) - 1, n)).astype(int)
        return [full[i] for i in idx]
    colours = list(palette)
    if len(colours) < n:
        raise ValueError(f"`{argument}` lists {len(colours)} colours but {n} classes are drawn.")
    return colours[:n]


def _theme_colours(values: pd.Series) -> tuple[list[str], dict[str, int]]:
    cats = sorted({str(v) for v in values.dropna().tolist()})
    return cats, {c: i for i, c in enumerate(cats)}


def _categorical(i: int) -> str:
    return _CATEGORICAL[i % len(_CATEGORICAL)]


#: Link widths by ``street_cluster_weight_share`` (upper class limits, screen px, opacity).
LINK_SHARE_CLASSES = ((0.05, 1.5, 0.45), (0.10, 3.0, 0.6), (0.20, 5.0, 0.75), (1.0, 8.0, 0.9))

_SIGNIFICANT_COLOUR = "#b2182b"
_NOT_SIGNIFICANT_COLOUR = "#8c8c8c"
