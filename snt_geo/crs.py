"""The working CRS and the one function that brings every input into it.

All distances and areas in snt_geo are computed in British National Grid (EPSG:27700, metres).
Inputs in any labelled CRS are reprojected on entry by :func:`to_working_crs`; unlabelled inputs are
refused, never guessed.
"""

from __future__ import annotations

import functools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from snt_geo.errors import CRSError

__all__ = [
    "WORKING_CRS",
    "GB_BOUNDS_27700",
    "is_british_national_grid",
    "to_working_crs",
    "project_xy",
    "check_in_great_britain",
    "check_plausible_xy",
]

WORKING_CRS = pyproj.CRS.from_epsg(27700)

#: (xmin, ymin, xmax, ymax) of the British National Grid's area of use, in metres. A projected point
#: outside this box is not in Great Britain (or its axes were swapped).
GB_BOUNDS_27700 = (-10_000.0, -10_000.0, 700_000.0, 1_250_000.0)

#: Longitude/latitude box of Great Britain (degrees), used to recognise degrees mislabelled as
#: metres, and latitude/longitude given in the wrong order.
_GB_LON = (-9.0, 2.5)
_GB_LAT = (49.0, 61.5)

# A coarse outline of mainland Great Britain (longitude, latitude), about 120 coastal points from
# Land's End clockwise; estuaries are closed off, islands left out. It is only used to decide that
# a whole input lies far out at sea while the same points with x and y exchanged lie on land: the
# sign of easting and northing swapped under EPSG:27700 (London swapped lands in the sea off
# Galloway, inside the BNG area of use, so the bounds check alone cannot see it).
_GB_OUTLINE_LONLAT = (
    (-5.71, 50.07),
    (-5.20, 49.96),
    (-4.14, 50.36),
    (-3.64, 50.22),
    (-3.41, 50.61),
    (-2.93, 50.72),
    (-2.46, 50.51),
    (-2.06, 50.57),
    (-1.30, 50.57),
    (-1.07, 50.68),
    (-0.79, 50.72),
    (-0.14, 50.81),
    (0.24, 50.73),
    (0.98, 50.91),
    (1.38, 51.13),
    (1.45, 51.38),
    (0.95, 51.57),
    (1.16, 51.79),
    (1.30, 51.95),
    (1.58, 52.09),
    (1.76, 52.48),
    (1.70, 52.72),
    (1.53, 52.83),
    (1.30, 52.93),
    (0.85, 52.97),
    (0.49, 52.95),
    (0.34, 53.14),
    (0.11, 53.58),
    (-0.17, 53.91),
    (-0.07, 54.12),
    (-0.39, 54.28),
    (-0.61, 54.49),
    (-1.06, 54.62),
    (-1.17, 54.69),
    (-1.42, 55.02),
    (-1.56, 55.33),
    (-1.99, 55.77),
    (-2.13, 55.91),
    (-2.51, 56.00),
    (-2.72, 56.06),
    (-2.58, 56.28),
    (-2.78, 56.34),
    (-2.72, 56.50),
    (-2.58, 56.56),
    (-2.46, 56.71),
    (-2.07, 57.15),
    (-1.77, 57.50),
    (-2.00, 57.69),
    (-2.52, 57.67),
    (-3.28, 57.72),
    (-3.78, 57.86),
    (-3.65, 58.12),
    (-3.09, 58.44),
    (-3.02, 58.64),
    (-3.37, 58.67),
    (-3.99, 58.57),
    (-4.42, 58.55),
    (-5.00, 58.63),
    (-5.25, 58.15),
    (-5.82, 57.86),
    (-5.71, 57.28),
    (-5.83, 57.00),
    (-6.23, 56.73),
    (-6.40, 56.30),
    (-5.48, 56.41),
    (-5.70, 55.60),
    (-5.80, 55.29),
    (-5.60, 55.42),
    (-4.86, 55.24),
    (-5.00, 55.10),
    (-5.16, 55.01),
    (-5.12, 54.84),
    (-4.86, 54.63),
    (-4.40, 54.68),
    (-3.60, 54.87),
    (-3.26, 54.98),
    (-3.50, 54.71),
    (-3.64, 54.51),
    (-3.27, 54.05),
    (-3.01, 53.93),
    (-3.06, 53.82),
    (-3.09, 53.56),
    (-3.15, 53.40),
    (-3.32, 53.36),
    (-3.87, 53.34),
    (-4.29, 53.42),
    (-4.57, 53.40),
    (-4.68, 53.31),
    (-4.60, 53.22),
    (-4.47, 53.19),
    (-4.56, 52.95),
    (-4.76, 52.80),
    (-4.41, 52.88),
    (-4.23, 52.92),
    (-4.06, 52.72),
    (-4.05, 52.54),
    (-4.08, 52.41),
    (-4.36, 52.21),
    (-4.66, 52.10),
    (-5.07, 52.03),
    (-5.31, 51.90),
    (-5.17, 51.68),
    (-4.70, 51.67),
    (-4.33, 51.56),
    (-3.98, 51.56),
    (-3.70, 51.48),
    (-3.27, 51.39),
    (-3.16, 51.46),
    (-2.95, 51.55),
    (-2.65, 51.61),
    (-2.70, 51.50),
    (-2.98, 51.35),
    (-3.01, 51.24),
    (-3.47, 51.21),
    (-3.78, 51.25),
    (-4.21, 51.19),
    (-4.53, 51.02),
    (-4.55, 50.83),
    (-5.03, 50.55),
    (-5.48, 50.21),
    (-5.71, 50.13),
)

#: How far (metres) beyond the coarse outline every point must lie before x/y are called swapped.
#: The outline is within 9 km of every real point in the test data (Northumbria's coast).
_SEA_MARGIN_M = 15_000.0
_SAMPLE = 2_000

_BNG_PARAMS = {"lat_0": 49.0, "lon_0": -2.0, "x_0": 400_000.0, "y_0": -100_000.0}
_BNG_SCALE = 0.9996012717
_AIRY_A = 6377563.396


def is_british_national_grid(crs: object) -> bool:
    """Tell whether ``crs`` is British National Grid, however it is labelled.

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
    transformer = _transformer(crs.to_wkt())
    workers = min(os.cpu_count() or 1, len(x) // _POINTS_PER_THREAD)
    if workers < 2:
        return transformer.transform(x, y)
    # PROJ runs outside the GIL and pyproj's Transformer is thread-safe (one PROJ object per
    # thread), so large arrays are split across the cores; each point is projected on its own,
    # so the result is identical.
    cuts = np.linspace(0, len(x), workers + 1).astype(np.int64)
    spans = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    parts = list(_projection_pool().map(lambda s: transformer.transform(x[s], y[s]), spans))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


#: Below this many points per core, splitting the projection costs more than it saves.
_POINTS_PER_THREAD = 100_000


@functools.lru_cache(maxsize=1)
def _projection_pool() -> ThreadPoolExecutor:
    # Kept for the life of the process: each thread builds its own PROJ transformation on first
    # use (about 40 ms), which a fresh pool per call would pay every time.
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="snt_geo-proj")


# A forked child inherits the pool but not its threads: work sent to it would wait forever. The
# child starts a pool of its own instead.
if hasattr(os, "register_at_fork"):  # POSIX only; Windows has no fork
    os.register_at_fork(after_in_child=_projection_pool.cache_clear)


@functools.lru_cache(maxsize=1)
def _gb_outline():
    lon, lat = np.array(_GB_OUTLINE_LONLAT).T
    x, y = pyproj.Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    poly = shapely.Polygon(np.c_[x, y])
    shapely.prepare(poly)
    return poly


def _sample(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite coordinates, at most ``_SAMPLE`` of them, evenly spaced (deterministic)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) > _SAMPLE:
        pick = np.linspace(0, len(x) - 1, _SAMPLE).astype(np.int64)
        x, y = x[pick], y[pick]
    return x, y


def _within(v: np.ndarray, box: tuple[float, float]) -> np.ndarray:
    return (v >= box[0]) & (v <= box[1])


def check_plausible_xy(
    x: np.ndarray,
    y: np.ndarray,
    *,
    crs: object,
    argument: str,
    relabel: str | None = None,
    swap: str | None = None,
) -> None:
    """Raise :class:`CRSError` when coordinates evidently contradict their CRS label.

    Three mistakes are recognised, each only when *every* finite coordinate shows it (a few bad
    rows are left to the bounds check or the readers' counted drops):

    - longitude/latitude degrees labelled British National Grid (all points within Great Britain's
      longitude/latitude box, i.e. within 62 m of the BNG false origin, far out at sea);
    - latitude and longitude given in the wrong order, under either label;
    - easting and northing swapped under British National Grid: every point more than 15 km out
      at sea, and every point on land once x and y are exchanged (a coarse outline of mainland
      Great Britain decides).

    Parameters
    ----------
    x, y
        Coordinates as given, in ``crs`` (x = longitude or easting).
    crs
        The CRS the coordinates are labelled with.
    argument
        The caller's parameter name, quoted in the message.
    relabel
        How the caller fixes a wrong label, with ``{crs}`` for the right CRS; default
        ``'`ARGUMENT.set_crs("{crs}", allow_override=True)`'``.
    swap
        How the caller exchanges x and y; default: rebuild the geometry with x and y exchanged.
    """
    crs = pyproj.CRS.from_user_input(crs)
    xs, ys = _sample(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
    if not len(xs):
        return
    relabel = relabel or f'`{argument}.set_crs("{{crs}}", allow_override=True)`'
    swap = swap or (
        f"rebuild `{argument}`'s geometry with x and y exchanged (x is longitude or easting, y "
        "is latitude or northing)"
    )
    example = f"({float(xs[0])!r}, {float(ys[0])!r})"
    label = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    degrees = _within(xs, _GB_LON).all() and _within(ys, _GB_LAT).all()
    degrees_swapped = _within(xs, _GB_LAT).all() and _within(ys, _GB_LON).all()
    if is_british_national_grid(crs):
        if degrees:
            raise CRSError(
                f"`{argument}` is labelled {label} (British National Grid, metres) but its "
                f"coordinates are longitude/latitude degrees, e.g. {example}. Label them as "
                f"degrees: {relabel.format(crs='EPSG:4326')}."
            )
        if degrees_swapped:
            raise CRSError(
                f"`{argument}` is labelled {label} (British National Grid, metres) but its "
                f"coordinates are latitude/longitude degrees in the wrong order, e.g. {example}. "
                f"Put longitude first ({swap}), and label them as degrees: "
                f"{relabel.format(crs='EPSG:4326')}."
            )
        if _swapped_eastings_northings(xs, ys):
            raise CRSError(
                f"`{argument}` has easting and northing swapped: every point lies out at sea "
                f"(e.g. {example}), and every point lies in Great Britain with x and y exchanged "
                f"(e.g. ({float(ys[0])!r}, {float(xs[0])!r})). Fix: {swap}."
            )
        return
    if crs.is_geographic:
        if degrees_swapped and not degrees:
            raise CRSError(
                f"`{argument}` is labelled {label} but holds latitude first and longitude second, "
                f"e.g. {example}, so every point falls outside Great Britain; in snt_geo x is "
                f"longitude. x and y are swapped. Fix: {swap}."
            )
        metres = (np.abs(xs) > 360).any() or (np.abs(ys) > 90).any()
        if metres:
            xmin, ymin, xmax, ymax = GB_BOUNDS_27700
            in_bng = (xs >= xmin) & (xs <= xmax) & (ys >= ymin) & (ys <= ymax)
            if in_bng.all():
                raise CRSError(
                    f"`{argument}` is labelled {label} (degrees) but its coordinates are metres, "
                    f"e.g. {example}, as in British National Grid. Label them as metres: "
                    f"{relabel.format(crs='EPSG:27700')}."
                )


def _swapped_eastings_northings(x: np.ndarray, y: np.ndarray) -> bool:
    outline = _gb_outline()
    if shapely.contains_xy(outline, x, y).any():
        return False
    if (shapely.distance(outline, shapely.points(x, y)) <= _SEA_MARGIN_M).any():
        return False
    return bool(shapely.contains_xy(outline, y, x).all())


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
        When ``frame`` has no CRS, when its coordinates evidently contradict its CRS (degrees
        labelled EPSG:27700, axes swapped: see :func:`check_plausible_xy`; checked whatever
        ``check_bounds`` says), or geometries fall outside Great Britain after projection.
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
    if len(frame):
        # A sample of geometries is enough: the check needs every point to show the mistake.
        geoms = np.asarray(frame.geometry.array)
        geoms = geoms[np.unique(np.linspace(0, len(geoms) - 1, _SAMPLE).astype(np.int64))]
        b = shapely.bounds(geoms)
        check_plausible_xy(
            np.r_[b[:, 0], b[:, 2]], np.r_[b[:, 1], b[:, 3]], crs=frame.crs, argument=argument
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
