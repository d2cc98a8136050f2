"""Helpers of the bad-input matrix (issue 16): a police.uk file writer, a quiet call, and the
accounting check every reader must pass (rows in = rows kept + rows dropped).

A module with a unique name (not ``conftest``): test modules import it by name, and several
``conftest`` modules exist under ``tests/``.
"""

from __future__ import annotations

import warnings

from snt_geo.io import read_report

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)


def row(
    i: int = 1,
    *,
    month: str = "2023-01",
    lon: object = -0.0922,
    lat: object = 51.5155,
    ctype: str = "Robbery",
    context: str = "",
) -> str:
    """One police.uk street-level line (City of London, Cheapside)."""
    return (
        f"id{i},{month},City of London Police,City of London Police,{lon},{lat},"
        f"On or near Cheapside,E01000001,City of London 001A,{ctype},Under investigation,"
        f"{context}\n"
    )


def quiet(func, *args, **kwargs):
    """Call ``func`` with its UserWarnings silenced (the matrix checks results, not warnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return func(*args, **kwargs)


def assert_accounted(frame, *, rows_in: int | None = None) -> dict[str, int]:
    """Rows in = rows kept + rows dropped, per file and in total; returns the non-zero drops."""
    report = read_report(frame)
    assert report.rows_kept == len(frame)
    assert report.rows_read == report.rows_kept + sum(report.dropped.values())
    for counts in report.files.values():
        dropped = sum(counts.get(r, 0) for r in report.reasons)
        assert counts["rows_read"] == counts["rows_kept"] + dropped
    if rows_in is not None:
        assert report.rows_read == rows_in
    return {r: n for r, n in report.dropped.items() if n}
