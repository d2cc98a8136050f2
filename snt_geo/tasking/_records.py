"""Method records of the steps, read one way: (step, parameter, value) rows and plain dicts.

The steps' results carry their provenance as one frozen record: ``attrs["method"]`` on a frame,
``.method`` on a result with several tables. This module is the one place that reads it, so the
assessment does not adapt to each step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from snt_geo._format import format_value

#: Longest value kept in the parameter table (longer text is cut with "...").
MAX_VALUE_CHARS = 300


def record_of(result: object) -> Any | None:
    """Return the method record of a step's result: ``attrs["method"]``, ``.method``, or None."""
    attrs = getattr(result, "attrs", None)
    if isinstance(attrs, Mapping) and attrs.get("method") is not None:
        return attrs["method"]
    method = getattr(result, "method", None)
    if method is not None and not callable(method):
        return method
    return None


def record_dict(result: object) -> dict[str, Any]:
    """Return the step's recorded options and automatic choices as a dict (empty when none)."""
    record = record_of(result)
    if record is not None and hasattr(record, "to_dict"):
        return dict(record.to_dict())
    return {}


def flatten(step: str, value: object, prefix: str = "") -> list[tuple[str, str, str]]:
    """(step, parameter, value) rows of a parameter dict, nested dicts flattened with dots."""
    rows: list[tuple[str, str, str]] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            rows += flatten(step, v, f"{prefix}{k}." if isinstance(v, Mapping) else prefix + str(k))
        return rows
    if value is None:
        text = "none"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, float | np.floating) and not math.isnan(value):
        text = f"{float(value):,.6g}"
    else:
        text = format_value(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return [(step, prefix.rstrip("."), text)]


def parameter_table(rows: tuple[tuple[str, str, str], ...]) -> pd.DataFrame:
    """Return the rows as a DataFrame with columns ``step``, ``parameter``, ``value``."""
    return pd.DataFrame(list(rows), columns=["step", "parameter", "value"])
