"""Warnings that point at the analyst's own line, however deep in snt_geo they are raised."""

from __future__ import annotations

import sys
import warnings

__all__ = ["warn_at_caller"]


def warn_at_caller(message: str | Warning, category: type[Warning] = UserWarning) -> None:
    """Issue a warning at the first calling frame outside snt_geo.

    A fixed ``stacklevel`` is right only for one call depth; a step run inside the tasking
    assessment is two or three calls deeper than the same function called from a notebook.
    (Python 3.12's ``skip_file_prefixes`` does this; the package supports 3.11.)
    """
    level = 2  # the caller of this function
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("snt_geo"):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
