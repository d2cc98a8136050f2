"""The working CRS and the one function that brings every input into it.

All distances and areas in snt_geo are computed in British National Grid (EPSG:27700, metres).
Inputs in any labelled CRS are reprojected on entry by :func:`to_working_crs`; unlabelled inputs are
refused, never guessed.
"""

from __future__ import annotations

import functools
import warnings

import geopandas as gpd
import numpy as np
import pyproj

from snt_geo.errors import CRSError

__all__ = [
    "WORKING_CRS",
    "GB_BOUNDS_27700",
    "is_british_national_grid",
    "to_working_crs",
    "project_xy",
    "check_in_great_britain",
]

WORKING_CRS = pyproj.CRS.from_epsg(27700)

#: (xmin, ymin, xmax, ymax) of the British National Grid's area of use, in metres. A projected point
#: outside this box is not in Great Britain (or its axes were swapped).
GB_BOUNDS_27700 = (-10_000.0, -10_000.0, 700_000.0, 1_250_000.0)

_BNG_PARAMS = {"lat_0": 49.0, "lon_0": -2.0, "x_0": 400_000.0, "y_0": -100_000.0}
_BNG_SCALE = 0.9996012717
_AIRY_A = 6377563.396


def is_british_national_grid(crs: object) -> bool:
    """True if ``crs`` is British National Grid, however it is labelled.

    ESRI ``.prj`` files (such as the GLA's statistical boundary files) describe BNG with the scale
    factor rounded to 0.999601272; pyproj then cannot match the WKT to EPSG:27700 (``to_epsg()`` is
    None). This compares the projection parameters instead, with a tolerance on the scale factor of
    1e-9 (under 1 mm across Great Britain).
    """
    if crs is None:
        return False
    crs = pyproj.CRS.from_user_input(crs)
    if crs.to_epsg() == 27700:
        return True
    if not crs.is_projected:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        params = crs.to_dict()
    if params.get("proj") != "tmerc" or params.get("units", "m") != "m":
        return False
    if any(abs(float(params.get(k, np.nan)) - v) > 1e-9 for k, v in _BNG_PARAMS.items()):
        return False
    if abs(float(params.get("k", params.get("k_0", np.nan))) - _BNG_SCALE) > 1e-9:
        return False
    ellps = params.get("ellps")
    return ellps == "airy" or abs(float(params.get("a", np.nan)) - _AIRY_A) < 1e-3


@functools.lru_cache(maxsize=16)
def _transformer(src_wkt: str) -> pyproj.Transformer:
    # One transformer per source CRS for the life of the process: building one costs milliseconds,
    # which adds up when thousands of small frames are projected.
    return pyproj.Transformer.from_crs(pyproj.CRS(src_wkt), WORKING_CRS, always_xy=True)


def project_xy(x: np.ndarray, y: np.ndarray, crs: object) -> tuple[np.ndarray, np.ndarray]:
    """Project coordinate arrays from ``crs`` to EPSG:27700 (x = easting/longitude first)."""
    crs = pyproj.CRS.from_user_input(crs)
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if is_british_national_grid(crs):
        return x.copy(), y.copy()
    return _transformer(crs.to_wkt()).transform(x, y)


def check_in_great_britain(
    x: np.ndarray,
    y: np.ndarray,
    *,
    argument: str,
    source_x: np.ndarray | None = None,
    source_y: np.ndarray | None = None,
    row_label: object = None,
    n_bad: int | None = None,
) -> None:
    """Raise :class:`CRSError` if any projected point lies outside Great Britain.

    The message quotes one offending coordinate as given (``source_x``/``source_y``, when known) and
    as projected, and suggests that x and y may be swapped.
    """
    xmin, ymin, xmax, ymax = GB_BOUNDS_27700
    with np.errstate(invalid="ignore"):
        bad = ~((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    bad &= ~(np.isnan(x) | np.isnan(y))
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    where = f"row {row_label!r}" if row_label is not None else f"position {i}"
    n_bad = int(bad.sum()) if n_bad is None else n_bad
    given = ""
    if source_x is not None and source_y is not None:
        given = f" given as ({float(source_x[i])!r}, {float(source_y[i])!r})"
    raise CRSError(
        f"`{argument}` has {n_bad} geometries outside Great Britain after projection to "
        f"EPSG:27700, e.g. {where}{given} -> ({x[i]:.1f}, {y[i]:.1f}). x and y may be "
        "swapped (x is longitude or easting, y is latitude or northing), or the CRS label is wrong."
    )


def to_working_crs(
    frame: gpd.GeoDataFrame | gpd.GeoSeries, *, argument: str, check_bounds: bool = True
) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Return ``frame`` in EPSG:27700, refusing unlabelled input.

    Parameters
    ----------
    frame
        A GeoDataFrame or GeoSeries with a CRS. Never modified.
    argument
        The caller's parameter name, quoted in error messages.
    check_bounds
        Raise if any geometry's bounds fall outside Great Britain after projection.

    Returns
    -------
    A copy in EPSG:27700 (a frame already in British National Grid, however labelled, is relabelled
    EPSG:27700 without moving any coordinate).

    Raises
    ------
    CRSError
        When ``frame`` has no CRS, or geometries fall outside Great Britain after projection.
    """
    if not isinstance(frame, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(
            f"`{argument}` must be a GeoDataFrame or GeoSeries; got {type(frame).__name__}. "
            "Build one with geopandas.GeoDataFrame(df, geometry=geopandas.points_from_xy(x, y), "
            "crs=...) or use snt_geo.io.incidents_from_frame."
        )
    if frame.crs is None:
        raise CRSError(
            f"`{argument}` has no CRS, and snt_geo never guesses one. Label it first: "
            f'`{argument}.set_crs("EPSG:4326")` for longitude/latitude in degrees, or '
            f'`{argument}.set_crs("EPSG:27700")` for British National Grid metres.'
        )
    if is_british_national_grid(frame.crs):
        out = frame.set_crs(WORKING_CRS, allow_override=True)
    else:
        out = frame.to_crs(WORKING_CRS)
    if check_bounds and len(out):
        b = out.geometry.bounds.to_numpy()
        # A geometry is inside when both corners of its bounding box are.
        xmin, ymin, xmax, ymax = GB_BOUNDS_27700
        inside = (b[:, 0] >= xmin) & (b[:, 1] >= ymin) & (b[:, 2] <= xmax) & (b[:, 3] <= ymax)
        bad = ~inside & ~np.isnan(b).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            check_in_great_britain(
                np.array([b[i, 0], b[i, 2]]),
                np.array([b[i, 1], b[i, 3]]),
                argument=argument,
                row_label=out.index[i],
                n_bad=int(bad.sum()),
            )
    return out
