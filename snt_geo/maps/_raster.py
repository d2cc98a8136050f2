"""The Web Mercator raster resampler: cells onto the pixel grid Leaflet displays.

Cells (EPSG:27700) are resampled onto the EPSG:3857 pixel grid by nearest neighbour.

Each pixel takes the value of the cell containing its centre. Pixels are about half a cell wide,
so a cell edge is placed to within half a pixel. Regular square grids are looked up by index
arithmetic; other cell shapes by point-in-polygon queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from snt_geo.crs import WORKING_CRS
from snt_geo.maps._payload import COORDINATE_DECIMALS

_TO_WEB_MERCATOR = pyproj.Transformer.from_crs(WORKING_CRS, "EPSG:3857", always_xy=True)
_FROM_WEB_MERCATOR = pyproj.Transformer.from_crs("EPSG:3857", WORKING_CRS, always_xy=True)


_WEB_MERCATOR_TO_LONLAT = pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def _regular_grid(geoms: np.ndarray) -> tuple[float, float, float] | None:
    """(cell_size_m, x0, y0) when every cell is the same axis-aligned square, else None."""
    b = shapely.bounds(geoms)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    size = float(np.median(w))
    if size <= 0:
        return None
    tol = 1e-6 * size
    area = shapely.area(geoms)
    same = (np.abs(w - size) < tol) & (np.abs(h - size) < tol)
    square = np.abs(area - size * size) < 1e-4 * size * size
    if not (same.all() and square.all()):
        return None
    x0, y0 = float(b[:, 0].min()), float(b[:, 1].min())
    # Cells must sit on one lattice (origins a whole number of cells apart).
    fx, fy = (b[:, 0] - x0) / size, (b[:, 1] - y0) / size
    if np.abs(fx - np.round(fx)).max() > 1e-6 or np.abs(fy - np.round(fy)).max() > 1e-6:
        return None
    return size, x0, y0


@dataclass(frozen=True)
class MercatorImage:
    """Cell values resampled onto a north-up Web Mercator pixel grid.

    Attributes
    ----------
    values
        (rows, columns) array, row 0 the north edge; 0 where no cell covers the pixel centre.
    bounds
        ``(south, west, north, east)`` of the image in degrees (EPSG:4326).
    grid
        ``(cell_size_m, x0, y0)`` when the cells are one regular square lattice, else None.
    cell_size_m
        Cell side (the median cell's square root of area for irregular cells).
    pixel_size_m
        Pixel width in ground metres at the image centre.
    """

    values: np.ndarray
    bounds: tuple[float, float, float, float]
    grid: tuple[float, float, float] | None
    cell_size_m: float
    pixel_size_m: float


def resample_to_web_mercator(
    geoms: np.ndarray, values: np.ndarray, *, max_pixels: int
) -> MercatorImage:
    """Resample cell polygons (EPSG:27700) and their values onto Web Mercator pixels.

    Pixels are half a cell wide unless that exceeds ``max_pixels``, when they grow to respect it.
    """
    grid = _regular_grid(geoms)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    # Image extent in Web Mercator, from the densified outline of the cells' bounding box.
    box = shapely.segmentize(shapely.box(xmin, ymin, xmax, ymax), (xmax - xmin) / 20 or 1)
    bx, by = np.asarray(box.exterior.coords).T
    mx, my = _TO_WEB_MERCATOR.transform(bx, by)
    mx0, mx1, my0, my1 = mx.min(), mx.max(), my.min(), my.max()
    cell_m = grid[0] if grid else float(np.sqrt(np.median(shapely.area(geoms))))
    scale = (mx1 - mx0) / (xmax - xmin)  # Mercator metres per ground metre here
    pixel = cell_m * scale / 2
    n_px = (mx1 - mx0) / pixel * (my1 - my0) / pixel
    if n_px > max_pixels:
        pixel *= math.sqrt(n_px / max_pixels)
    ncols = max(1, round((mx1 - mx0) / pixel))
    nrows = max(1, round((my1 - my0) / pixel))
    px = mx0 + (np.arange(ncols) + 0.5) * (mx1 - mx0) / ncols
    py = my1 - (np.arange(nrows) + 0.5) * (my1 - my0) / nrows  # row 0 is the north edge
    gx, gy = np.meshgrid(px, py)
    ex, ey = _FROM_WEB_MERCATOR.transform(gx.ravel(), gy.ravel())
    pixel_value = _lookup(geoms, values, grid, ex, ey)
    (w, e), (s, n) = _WEB_MERCATOR_TO_LONLAT.transform([mx0, mx1], [my0, my1])
    south, west, north, east = (round(float(v), COORDINATE_DECIMALS) for v in (s, w, n, e))
    bounds = (south, west, north, east)
    return MercatorImage(
        values=pixel_value.reshape(nrows, ncols),
        bounds=bounds,
        grid=grid,
        cell_size_m=cell_m,
        pixel_size_m=float((mx1 - mx0) / ncols / scale),
    )


def _lookup(geoms, values, grid, ex: np.ndarray, ey: np.ndarray) -> np.ndarray:
    """Return the value of the cell containing each point (0 outside every cell)."""
    out = np.zeros(ex.size)
    if grid:
        size, x0, y0 = grid
        b = shapely.bounds(geoms)
        ci = np.round((b[:, 0] - x0) / size).astype(np.int64)
        cj = np.round((b[:, 1] - y0) / size).astype(np.int64)
        lattice = np.zeros((cj.max() + 1, ci.max() + 1))
        lattice[cj, ci] = values
        i = np.floor((ex - x0) / size).astype(np.int64)
        j = np.floor((ey - y0) / size).astype(np.int64)
        inside = (i >= 0) & (j >= 0) & (i < lattice.shape[1]) & (j < lattice.shape[0])
        out[inside] = lattice[j[inside], i[inside]]
    else:
        tree = shapely.STRtree(geoms)
        p_idx, c_idx = tree.query(shapely.points(ex, ey), predicate="intersects")
        out[p_idx] = values[c_idx]
    return out
