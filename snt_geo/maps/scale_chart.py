"""A chart of the hot spot scale scan: Moran's z-score against distance, the chosen band marked.

matplotlib is imported only when a chart is drawn (``pip install "snt-geo[report]"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["draw_scale_scan"]

_SCAN_COLUMNS = ("distance_m", "z_score", "chosen")


def _import_pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extras
        raise ImportError(
            'draw_scale_scan needs matplotlib: pip install "snt-geo[report]"'
        ) from exc
    return plt


def _scan_frame(scan: object) -> tuple[pd.DataFrame, float, str]:
    """Return the scan table, z threshold and a caption, from a HotspotScale or its scan frame."""
    method = getattr(scan, "method", None)
    frame = scan.scan if hasattr(scan, "scan") else scan
    if method is None and isinstance(frame, pd.DataFrame):
        method = frame.attrs.get("method")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "`scan` must be the result of snt_geo.linkage.choose_hotspot_scale or its `.scan` / "
            f"`.to_frame()` table; got {type(scan).__name__}."
        )
    missing = [c for c in _SCAN_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"`scan` lacks the columns {missing}; pass choose_hotspot_scale(...) or its "
            "`.to_frame()`."
        )
    threshold = float(getattr(method, "z_threshold", 1.65))
    rule = getattr(method, "rule", None)
    chosen = getattr(method, "neighbour_distance_m", None)
    if rule == "fallback" and chosen is not None:
        caption = f"no band above z = {threshold:g}: fallback distance {chosen:,.0f} m"
    elif chosen is not None:
        caption = f"chosen scale {chosen:,.0f} m ({str(rule).replace('_', ' ')})"
    else:
        caption = ""
    return frame, threshold, caption


def draw_scale_scan(scan: object, *, ax: Any = None, title: str | None = None) -> Any:
    """Line chart of the incremental spatial autocorrelation scan behind a hot spot scale.

    Parameters
    ----------
    scan
        A :class:`~snt_geo.linkage.HotspotScale` (from ``choose_hotspot_scale``), or a table with
        columns ``distance_m``, ``z_score`` and ``chosen`` (its ``.scan`` or ``.to_frame()``).
    ax
        A matplotlib Axes to draw on. Default None: a new figure of 6 x 3.5 inches.
    title
        Chart title. Default: "Spatial autocorrelation by distance".

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the z-score line with a marker per band (line ``"z_score"``), the dashed
        threshold (``"threshold"``), the chosen band ringed (``"chosen"``, absent for the
        fallback) and, for the fallback, a dotted vertical line at the fallback distance
        (``"fallback"``).
    """
    frame, threshold, caption = _scan_frame(scan)
    plt = _import_pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    x = frame["distance_m"].to_numpy(dtype="float64")
    z = frame["z_score"].to_numpy(dtype="float64")
    ax.plot(x, z, marker="o", color="#2b6cb0", label="z_score")
    ax.axhline(threshold, linestyle="--", color="#888888", label="threshold")
    chosen = frame["chosen"].to_numpy(dtype=bool)
    if chosen.any():
        ax.plot(
            x[chosen], z[chosen], linestyle="none", marker="o", markersize=14,
            markerfacecolor="none", markeredgecolor="#c53030", markeredgewidth=2, label="chosen",
        )  # fmt: skip
    else:
        method = getattr(scan, "method", None) or frame.attrs.get("method")
        distance = getattr(method, "neighbour_distance_m", None)
        if distance is not None and np.isfinite(distance):
            ax.axvline(distance, linestyle=":", color="#c53030", label="fallback")
    ax.set_xlabel("Distance band (m)")
    ax.set_ylabel("Moran's I z-score")
    ax.set_title(title or "Spatial autocorrelation by distance")
    if caption:
        ax.text(0.01, 0.98, caption, transform=ax.transAxes, va="top", fontsize=8)
    return ax
