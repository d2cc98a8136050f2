"""Distinct locations, written once.

police.uk snaps every incident to one of a fixed set of anonymised map points, so a year of
incidents has about two per distinct point. Analyses that work per point (ward lookup, DBSCAN,
kernel sums, co-location) group the rows by their exact coordinates first with
:func:`group_locations`.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
from collections.abc import Iterator

import numpy as np
import pandas as pd
import shapely

__all__ = ["distinct_objects", "first_rows", "group_locations", "shared_points"]


def group_locations(
    x: np.ndarray, y: np.ndarray, *extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group rows by exact (x, y) (and any extra keys), numbering groups by first appearance.

    Parameters
    ----------
    x, y
        Coordinates, one per row (finite floats; -0.0 and 0.0 are the same place).
    *extra
        Further integer keys that must also match (e.g. a month ordinal for space-time groups).

    Returns
    -------
    codes : numpy.ndarray
        int64, one per row: the row's group, numbered 0, 1, ... in order of first appearance.
    xy : numpy.ndarray
        float64 of shape (n_groups, 2): each group's coordinates.
    counts : numpy.ndarray
        int64, one per group: the number of rows in it.

    Notes
    -----
    One complex number per location: pandas hashes complex128 natively, in O(n), far faster
    than ``np.unique(axis=0)`` on coordinate pairs.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # Filled in place: one complex array instead of four temporaries (20M rows: 320 MB, not 960).
    z = np.empty(len(x), dtype=np.complex128)
    z.real = x
    z.imag = y
    z += 0.0  # -0.0 becomes 0.0 in both parts, so the two hash alike
    codes, uniq = pd.factorize(z)
    codes = codes.astype(np.int64)
    xy = np.column_stack([uniq.real, uniq.imag]) if len(uniq) else np.zeros((0, 2))
    for key in extra:
        key_codes, key_uniq = pd.factorize(np.asarray(key))
        combined = codes * np.int64(len(key_uniq) + 1) + key_codes.astype(np.int64)
        codes, first = pd.factorize(combined)
        codes = codes.astype(np.int64)
        first_row = first_rows(codes, len(first))
        xy = np.column_stack([z.real[first_row], z.imag[first_row]]) if len(first) else xy[:0]
    counts = np.bincount(codes, minlength=len(xy)).astype(np.int64)
    return codes, np.ascontiguousarray(xy), counts


def first_rows(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Position of each group's first row, given the ``codes`` from :func:`group_locations`."""
    first = np.zeros(n_groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes), dtype=np.int64)[::-1]
    return first


def distinct_objects(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows holding the same geometry *object*: per row its group, and one object per group.

    The readers share one point object among the incidents at a snap point (about 25 rows per
    object over three years of police.uk data), so GEOS need be asked once per object. In CPython
    an object array stores each object's address, which is its ``id()``: the addresses are read
    as integers (20M rows in milliseconds, where ``map(id, ...)`` takes seconds). Objects are
    never dereferenced through them; the array keeps them alive.

    Returns
    -------
    codes : numpy.ndarray
        int64, one per row: the row's group, numbered by first appearance.
    objects : numpy.ndarray
        object array, one geometry per group.
    """
    arr = np.ascontiguousarray(geoms, dtype=object)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64), arr
    if sys.implementation.name == "cpython" and arr.itemsize == ctypes.sizeof(ctypes.c_ssize_t):
        buf = (ctypes.c_ssize_t * n).from_address(arr.ctypes.data)
        ids = np.frombuffer(memoryview(buf), dtype=np.intp).copy()
    else:  # pragma: no cover - other interpreters
        ids = np.fromiter(map(id, arr), dtype=np.intp, count=n)
    # Sorting the addresses (numpy's SIMD sort) is about twice as fast as hashing them; the groups
    # are then renumbered by first appearance, so the numbering does not depend on addresses.
    _, inverse = np.unique(ids, return_inverse=True)
    first = first_rows(inverse, int(inverse.max()) + 1)
    order = np.argsort(first)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[inverse.ravel()], arr[first[order]]


def shared_points(xy: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """One point object per distinct location, shared by its rows: ``shapely.points(xy)[codes]``.

    Parameters
    ----------
    xy
        (n_locations, 2) coordinates, as returned by :func:`group_locations`.
    codes
        Each row's location (indices into ``xy``).

    Notes
    -----
    Python's cycle collector is paused while the points are made. Shapely geometries are tracked
    by it, so making 450,000 of them sets off collections that walk every young object again and
    again: 0.28 s of collection for 0.07 s of points on a million police.uk rows. A point refers
    to no other object, so no cycle can form and pausing frees nothing later than it would be.
    """
    if not len(codes):
        return np.array([], dtype=object)
    with _collector_paused():
        points = shapely.points(np.asarray(xy, dtype=np.float64))
    return points[codes]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector (if it runs) for the block, then restore it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
