"""Exceptions raised by snt_geo.

Every message names the argument as spelled in the signature, the value received and the fix.
"""

from __future__ import annotations

__all__ = ["SntGeoError", "SchemaError", "CRSError", "ResourceLimitError"]


class SntGeoError(Exception):
    """Base class for every error snt_geo raises on purpose."""


class SchemaError(SntGeoError, ValueError):
    """Input table lacks columns or holds values of the wrong kind.

    All the problems found in one input are collected and reported together in ``problems``.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class CRSError(SntGeoError, ValueError):
    """A coordinate reference system is missing, unknown or evidently wrong."""


class ResourceLimitError(SntGeoError, ValueError):
    """An argument would make a grid or kernel too large for memory; refused before allocating.

    The message gives the cell count, the memory it would need, the budget and the fix.
    """
